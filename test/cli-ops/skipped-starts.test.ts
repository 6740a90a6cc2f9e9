// batchctl ps, run --wait and logs show a start that the duplicate-start guard skipped as
// SKIPPED (SUCCEEDED to the API), naming the execution it waited for. The real batchctl
// against a runtime with the real scheduled-task workflow and the real guard Lambda; spawns
// batchctl (about a second per call).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadJobSpecs } from '../../lib/schedule/load.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { writeRuntimeFile } from '../../local/runtime-file.ts';
import { sfnClient, startedTask, startTestRuntime, waitForStatus } from '../local-runtime/helpers.ts';
import { batchctl, REPO } from '../support/processes.ts';

/** A catalogue job (batchctl run validates against schedules/), concurrency forbid by default. */
const JOB = 'refresh-search-index';

/** The STATUS column of the `batchctl ps` row of execution `name`. */
function statusOf(psOutput: string, name: string): string | undefined {
  return psOutput
    .split('\n')
    .find((line) => line.trimEnd().endsWith(` ${name}`))
    ?.split(/\s+/)[0];
}

describe('skipped duplicate starts in batchctl', () => {
  let runtime: LocalRuntime;
  let dataDir: string;
  let runningArn: string;
  const release = () => path.join(dataDir, 'release');

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-skipped-starts-'));
    const job = (await loadJobSpecs()).find((candidate) => candidate.name === JOB);
    if (!job) throw new Error(`schedules/${JOB}.yml is missing; the suite uses it`);
    expect(job.concurrency).toBe('forbid');
    runtime = await startTestRuntime([{ job: { ...job, command: ['wait-for-file', release()] } }], {
      dataDir: path.join(dataDir, 'runtime'),
      functionsDir: path.join(REPO, 'functions'),
      lambdaEnvironment: { POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
    });
    await writeRuntimeFile(dataDir, {
      endpoint: runtime.endpoint,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stage: 'test',
    });
    const started = await sfnClient(runtime.endpoint).send(
      new StartExecutionCommand({
        stateMachineArn: runtime.stateMachineArn(JOB),
        name: 'search-index-holder',
      }),
    );
    runningArn = started.executionArn ?? '';
    // The holder's task runs (past its guard) before any other start is made.
    expect(await startedTask(runtime.endpoint, runningArn, 30_000)).toBeDefined();
  }, 60_000);

  afterAll(async () => {
    if (dataDir) writeFileSync(release(), 'go');
    await runtime?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('run --wait reports the skipped start as SKIPPED, naming the blocking execution', async () => {
    // Act
    const result = await batchctl(dataDir, ['run', JOB, '--wait', '--name', 'search-index-duplicate']);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/search-index-duplicate: SKIPPED after/);
    expect(result.stdout).toContain('skipped: execution search-index-holder (started ');
    expect(result.stdout).toContain(`blocking execution: ${runningArn}`);
    expect(result.code).toBe(0);
  }, 60_000);

  it('ps lists the skipped start as SKIPPED and the running one as RUNNING', async () => {
    // Act
    const result = await batchctl(dataDir, ['ps']);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(statusOf(result.stdout, 'search-index-duplicate')).toBe('SKIPPED');
    expect(statusOf(result.stdout, 'search-index-holder')).toBe('RUNNING');
    expect(result.stdout).toContain('SKIPPED: a duplicate start the guard skipped');
  }, 60_000);

  it('logs of a skipped start name the blocking execution instead of printing nothing', async () => {
    // Act
    const result = await batchctl(dataDir, ['logs', 'search-index-duplicate']);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('search-index-duplicate: SKIPPED after');
    expect(result.stdout).toContain(`blocking execution: ${runningArn}`);
    expect(result.stdout).toContain('a skipped start runs no task');
  }, 60_000);

  it('ps shows a start that ran as SUCCEEDED, not SKIPPED', async () => {
    // Prepare: the holder ends.
    writeFileSync(release(), 'go');
    expect((await waitForStatus(sfnClient(runtime.endpoint), runningArn, 30_000)).status).toBe('SUCCEEDED');

    // Act
    const result = await batchctl(dataDir, ['ps', '--job', JOB]);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(statusOf(result.stdout, 'search-index-holder')).toBe('SUCCEEDED');
    expect(statusOf(result.stdout, 'search-index-duplicate')).toBe('SKIPPED');
  }, 60_000);
});
