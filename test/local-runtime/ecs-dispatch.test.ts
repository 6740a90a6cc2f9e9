import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GetExecutionHistoryCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import {
  containerPid,
  makeJob,
  processExists,
  runtimesPerTest,
  sfnClient,
  startedTask,
  startTestRuntime,
  taskDefinition,
  taskLogs,
  tempDataDir,
  waitForStatus,
  waitUntil,
} from './helpers.ts';

describe('ecs:runTask.sync dispatch to child processes', () => {
  const startRuntime = runtimesPerTest();

  async function start(definition = taskDefinition({ timeoutSeconds: 30 }), options = {}) {
    const runtime = await startRuntime([{ job: makeJob('run-task'), definition }], options);
    const client = sfnClient(runtime.endpoint);
    const stateMachineArn = runtime.stateMachineArn('run-task');
    const run = async (command: string[]) => {
      const started = await client.send(
        new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ command }) }),
      );
      return started.executionArn ?? '';
    };
    return { client, run, runtime };
  }

  it('returns the stopped task description in PascalCase and keeps the container output', async () => {
    // Prepare
    const { client, run, runtime } = await start();
    // Act
    const executionArn = await run(['succeed']);
    const described = await waitForStatus(client, executionArn);
    // Assess
    expect(described.status).toBe('SUCCEEDED');
    const task = JSON.parse(described.output ?? '{}');
    expect(task).toMatchObject({
      LastStatus: 'STOPPED',
      DesiredStatus: 'STOPPED',
      StopCode: 'EssentialContainerExited',
      StoppedReason: 'Essential container in task exited',
      Cpu: '256',
      Memory: '512',
      LaunchType: 'FARGATE',
      CapacityProviderName: 'FARGATE',
      ClusterArn: 'arn:aws:ecs:ap-northeast-1:000000000000:cluster/sfn-batch-test',
      TaskDefinitionArn: 'arn:aws:ecs:ap-northeast-1:000000000000:task-definition/sfn-batch-test-test-task:1',
      Group: 'family:sfn-batch-test-test-task',
      Containers: [{ Name: 'test-task', ExitCode: 0, LastStatus: 'STOPPED' }],
    });
    expect(typeof task.CreatedAt).toBe('number');
    expect(task.StoppedAt).toBeGreaterThanOrEqual(task.StartedAt);
    const history = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events?.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(history.events?.[2]?.taskScheduledEventDetails).toMatchObject({
      resourceType: 'ecs',
      resource: 'runTask.sync',
      timeoutInSeconds: 30,
    });
    const [logged] = await taskLogs(runtime.endpoint, executionArn);
    expect(logged).toMatchObject({ container: 'test-task', command: ['succeed'], exitCode: 0 });
    const started = JSON.parse(logged?.lines[0]?.text ?? '{}');
    expect(JSON.parse(started.input)).toEqual({ command: ['succeed'] });
    expect(started.endpoint).toBe(runtime.endpoint);
    // The ENV of the container's Dockerfile reaches the process, as Fargate gives it the image's.
    expect(started).toMatchObject({
      imageEnvironment: 'set by the test-task Dockerfile',
      nodeEnv: 'production',
    });
    expect(logged?.lines).toContainEqual(
      expect.objectContaining({ stream: 'stderr', text: 'a line on stderr' }),
    );
  });

  it('fails with States.TaskFailed and the task description as Cause on a non-zero exit', async () => {
    // Prepare
    const { client, run } = await start();
    // Act
    const described = await waitForStatus(client, await run(['exit', '3']));
    // Assess
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('States.TaskFailed');
    const cause = JSON.parse(described.cause ?? '{}');
    expect(cause).toMatchObject({
      StopCode: 'EssentialContainerExited',
      LastStatus: 'STOPPED',
      Containers: [{ ExitCode: 3, Name: 'test-task' }],
    });
  });

  it('kills the task process group on a state timeout and leaves no orphan', async () => {
    // Prepare
    const { client, run, runtime } = await start(taskDefinition({ timeoutSeconds: 1 }));
    const pidFile = path.join(tempDataDir(), 'grandchild.pid');
    // Act
    const executionArn = await run(['with-grandchild', pidFile]);
    const described = await waitForStatus(client, executionArn);
    // Assess
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('States.Timeout');
    expect(await waitUntil(() => existsSync(pidFile))).toBe(true);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    const [logged] = await taskLogs(runtime.endpoint, executionArn);
    const pid = containerPid(logged);
    expect(await waitUntil(() => !processExists(pid) && !processExists(grandchild))).toBe(true);
    const [stopped] = await taskLogs(runtime.endpoint, executionArn);
    expect(stopped?.stopCode).toBe('UserInitiated');
    expect(stopped?.stoppedReason).toBe(
      `Task stopped by AWS Step Functions: the state "Run job task" of execution ${executionArn} timed out after 1 seconds (States.Timeout)`,
    );
    expect(stopped?.exitCode).toBe(137);
    const history = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events?.map((event) => event.type)).toContain('TaskTimedOut');
  });

  it('ends a grandchild that moved to its own session with setsid when the task is stopped', async () => {
    // Prepare
    const { client, run, runtime } = await start();
    const pidFile = path.join(tempDataDir(), 'daemon.pid');
    const executionArn = await run(['setsid-daemon', pidFile]);
    expect(await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '')).toBe(true);
    const daemon = Number(readFileSync(pidFile, 'utf8'));
    const pid = containerPid(await startedTask(runtime.endpoint, executionArn));
    expect(processExists(daemon)).toBe(true);
    // Act
    await client.send(new StopExecutionCommand({ executionArn }));
    // Assess
    expect(await waitUntil(() => !processExists(pid) && !processExists(daemon))).toBe(true);
  });

  it('ends a setsid daemon left behind by a task that exits, as the end of a Fargate task would', async () => {
    // Prepare
    const { client, run } = await start();
    const pidFile = path.join(tempDataDir(), 'daemon.pid');
    // Act
    const executionArn = await run(['setsid-daemon-and-exit', pidFile]);
    const described = await waitForStatus(client, executionArn);
    // Assess
    expect(described.status).toBe('SUCCEEDED');
    const daemon = Number(readFileSync(pidFile, 'utf8'));
    expect(await waitUntil(() => !processExists(daemon))).toBe(true);
  });

  it('stops the running task when the execution is stopped', async () => {
    // Prepare
    const { client, run, runtime } = await start();
    const executionArn = await run(['sleep', '60000']);
    const pid = containerPid(await startedTask(runtime.endpoint, executionArn));
    expect(processExists(pid)).toBe(true);
    // Act
    await client.send(
      new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'not needed today' }),
    );
    // Assess
    expect(await waitUntil(() => !processExists(pid))).toBe(true);
    await waitUntil(() => false, 100);
    const [stopped] = await taskLogs(runtime.endpoint, executionArn);
    expect(stopped).toMatchObject({ stopCode: 'UserInitiated', exitCode: 143 });
    expect(stopped?.stoppedReason).toContain(executionArn);
    expect(stopped?.lines.map((line) => line.text)).toContain('stopping on SIGTERM');
  });

  it('fails RunTask with ECS.AmazonECSException on injected capacity errors, without a task', async () => {
    // Prepare
    const { client, run, runtime } = await start(undefined, { faults: { capacityUnavailable: 1 } });
    // Act
    const executionArn = await run(['succeed']);
    const described = await waitForStatus(client, executionArn);
    // Assess
    expect(described.error).toBe('ECS.AmazonECSException');
    expect(described.cause).toContain('Capacity is unavailable at this time');
    expect(await taskLogs(runtime.endpoint, executionArn)).toEqual([]);
  });

  it('stops injected TaskFailedToStart tasks before any process starts', async () => {
    // Prepare
    const { client, run, runtime } = await start(undefined, { faults: { cannotPullContainerError: 1 } });
    // Act
    const executionArn = await run(['succeed']);
    const described = await waitForStatus(client, executionArn);
    // Assess
    expect(described.error).toBe('States.TaskFailed');
    const cause = JSON.parse(described.cause ?? '{}');
    expect(cause.StopCode).toBe('TaskFailedToStart');
    expect(cause.StoppedReason).toMatch(/^CannotPullContainerError: /);
    expect(cause.Containers[0].ExitCode).toBeUndefined();
    const [logged] = await taskLogs(runtime.endpoint, executionArn);
    expect(logged).toMatchObject({ startedAt: null, lines: [], stopCode: 'TaskFailedToStart' });
  });

  it('retries injected capacity errors to success with the state Retry', async () => {
    // Prepare
    const definition = taskDefinition({
      timeoutSeconds: 30,
      retry: [
        { ErrorEquals: ['ECS.AmazonECSException'], IntervalSeconds: 1, MaxAttempts: 10, BackoffRate: 2 },
      ],
    });
    const { client, run } = await start(definition, { faults: { capacityUnavailable: 0.5, seed: 2 } });
    // Act
    const executionArn = await run(['succeed']);
    const described = await waitForStatus(client, executionArn);
    // Assess
    expect(described.status).toBe('SUCCEEDED');
    const history = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = history.events?.map((event) => event.type) ?? [];
    expect(types.filter((type) => type === 'TaskFailed').length).toBeGreaterThan(0);
    expect(types.filter((type) => type === 'TaskSucceeded')).toHaveLength(1);
  });

  it('interrupts Spot tasks mid-run with StopCode SpotInterruption', async () => {
    // Prepare
    const { client, run } = await start(taskDefinition({ timeoutSeconds: 30, spot: true }), {
      faults: { spotInterruption: 1 },
    });
    // Act
    const described = await waitForStatus(client, await run(['sleep', '60000']));
    // Assess
    expect(described.error).toBe('States.TaskFailed');
    const cause = JSON.parse(described.cause ?? '{}');
    expect(cause).toMatchObject({ StopCode: 'SpotInterruption', CapacityProviderName: 'FARGATE_SPOT' });
    expect(cause.StoppedReason).toBe('Your Spot Task was interrupted.');
  });

  it('queues tasks over the concurrency cap instead of running them at once', async () => {
    // Prepare
    const { client, run, runtime } = await start(undefined, { maxConcurrentTasks: 1 });
    // Act
    const first = await run(['sleep', '300']);
    const second = await run(['sleep', '300']);
    await waitForStatus(client, first);
    await waitForStatus(client, second);
    // Assess
    const [a] = await taskLogs(runtime.endpoint, first);
    const [b] = await taskLogs(runtime.endpoint, second);
    const intervals = [a, b]
      .map((task) => [Date.parse(task?.startedAt ?? ''), Date.parse(task?.stoppedAt ?? '')] as const)
      .sort((x, y) => x[0] - y[0]);
    expect(intervals[1]?.[0]).toBeGreaterThanOrEqual(intervals[0]?.[1] ?? Number.NaN);
  });
});

describe('execution timeout', () => {
  it('times the execution out and stops its running task', async () => {
    // Prepare
    const definition = { ...taskDefinition({ timeoutSeconds: 60 }), TimeoutSeconds: 1 };
    const runtime = await startTestRuntime([{ job: makeJob('run-task'), definition }]);
    try {
      const client = sfnClient(runtime.endpoint);
      const started = await client.send(
        new StartExecutionCommand({
          stateMachineArn: runtime.stateMachineArn('run-task'),
          input: JSON.stringify({ command: ['sleep', '60000'] }),
        }),
      );
      const executionArn = started.executionArn ?? '';
      const pid = containerPid(await startedTask(runtime.endpoint, executionArn));
      // Act
      const described = await waitForStatus(client, executionArn);
      // Assess
      expect(described).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
      expect(await waitUntil(() => !processExists(pid))).toBe(true);
      const history = await client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }));
      expect(history.events?.[0]?.type).toBe('ExecutionTimedOut');
    } finally {
      await runtime.close();
    }
  });
});
