import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  RedriveExecutionCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import {
  containerPid,
  FIXTURES,
  makeJob,
  processExists,
  runtimesPerTest,
  sfnClient,
  startedTask,
  startTestRuntime,
  taskDefinition,
  tempDataDir,
  waitForStatus,
  waitUntil,
} from './helpers.ts';

const NODE = path.resolve('node_modules/.bin/node');

function startRuntimeProcess(dataDir: string): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(NODE, [path.join(FIXTURES, 'run-runtime.ts'), dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((item) => item.startsWith('{'));
      if (line !== undefined)
        resolve({ child, endpoint: (JSON.parse(line) as { endpoint: string }).endpoint });
    });
    child.on('exit', (code) => reject(new Error(`runtime process exited with ${code} before serving`)));
  });
}

describe('durable executions across runtime restarts', () => {
  const startRuntime = runtimesPerTest();
  let crashed: ChildProcess | undefined;

  afterEach(() => {
    crashed?.kill('SIGKILL');
  });

  it('closes an execution left running by a killed runtime as ABORTED at its last heartbeat, then a redrive finishes it', async () => {
    // Prepare
    const dataDir = tempDataDir();
    const readyFile = path.join(dataDir, 'ready');
    const first = await startRuntimeProcess(dataDir);
    crashed = first.child;
    const firstClient = sfnClient(first.endpoint);
    const started = await firstClient.send(
      new StartExecutionCommand({
        stateMachineArn: 'arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-test-run-task',
        name: 'survives-a-crash',
        input: JSON.stringify({ command: ['wait-for-file', readyFile] }),
      }),
    );
    const executionArn = started.executionArn ?? '';
    const orphan = containerPid(await startedTask(first.endpoint, executionArn));
    // Act
    await new Promise((resolve) => setTimeout(resolve, 500));
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    // The restart comes well after the crash: the stop date must be the crash, not the restart.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const restartedAt = Date.now();
    const notified: Array<{ detail: { executionArn: string; status: string; error: string } }> = [];
    const runtime = await startRuntime(
      [{ job: makeJob('run-task'), definition: taskDefinition({ timeoutSeconds: 60 }) }],
      {
        dataDir,
        onStatusChangeEvent: async (event) => {
          notified.push(event as (typeof notified)[number]);
        },
      },
    );
    const client = sfnClient(runtime.endpoint);
    const aborted = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(await waitUntil(() => notified.length > 0)).toBe(true);
    expect(notified[0]?.detail).toMatchObject({
      executionArn,
      status: 'ABORTED',
      error: 'LocalRuntimeStopped',
    });
    // Assess
    expect(await waitUntil(() => !processExists(orphan))).toBe(true);
    expect(aborted.status).toBe('ABORTED');
    expect(aborted.cause).toMatch(
      new RegExp(
        `^The local runtime stopped while this execution was running \\(pid ${first.child.pid}, last known alive .*, which is the stop date\\)\\. Redrive it to continue\\.$`,
      ),
    );
    const stopDate = aborted.stopDate?.getTime() ?? 0;
    expect(stopDate).toBeLessThanOrEqual(killedAt);
    expect(stopDate).toBeGreaterThan(killedAt - 1000);
    expect(restartedAt - stopDate).toBeGreaterThan(1400);
    expect(aborted.redriveStatus).toBe('REDRIVABLE');

    writeFileSync(readyFile, 'go');
    await client.send(new RedriveExecutionCommand({ executionArn }));
    const finished = await waitForStatus(client, executionArn);
    expect(finished).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    const history = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = history.events?.map((event) => event.type) ?? [];
    expect(types.slice(0, 2)).toEqual(['ExecutionStarted', 'TaskStateEntered']);
    expect(types).toContain('ExecutionAborted');
    expect(types.indexOf('ExecutionRedriven')).toBeGreaterThan(types.indexOf('ExecutionAborted'));
    expect(types.at(-1)).toBe('ExecutionSucceeded');
  });

  it('records executions running at close() as ABORTED after stopping their tasks, and keeps them', async () => {
    // Prepare
    const dataDir = tempDataDir();
    const readyFile = path.join(dataDir, 'ready');
    const jobs = [{ job: makeJob('run-task'), definition: taskDefinition({ timeoutSeconds: 60 }) }];
    const firstRuntime = await startRuntime(jobs, { dataDir });
    const started = await sfnClient(firstRuntime.endpoint).send(
      new StartExecutionCommand({
        stateMachineArn: firstRuntime.stateMachineArn('run-task'),
        input: JSON.stringify({ command: ['wait-for-file', readyFile] }),
      }),
    );
    const executionArn = started.executionArn ?? '';
    const pid = containerPid(await startedTask(firstRuntime.endpoint, executionArn));
    // Act
    await firstRuntime.close();
    // Assess
    expect(processExists(pid)).toBe(false);
    const runtime = await startRuntime(jobs, { dataDir });
    const client = sfnClient(runtime.endpoint);
    const aborted = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(aborted.status).toBe('ABORTED');
    expect(aborted.cause).toContain('The local runtime was shut down');
    writeFileSync(readyFile, 'go');
    await client.send(new RedriveExecutionCommand({ executionArn }));
    expect((await waitForStatus(client, executionArn)).status).toBe('SUCCEEDED');
  });

  it('refuses a second runtime on the same data directory while the first serves', async () => {
    // Prepare
    const dataDir = tempDataDir();
    const jobs = [{ job: makeJob('run-task'), definition: taskDefinition() }];
    const _runtime = await startRuntime(jobs, { dataDir });
    // Act
    const second = startTestRuntime(jobs, { dataDir });
    // Assess
    await expect(second).rejects.toThrow(/is in use by this process/);
  });
});
