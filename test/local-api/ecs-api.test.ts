import {
  ClientException,
  ClusterNotFoundException,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  InvalidParameterException,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  ecsClient,
  makeJob,
  REGION,
  sfnClient,
  startTestRuntime,
  taskDefinition,
  useTestRuntime,
  waitForStatus,
  waitUntil,
} from '../local-runtime/helpers.ts';
import { rawCall } from './raw-http.ts';

const CLUSTER = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/sfn-batch-test`;

describe('local ECS API driven by the unmodified @aws-sdk/client-ecs', () => {
  // Tagged as the templates tag their tasks (the job's name).
  const definition = taskDefinition({ timeoutSeconds: 60 });
  const state = definition.States['Run job task'];
  if (state !== undefined) {
    state.Parameters = { ...(state.Parameters as object), Tags: [{ Key: 'job', Value: 'run-task' }] };
  }
  const local = useTestRuntime([{ job: makeJob('run-task'), definition }]);

  async function startTask(command: string[]): Promise<{ executionArn: string; taskArn: string }> {
    const before = new Set((await local.ecs.send(new ListTasksCommand({ cluster: CLUSTER }))).taskArns);
    const started = await local.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: local.runtime.stateMachineArn('run-task'),
        input: JSON.stringify({ command }),
      }),
    );
    let taskArn: string | undefined;
    await waitUntil(() => {
      void local.ecs.send(new ListTasksCommand({ cluster: CLUSTER })).then((listed) => {
        taskArn = listed.taskArns?.find((arn) => !before.has(arn));
      });
      return taskArn !== undefined;
    });
    if (taskArn === undefined) throw new Error('the task never appeared in ListTasks');
    return { executionArn: started.executionArn ?? '', taskArn };
  }

  async function describeOne(taskArn: string, include?: 'TAGS'): Promise<Task> {
    const described = await local.ecs.send(
      new DescribeTasksCommand({
        cluster: CLUSTER,
        tasks: [taskArn],
        ...(include ? { include: [include] } : {}),
      }),
    );
    const [task] = described.tasks ?? [];
    if (task === undefined) throw new Error(`no task ${taskArn}`);
    return task;
  }

  it('lists a running job task, stops it, shows stop code, reason and exit code, and fails the execution', async () => {
    // Prepare
    const { executionArn, taskArn } = await startTask(['sleep', '60000']);
    let running = await describeOne(taskArn);
    while (running.lastStatus !== 'RUNNING') running = await describeOne(taskArn);
    // Act
    const stopped = await local.ecs.send(
      new StopTaskCommand({ cluster: CLUSTER, task: taskArn, reason: 'Stopped by the on-call engineer' }),
    );
    const execution = await waitForStatus(local.sfn, executionArn);
    const after = await describeOne(taskArn);
    // Assess
    expect(running).toMatchObject({
      taskArn,
      clusterArn: CLUSTER,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      startedBy: 'AWS Step Functions',
      group: 'family:sfn-batch-test-test-task',
      launchType: 'FARGATE',
    });
    expect(running.createdAt).toBeInstanceOf(Date);
    expect(running.startedAt?.getTime()).toBeGreaterThanOrEqual(running.createdAt?.getTime() ?? 0);
    expect(running.overrides?.containerOverrides?.[0]?.command).toEqual(['sleep', '60000']);
    expect(running.tags).toBeUndefined();
    expect((await describeOne(taskArn, 'TAGS')).tags).toEqual([{ key: 'job', value: 'run-task' }]);
    expect(stopped.task?.desiredStatus).toBe('STOPPED');
    expect(after).toMatchObject({
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'Stopped by the on-call engineer',
    });
    expect(after.containers?.[0]?.exitCode).toBe(143);
    expect(after.stoppedAt?.getTime()).toBeGreaterThanOrEqual(after.startedAt?.getTime() ?? 0);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.TaskFailed');
    const cause = JSON.parse(execution.cause ?? '{}');
    expect(cause).toMatchObject({
      StopCode: 'UserInitiated',
      StoppedReason: 'Stopped by the on-call engineer',
    });
    expect(cause.Containers[0].ExitCode).toBe(143);
    const listedStopped = await local.ecs.send(
      new ListTasksCommand({ cluster: CLUSTER, desiredStatus: 'STOPPED' }),
    );
    expect(listedStopped.taskArns).toContain(taskArn);
    const listedRunning = await local.ecs.send(new ListTasksCommand({ cluster: CLUSTER }));
    expect(listedRunning.taskArns).not.toContain(taskArn);
  });

  it('filters ListTasks by family and startedBy, and pages it', async () => {
    const first = await startTask(['sleep', '60000']);
    const second = await startTask(['sleep', '60000']);
    const byFamily = await local.ecs.send(
      new ListTasksCommand({ cluster: CLUSTER, family: 'sfn-batch-test-test-task' }),
    );
    expect(byFamily.taskArns).toEqual(expect.arrayContaining([first.taskArn, second.taskArn]));
    const otherFamily = await local.ecs.send(new ListTasksCommand({ cluster: CLUSTER, family: 'nope' }));
    expect(otherFamily.taskArns).toEqual([]);
    const byStarter = await local.ecs.send(
      new ListTasksCommand({ cluster: CLUSTER, startedBy: 'someone-else' }),
    );
    expect(byStarter.taskArns).toEqual([]);
    const page = await local.ecs.send(new ListTasksCommand({ cluster: CLUSTER, maxResults: 1 }));
    expect(page.taskArns).toHaveLength(1);
    const rest = await local.ecs.send(
      new ListTasksCommand({ cluster: CLUSTER, maxResults: 1, nextToken: page.nextToken }),
    );
    expect(rest.taskArns).toHaveLength(1);
    expect(rest.taskArns?.[0]).not.toBe(page.taskArns?.[0]);
    for (const { taskArn } of [first, second])
      await local.ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: taskArn }));
    const described = await describeOne(first.taskArn);
    expect(described.desiredStatus).toBe('STOPPED');
  });

  it('describes a missing task as a MISSING failure, and accepts a task ID', async () => {
    const { taskArn } = await startTask(['sleep', '60000']);
    const id = taskArn.split('/').pop() ?? '';
    const described = await local.ecs.send(
      new DescribeTasksCommand({ cluster: CLUSTER, tasks: [id, 'f'.repeat(32)] }),
    );
    expect(described.tasks?.map((task) => task.taskArn)).toEqual([taskArn]);
    expect(described.failures).toEqual([
      { arn: `${CLUSTER.replace(':cluster/', ':task/')}/${'f'.repeat(32)}`, reason: 'MISSING' },
    ]);
    await local.ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: id }));
  });

  it('answers with the errors ECS has', async () => {
    await expect(local.ecs.send(new ListTasksCommand({ cluster: 'no-such-cluster' }))).rejects.toBeInstanceOf(
      ClusterNotFoundException,
    );
    await expect(
      local.ecs.send(new ListTasksCommand({ cluster: CLUSTER, maxResults: 101 })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      local.ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: 'f'.repeat(32) })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      local.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'no-such-family' })),
    ).rejects.toBeInstanceOf(ClientException);
    const raw = await rawCall(
      local.runtime.endpoint,
      'AmazonEC2ContainerServiceV20141113.ListTasks',
      JSON.stringify({ cluster: CLUSTER, desiredStatus: 'SLEEPING' }),
      '1.1',
    );
    expect(raw.status).toBe(400);
    expect(raw.type).toBe('InvalidParameterException');
    const missing = await rawCall(
      local.runtime.endpoint,
      'AmazonEC2ContainerServiceV20141113.DescribeTasks',
      '{}',
      '1.1',
    );
    expect(missing.type).toBe('InvalidParameterException');
  });

  it('serves the task definitions serverless.yml deploys', async () => {
    const listed = await local.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'sfn-batch-test-' }));
    expect(listed.taskDefinitionArns).toEqual([
      `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/sfn-batch-test-batch-jobs:1`,
      `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/sfn-batch-test-xlsx-converter:1`,
    ]);
    const described = await local.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'sfn-batch-test-batch-jobs', include: ['TAGS'] }),
    );
    expect(described.taskDefinition).toMatchObject({
      family: 'sfn-batch-test-batch-jobs',
      revision: 1,
      status: 'ACTIVE',
      cpu: '256',
      memory: '512',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
    });
    const container = described.taskDefinition?.containerDefinitions?.[0];
    expect(container).toMatchObject({ name: 'batch-jobs', essential: true, stopTimeout: 30 });
    expect(container?.image).toBe(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/sfn-batch/batch-jobs:local`);
    expect(container?.logConfiguration?.options?.['awslogs-stream-prefix']).toBe('batch-jobs');
    expect(described.tags).toContainEqual({ key: 'container', value: 'batch-jobs' });
    for (const reference of [
      'sfn-batch-test-batch-jobs:1',
      `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/sfn-batch-test-batch-jobs:1`,
    ]) {
      const byReference = await local.ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: reference }),
      );
      expect(byReference.taskDefinition?.taskDefinitionArn).toBe(listed.taskDefinitionArns?.[0]);
      expect(byReference.tags).toBeUndefined();
    }
    const descending = await local.ecs.send(new ListTaskDefinitionsCommand({ sort: 'DESC', maxResults: 1 }));
    expect(descending.taskDefinitionArns).toEqual([listed.taskDefinitionArns?.[1]]);
    expect(descending.nextToken).toBeDefined();
  });

  it('shows a task waiting for capacity as PROVISIONING and stops it before it starts', async () => {
    // One task slot: the second task waits in PROVISIONING, as capacity-provider tasks do.
    const small = await startTestRuntime(
      [{ job: makeJob('run-task'), definition: taskDefinition({ timeoutSeconds: 60 }) }],
      { maxConcurrentTasks: 1 },
    );
    try {
      const client = ecsClient(small.endpoint);
      const sfnLocal = sfnClient(small.endpoint);
      const start = async () =>
        (
          await sfnLocal.send(
            new StartExecutionCommand({
              stateMachineArn: small.stateMachineArn('run-task'),
              input: JSON.stringify({ command: ['sleep', '60000'] }),
            }),
          )
        ).executionArn ?? '';
      const first = await start();
      const second = await start();
      let tasks: Task[] = [];
      while (tasks.length < 2) {
        const listed = await client.send(new ListTasksCommand({ cluster: CLUSTER }));
        tasks =
          (listed.taskArns ?? []).length < 2
            ? []
            : ((await client.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: listed.taskArns })))
                .tasks ?? []);
      }
      const queued = tasks.find((task) => task.lastStatus === 'PROVISIONING');
      expect(tasks.map((task) => task.lastStatus).sort()).toEqual(['PROVISIONING', 'RUNNING']);
      expect(queued?.startedAt).toBeUndefined();
      await client.send(
        new StopTaskCommand({ cluster: CLUSTER, task: queued?.taskArn, reason: 'not needed' }),
      );
      const failed = await waitForStatus(sfnLocal, second);
      const [after] =
        (await client.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [queued?.taskArn ?? ''] })))
          .tasks ?? [];
      expect(after).toMatchObject({
        lastStatus: 'STOPPED',
        stopCode: 'UserInitiated',
        stoppedReason: 'not needed',
      });
      expect(after?.containers?.[0]?.exitCode).toBeUndefined();
      expect(failed.status).toBe('FAILED');
      expect((await sfnLocal.send(new DescribeExecutionCommand({ executionArn: first }))).status).toBe(
        'RUNNING',
      );
    } finally {
      await small.close();
    }
  });
});
