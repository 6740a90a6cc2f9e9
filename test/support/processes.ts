/**
 * Child processes for the end-to-end suites: the real batchctl, `npm start`'s entry point,
 * the AWS CLI, LibreOffice. Always argv arrays, never a shell.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '#lib/schedule/load.ts';

/** The repository root (one definition, in lib/schedule/load.ts). */
export const REPO = REPO_ROOT;
/** Node 22 from the node@22 devDependency (the system node may be older). */
export const NODE = path.join(REPO, 'node_modules', '.bin', 'node');

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Collects a started child's piped stdout and stderr; resolves once it has closed, rejects if it cannot start. */
export function collectOutput(child: ChildProcess): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs `command` to its end and captures stdout and stderr. */
export function runProcess(
  command: string,
  args: string[],
  options: SpawnOptions = {},
): Promise<ProcessResult> {
  return collectOutput(spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/**
 * An environment with only PATH and HOME from the test's own, plus `variables`: no developer
 * settings (AWS profile, DATABASE_URL, ...) reach the child.
 */
export function isolatedEnv(home: string, variables: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ...variables };
}

/** Runs the real batchctl against the local runtime whose data folder is `dataDir`. */
export function batchctl(dataDir: string, args: string[]): Promise<ProcessResult> {
  return runProcess(NODE, [path.join(REPO, 'cli', 'batchctl.ts'), ...args], {
    cwd: REPO,
    env: isolatedEnv(dataDir, { SFN_BATCH_DATA_DIR: dataDir }),
  });
}

/** The Debian awscli v2 package, by absolute path: a pyenv `aws` v1 shim may come first on PATH. */
export const AWS_CLI = '/usr/bin/aws';

/**
 * Runs the AWS CLI against a local endpoint (`--endpoint-url`), with test credentials,
 * `region`, JSON output and one attempt (a retried error would show as a slow test, not a
 * wrong answer). `home` is the child's HOME, so no developer profile reaches it.
 */
export function awsCli(
  endpoint: string,
  region: string,
  home: string,
  args: string[],
): Promise<ProcessResult> {
  return runProcess(AWS_CLI, [...args, '--endpoint-url', endpoint, '--no-cli-pager', '--output', 'json'], {
    env: isolatedEnv(home, {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: region,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_MAX_ATTEMPTS: '1',
    }),
  });
}

/** A long-running child whose stdout and stderr are gathered, interleaved, into `output`. */
export interface OutputProcess {
  readonly child: ChildProcess;
  /** Everything printed so far. */
  readonly output: string;
  /** The exit code, once the process has exited. */
  readonly exit: Promise<number | null>;
  /** Waits until `text` is printed; throws with the output if the process exits first or `timeoutMs` passes. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** Polls `condition` until it holds or the process exits. */
  waitWhileRunning(condition: () => boolean, intervalMs?: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `command` with its output gathered (see OutputProcess); `label` names it in errors. */
export function spawnWithOutput(
  label: string,
  command: string,
  args: string[],
  options: SpawnOptions = {},
): OutputProcess {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    get output() {
      return output;
    },
    exit,
    async waitForOutput(text, timeoutMs = 150_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (child.exitCode !== null) throw new Error(`${label} exited early:\n${output}`);
        if (Date.now() > deadline)
          throw new Error(`${label} printed no "${text}" within ${timeoutMs} ms:\n${output}`);
        await sleep(100);
      }
    },
    async waitWhileRunning(condition, intervalMs = 100) {
      while (!condition() && child.exitCode === null) await sleep(intervalMs);
    },
  };
}

/** Starts `npm start` (local/main.ts) with `args`, its data in `dataDir`, plus environment `variables`. */
export function startNpmStart(
  dataDir: string,
  args: string[],
  variables: Record<string, string> = {},
): OutputProcess {
  return spawnWithOutput('npm start', NODE, [path.join(REPO, 'local', 'main.ts'), ...args], {
    cwd: REPO,
    env: isolatedEnv(dataDir, { SFN_BATCH_DATA_DIR: dataDir, ...variables }),
  });
}

/** An `npm start` that is serving, with the addresses it wrote to runtime.json. */
export interface ServingRuntime {
  readonly process: OutputProcess;
  readonly endpoint: string;
  readonly consoleUrl: string;
}

/**
 * `npm start --no-schedule --port 0` (plus `args`) on `dataDir`; resolves once it has printed
 * its status block, which it does after writing runtime.json. A start that fails is killed.
 */
export async function startServingNpmStart(
  dataDir: string,
  variables: Record<string, string> = {},
  args: string[] = [],
  timeoutMs = 150_000,
): Promise<ServingRuntime> {
  const started = startNpmStart(dataDir, ['--no-schedule', '--port', '0', ...args], variables);
  try {
    await started.waitForOutput('Run a job now', timeoutMs);
  } catch (error) {
    // A start that never serves must not outlive the test.
    if (started.child.exitCode === null) started.child.kill('SIGKILL');
    throw error;
  }
  const { endpoint, consoleUrl } = JSON.parse(readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as {
    endpoint: string;
    consoleUrl: string;
  };
  return { process: started, endpoint, consoleUrl };
}

/** Pids of live processes whose environment mentions `marker` (a data folder): a runtime and its tasks. */
export function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) pids.push(Number(entry));
    } catch {
      // The process ended, or is not ours to read.
    }
  }
  return pids;
}
