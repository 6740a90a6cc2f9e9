import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.ts';
import { writeRuntimeFile } from '../../local/runtime-file.ts';
import {
  makeJob,
  sfnClient,
  startTestRuntime,
  taskDefinition,
  waitForStatus,
} from '../local-runtime/helpers.ts';
import { batchctl } from '../support/processes.ts';

const MACHINE = 'arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-test-nightly';

// Spawns batchctl (about a second per call): the refusal is the CLI's, the API keeps AWS's behaviour.
describe('batchctl redrive while another execution of the job runs', () => {
  let runtime: LocalRuntime;
  let dataDir: string;
  let failedArn: string;
  let runningArn: string;
  const releaseFile = () => path.join(dataDir, 'release');

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-redrive-guard-'));
    runtime = await startTestRuntime([{ job: makeJob('nightly'), definition: taskDefinition() }], {
      dataDir: path.join(dataDir, 'runtime'),
    });
    await writeRuntimeFile(dataDir, {
      endpoint: runtime.endpoint,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stage: 'test',
    });
    const client = sfnClient(runtime.endpoint);
    const failed = await client.send(
      new StartExecutionCommand({
        stateMachineArn: MACHINE,
        name: 'nightly-old-failure',
        input: JSON.stringify({ command: ['exit', '3'] }),
      }),
    );
    failedArn = failed.executionArn ?? '';
    await waitForStatus(client, failedArn);
    const running = await client.send(
      new StartExecutionCommand({
        stateMachineArn: MACHINE,
        name: 'nightly-current-run',
        input: JSON.stringify({ command: ['wait-for-file', releaseFile()] }),
      }),
    );
    runningArn = running.executionArn ?? '';
  });

  afterAll(async () => {
    writeFileSync(releaseFile(), 'go');
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses, naming the running execution, and leaves the failed one as it was', async () => {
    // Act
    const result = await batchctl(dataDir, ['redrive', 'nightly-old-failure']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`not redriving ${failedArn}`);
    expect(result.stderr).toContain('execution nightly-current-run (started ');
    expect(result.stderr).toContain('--force');
    const described = await sfnClient(runtime.endpoint).send(
      new DescribeExecutionCommand({ executionArn: failedArn }),
    );
    expect(described).toMatchObject({ status: 'FAILED', redriveCount: 0 });
  });

  it('redrives anyway with --force', async () => {
    // Act
    const result = await batchctl(dataDir, ['redrive', 'nightly-old-failure', '--force']);

    // Assess
    expect(result.stdout).toContain(`redriven ${failedArn}`);
    expect(result.code).toBe(0);
    const described = await sfnClient(runtime.endpoint).send(
      new DescribeExecutionCommand({ executionArn: runningArn }),
    );
    expect(described.status).toBe('RUNNING');
  });
});
