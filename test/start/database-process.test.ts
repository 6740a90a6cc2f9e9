import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '#lib/db/index.ts';
import { isProcessAlive } from '#lib/process-identity.ts';
import {
  batchctl,
  collectOutput,
  isolatedEnv,
  NODE,
  type OutputProcess,
  processesMentioning,
  REPO,
  startNpmStart,
  startServingNpmStart,
} from '../support/processes.ts';

const SEED_RECORDS = '200';

const databasePidOf = (dataDir: string): number => {
  const { databasePid } = JSON.parse(readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as {
    databasePid?: number;
  };
  if (databasePid === undefined) throw new Error(`runtime.json of ${dataDir} names no database process`);
  return databasePid;
};

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

// Slow (real processes: npm start, its database process, a real job, restarts on the same
// folder). The embedded database runs in a process of its own, owned by npm start.
describe('the database process of npm start', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-dbprocess-'));
  const started: OutputProcess[] = [];
  const stopped: number[] = [];
  afterAll(() => {
    for (const runtime of started) if (runtime.child.exitCode === null) runtime.child.kill('SIGKILL');
    for (const pid of stopped) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  const start = async (variables: Record<string, string> = {}) => {
    const runtime = await startServingNpmStart(dataDir, {
      SFN_BATCH_SEED_RECORDS: SEED_RECORDS,
      ...variables,
    });
    started.push(runtime.process);
    return runtime;
  };

  it('serves the embedded database from its own process, named in the status block', async () => {
    // Act
    const runtime = await start();
    const databasePid = databasePidOf(dataDir);

    // Assess
    expect(databasePid).not.toBe(runtime.process.child.pid);
    expect(isProcessAlive(databasePid)).toBe(true);
    expect(runtime.process.output).toMatch(
      new RegExp(
        `served to tasks at postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/postgres by the database process \\(pid ${databasePid}\\)`,
      ),
    );
    expect(runtime.process.output).toContain(`database: seeded ${SEED_RECORDS} records`);
    const health = (await (await fetch(`${runtime.endpoint}/_local/health`)).json()) as {
      pid: number;
      eventLoopDelay: { samples: number; maxMs: number };
    };
    expect(health.pid).toBe(runtime.process.child.pid);
    expect(health.eventLoopDelay.maxMs).toBeGreaterThanOrEqual(0);
  }, 180_000);

  it('closes the database and exits when npm start is SIGKILLed; a restart finds the records intact and runs a job', async () => {
    // Prepare
    const first = started.at(-1);
    if (first === undefined) throw new Error('the first test starts npm start');
    const databasePid = databasePidOf(dataDir);

    // Act
    first.child.kill('SIGKILL');
    await first.exit;
    const gone = await waitUntil(() => !isProcessAlive(databasePid), 10_000);
    const lockLeftBehind = existsSync(path.join(dataDir, 'pglite.lock'));
    const second = await start();
    const job = await batchctl(dataDir, ['run', 'aggregate-record-stats-daily', '--wait']);

    // Assess: it closed cleanly (released its lock), the restart did not seed again, the records serve jobs.
    expect(gone, `database process ${databasePid} still runs 10 s after npm start was SIGKILLed`).toBe(true);
    expect(lockLeftBehind, 'the database process left its folder lock: it did not close the database').toBe(
      false,
    );
    expect(second.process.output).not.toContain('database: seeded');
    expect(second.process.output).not.toContain('waiting for pid');
    expect(job.stdout).toMatch(/SUCCEEDED after/);
    expect(job.code).toBe(0);
  }, 240_000);

  it('a restart waits for the database process of a killed npm start that is still closing, then comes up', async () => {
    // Prepare: the old database process cannot close while it is stopped (SIGSTOP).
    const previous = started.at(-1);
    if (previous === undefined) throw new Error('the earlier tests start npm start');
    const databasePid = databasePidOf(dataDir);
    process.kill(databasePid, 'SIGSTOP');
    stopped.push(databasePid);
    previous.child.kill('SIGKILL');
    await previous.exit;

    // Act
    const restarting = startNpmStart(dataDir, ['--no-schedule', '--port', '0'], {
      SFN_BATCH_SEED_RECORDS: SEED_RECORDS,
    });
    started.push(restarting);
    await restarting.waitForOutput(`waiting for pid ${databasePid}`, 120_000);
    const waitingWhileStopped = isProcessAlive(databasePid);
    process.kill(databasePid, 'SIGCONT');
    await restarting.waitForOutput('Run a job now', 120_000);

    // Assess
    expect(waitingWhileStopped).toBe(true);
    expect(await waitUntil(() => !isProcessAlive(databasePid), 10_000)).toBe(true);
    expect(restarting.output).not.toContain('in use by');
    expect(databasePidOf(dataDir)).not.toBe(databasePid);
  }, 240_000);

  it('stops with exit 1 and says why when its database process dies', async () => {
    // Prepare
    const runtime = started.at(-1);
    if (runtime === undefined) throw new Error('the earlier tests start npm start');
    const databasePid = databasePidOf(dataDir);

    // Act
    process.kill(databasePid, 'SIGKILL');
    const code = await runtime.exit;

    // Assess
    expect(code).toBe(1);
    expect(runtime.output).toContain(
      `npm start: the database process (pid ${databasePid}) was killed by SIGKILL unexpectedly; nothing works without the records database`,
    );
    expect(runtime.output).not.toMatch(/\n\s+at /);
    expect(existsSync(path.join(dataDir, 'runtime.json'))).toBe(false);
  }, 120_000);

  it('on Ctrl-C in its terminal (SIGINT to the process group), closes runtime then database: exit 0, nothing left, records intact', async () => {
    // Prepare: a process group of its own, as a terminal gives it.
    const child = spawn(NODE, [path.join(REPO, 'local', 'main.ts'), '--no-schedule', '--port', '0'], {
      cwd: REPO,
      env: isolatedEnv(dataDir, { SFN_BATCH_DATA_DIR: dataDir, SFN_BATCH_SEED_RECORDS: SEED_RECORDS }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const result = collectOutput(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    expect(await waitUntil(() => output.includes('Run a job now'), 120_000), output).toBe(true);
    const databasePid = databasePidOf(dataDir);

    // Act
    process.kill(-(child.pid ?? 0), 'SIGINT');
    const { code, stdout, stderr } = await result;

    // Assess
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain('stopped.');
    expect(stderr).not.toContain('could not close');
    expect(isProcessAlive(databasePid)).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
    const db = await openDatabase({ dataDir: path.join(dataDir, 'pglite') });
    try {
      const { rows } = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM records');
      expect(rows[0]?.count).toBe(Number(SEED_RECORDS));
    } finally {
      await db.close();
    }
  }, 180_000);
});
