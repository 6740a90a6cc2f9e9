/** One serving `npm start` per describe block, for the suites that drive the whole runtime as a child process. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type OutputProcess, type ServingRuntime, startServingNpmStart } from './processes.ts';

export interface SharedNpmStart {
  readonly dataDir: string;
  readonly process: OutputProcess;
  readonly endpoint: string;
}

/**
 * Starts `npm start --no-schedule --port 0` with `variables` in a fresh data folder (named
 * after `prefix`) before the block's tests; after them kills it if it still runs and removes
 * the folder. Its fields are there from the block's first beforeAll on.
 */
export function useNpmStart(prefix: string, variables: Record<string, string> = {}): SharedNpmStart {
  const dataDir = mkdtempSync(path.join(tmpdir(), prefix));
  let started: ServingRuntime | undefined;
  beforeAll(async () => {
    started = await startServingNpmStart(dataDir, variables);
  }, 180_000);
  afterAll(() => {
    if (started?.process.child.exitCode === null) started.process.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  const get = (): ServingRuntime => {
    if (started === undefined)
      throw new Error('useNpmStart: npm start starts in beforeAll; use it in hooks and tests');
    return started;
  };
  return {
    dataDir,
    get process() {
      return get().process;
    },
    get endpoint() {
      return get().endpoint;
    },
  };
}
