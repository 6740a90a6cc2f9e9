import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRuntimeFile } from '../../local/runtime-file.ts';
import { makeJob, taskDefinition, useTestRuntime, waitForStatus } from '../local-runtime/helpers.ts';
import { batchctl } from '../support/processes.ts';

const MACHINE = 'arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-test-nightly';

// Spawns batchctl (about a second per call): the refusal is the CLI's, the API keeps AWS's behaviour.
describe('batchctl redrive while another execution of the job runs', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-redrive-guard-'));
  const releaseFile = path.join(dataDir, 'release');
  let failedArn: string;
  let runningArn: string;

  // afterAll hooks run in reverse order: the folder goes after the runtime has closed (which
  // stops the still-waiting task).
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });
  const local = useTestRuntime([{ job: makeJob('nightly'), definition: taskDefinition() }], {
    dataDir: path.join(dataDir, 'runtime'),
  });

  beforeAll(async () => {
    await writeRuntimeFile(dataDir, {
      endpoint: local.runtime.endpoint,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stage: 'test',
    });
    const failed = await local.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: MACHINE,
        name: 'nightly-old-failure',
        input: JSON.stringify({ command: ['exit', '3'] }),
      }),
    );
    failedArn = failed.executionArn ?? '';
    await waitForStatus(local.sfn, failedArn);
    const running = await local.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: MACHINE,
        name: 'nightly-current-run',
        input: JSON.stringify({ command: ['wait-for-file', releaseFile] }),
      }),
    );
    runningArn = running.executionArn ?? '';
  });

  it('refuses, naming the running execution, and leaves the failed one as it was', async () => {
    // Act
    const result = await batchctl(dataDir, ['redrive', 'nightly-old-failure']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`not redriving ${failedArn}`);
    expect(result.stderr).toContain('execution nightly-current-run (started ');
    expect(result.stderr).toContain('--force');
    const described = await local.sfn.send(new DescribeExecutionCommand({ executionArn: failedArn }));
    expect(described).toMatchObject({ status: 'FAILED', redriveCount: 0 });
  });

  it('redrives anyway with --force', async () => {
    // Act
    const result = await batchctl(dataDir, ['redrive', 'nightly-old-failure', '--force']);

    // Assess
    expect(result.stdout).toContain(`redriven ${failedArn}`);
    expect(result.code).toBe(0);
    const described = await local.sfn.send(new DescribeExecutionCommand({ executionArn: runningArn }));
    expect(described.status).toBe('RUNNING');
  });
});
