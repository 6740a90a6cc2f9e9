import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.ts';
import { makeJob, sfnClient, waitForStatus } from '../local-runtime/helpers.ts';
import { batchctl } from '../support/processes.ts';
import { startRuntimeForBatchctl } from './batchctl-runtime.ts';

const JOB = 'nightly-report';

// Spawns batchctl (about a second per call): the real CLI against npm start's ECS API.
describe('batchctl tasks and stop-task against the local runtime', () => {
  let runtime: LocalRuntime;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-tasks-'));
    // The real scheduled-task workflow; the batch-jobs container is the test stand-in.
    const job = makeJob(JOB, { container: 'batch-jobs', command: ['sleep', '60000'] });
    runtime = await startRuntimeForBatchctl(job, dataDir, { realWorkflow: true });
  });

  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows a running job's task, stops it, then shows its stop reason and exit code", async () => {
    // Prepare
    const sfn = sfnClient(runtime.endpoint);
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: runtime.stateMachineArn(JOB),
        name: 'tasks-demo',
        input: JSON.stringify({ trigger: 'manual' }),
      }),
    );
    let listed = await batchctl(dataDir, ['tasks']);
    while (!/RUNNING/.test(listed.stdout)) listed = await batchctl(dataDir, ['tasks']);
    const taskId = /RUNNING.*\s([0-9a-f]{32})\s*$/m.exec(listed.stdout)?.[1];
    if (taskId === undefined) throw new Error(`no task id in:\n${listed.stdout}`);
    // Act
    const stopped = await batchctl(dataDir, ['stop-task', taskId, '--reason', 'stuck on a lock']);
    const execution = await waitForStatus(sfn, started.executionArn ?? '');
    const after = await batchctl(dataDir, ['tasks', '--job', JOB]);
    // Assess
    expect(listed.stdout).toMatch(/^STATUS\s+JOB\s+EXECUTION/);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`stopping ${taskId}`);
    expect(after.stdout).toMatch(
      new RegExp(`STOPPED\\s.*\\s143\\s+UserInitiated\\s+stuck on a lock\\s+${taskId}`),
    );
    // As on AWS: the stopped task is the job's own failure (exit 143), not a provisioning one, so no retry.
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('JobFailed');
    expect(execution.cause).toContain(
      `Job ${JOB} failed: container exited with code 143 (stuck on a lock) on attempt 1`,
    );
    expect(after.stdout).toMatch(new RegExp(`STOPPED\\s+${JOB}\\s+tasks-demo\\s`));
  });

  it('refuses to stop a task that does not exist, with ECS’s error', async () => {
    const result = await batchctl(dataDir, ['stop-task', 'f'.repeat(32)]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('InvalidParameterException: The referenced task was not found.');
  });
});
