import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  ListTagsForResourceCommand,
  RedriveExecutionCommand,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  lambdaDefinition,
  makeJob,
  REGION,
  taskDefinition,
  useTestRuntime,
  waitForStatus,
} from './helpers.ts';

describe('local Step Functions API driven by the unmodified @aws-sdk/client-sfn', () => {
  const local = useTestRuntime(
    [
      { job: makeJob('run-task'), definition: taskDefinition({ timeoutSeconds: 30 }) },
      { job: makeJob('call-lambda'), definition: lambdaDefinition('echo') },
      { job: makeJob('reject-input'), definition: lambdaDefinition('reject-input') },
    ],
    { lambdaEnvironment: { TEST_MARKER: 'from-lambda-environment' } },
  );
  let taskMachine: string;
  let lambdaMachine: string;
  let failingMachine: string;

  beforeAll(() => {
    taskMachine = local.runtime.stateMachineArn('run-task');
    lambdaMachine = local.runtime.stateMachineArn('call-lambda');
    failingMachine = local.runtime.stateMachineArn('reject-input');
  });

  it('starts an execution, runs it to SUCCEEDED and describes it', async () => {
    // Prepare
    const input = JSON.stringify({ value: 42 });
    // Act
    const started = await local.sfn.send(
      new StartExecutionCommand({ stateMachineArn: lambdaMachine, name: 'describe-me', input }),
    );
    const described = await waitForStatus(local.sfn, started.executionArn ?? '');
    // Assess
    expect(started.executionArn).toBe(
      `arn:aws:states:${REGION}:${ACCOUNT}:execution:sfn-batch-test-call-lambda:describe-me`,
    );
    expect(started.startDate).toBeInstanceOf(Date);
    expect(described.status).toBe('SUCCEEDED');
    expect(described.input).toBe(input);
    const output = JSON.parse(described.output ?? 'null');
    expect(output.result.event).toEqual({
      input: { value: 42 },
      executionArn: started.executionArn,
      startTime: described.startDate?.toISOString(),
      stateMachineArn: lambdaMachine,
    });
    expect(output.result.functionName).toBe('echo');
    expect(output.result.marker).toBe('from-lambda-environment');
    expect(output.result.endpoint).toBe(local.runtime.endpoint);
    expect(output.result.remainingMillis).toBeGreaterThan(25_000);
    expect(described.stopDate).toBeInstanceOf(Date);
    expect(described.redriveStatus).toBe('NOT_REDRIVABLE');
  });

  it('records AWS history event types with ids and previous ids', async () => {
    // Prepare
    const started = await local.sfn.send(
      new StartExecutionCommand({ stateMachineArn: lambdaMachine, input: JSON.stringify({ value: 1 }) }),
    );
    await waitForStatus(local.sfn, started.executionArn ?? '');
    // Act
    const history = await local.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: started.executionArn }),
    );
    // Assess
    const events = history.events ?? [];
    expect(events.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    // Linked by cause as on AWS: the first state follows event 0, then each event its predecessor in the thread.
    expect(events.map((event) => event.previousEventId)).toEqual([0, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(events[1]?.stateEnteredEventDetails?.name).toBe('Call function');
    expect(events[0]?.timestamp).toBeInstanceOf(Date);
  });

  it('pages GetExecutionHistory in reverse order', async () => {
    // Prepare
    const started = await local.sfn.send(
      new StartExecutionCommand({ stateMachineArn: lambdaMachine, input: JSON.stringify({ value: 2 }) }),
    );
    await waitForStatus(local.sfn, started.executionArn ?? '');
    // Act
    const first = await local.sfn.send(
      new GetExecutionHistoryCommand({
        executionArn: started.executionArn,
        reverseOrder: true,
        maxResults: 5,
      }),
    );
    const second = await local.sfn.send(
      new GetExecutionHistoryCommand({
        executionArn: started.executionArn,
        reverseOrder: true,
        maxResults: 5,
        nextToken: first.nextToken,
      }),
    );
    // Assess
    expect(first.events?.[0]?.type).toBe('ExecutionSucceeded');
    expect(first.events).toHaveLength(5);
    expect(second.events?.[0]?.id).toBe((first.events?.[4]?.id ?? 0) - 1);
  });

  it('surfaces a Lambda error name as the execution error, with the Lambda error shape as cause', async () => {
    // Act
    const started = await local.sfn.send(new StartExecutionCommand({ stateMachineArn: failingMachine }));
    const described = await waitForStatus(local.sfn, started.executionArn ?? '');
    // Assess
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('InvalidExecutionInput');
    expect(JSON.parse(described.cause ?? '{}')).toMatchObject({
      errorType: 'InvalidExecutionInput',
      errorMessage: 'params.month must be YYYY-MM',
    });
    expect(described.redriveStatus).toBe('REDRIVABLE');
  });

  it('returns the same execution for the same name and input while it runs, and refuses other reuse', async () => {
    // Prepare
    const input = JSON.stringify({ command: ['sleep', '60000'] });
    const first = await local.sfn.send(
      new StartExecutionCommand({ stateMachineArn: taskMachine, name: 'once', input }),
    );
    // Act
    const again = await local.sfn.send(
      new StartExecutionCommand({ stateMachineArn: taskMachine, name: 'once', input }),
    );
    const conflict = local.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: taskMachine,
        name: 'once',
        input: JSON.stringify({ command: [] }),
      }),
    );
    // Assess
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());
    await expect(conflict).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await local.sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
    await expect(
      local.sfn.send(new StartExecutionCommand({ stateMachineArn: taskMachine, name: 'once', input })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('raises typed errors for unknown executions, bad ARNs, names and inputs', async () => {
    const missing = `arn:aws:states:${REGION}:${ACCOUNT}:execution:sfn-batch-test-run-task:nope`;
    await expect(
      local.sfn.send(new DescribeExecutionCommand({ executionArn: missing })),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(
      local.sfn.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })),
    ).rejects.toBeInstanceOf(InvalidArn);
    await expect(
      local.sfn.send(new StartExecutionCommand({ stateMachineArn: taskMachine, name: 'has space' })),
    ).rejects.toBeInstanceOf(InvalidName);
    await expect(
      local.sfn.send(new StartExecutionCommand({ stateMachineArn: taskMachine, name: 'x'.repeat(81) })),
    ).rejects.toBeInstanceOf(InvalidName);
    await expect(
      local.sfn.send(new StartExecutionCommand({ stateMachineArn: taskMachine, input: '{not json' })),
    ).rejects.toBeInstanceOf(InvalidExecutionInput);
    await expect(
      local.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:sfn-batch-test-unknown`,
        }),
      ),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });

  it('lists executions newest first, filtered by status, across pages', async () => {
    // Prepare
    const names = ['page-a', 'page-b', 'page-c'];
    for (const name of names) {
      const started = await local.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: lambdaMachine,
          name,
          input: JSON.stringify({ value: name }),
        }),
      );
      await waitForStatus(local.sfn, started.executionArn ?? '');
    }
    // Act
    const collected: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await local.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: lambdaMachine,
          statusFilter: 'SUCCEEDED',
          maxResults: 2,
          nextToken,
        }),
      );
      expect((page.executions ?? []).length).toBeLessThanOrEqual(2);
      collected.push(...(page.executions ?? []).map((execution) => execution.name ?? ''));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    // Assess
    const ours = collected.filter((name) => names.includes(name));
    expect(ours).toEqual(['page-c', 'page-b', 'page-a']);
    const failed = await local.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: lambdaMachine, statusFilter: 'FAILED' }),
    );
    expect(failed.executions).toEqual([]);
  });

  it('stops a running execution as ABORTED with the given error and cause', async () => {
    // Prepare
    const started = await local.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: taskMachine,
        input: JSON.stringify({ command: ['sleep', '60000'] }),
      }),
    );
    // Act
    const stopped = await local.sfn.send(
      new StopExecutionCommand({
        executionArn: started.executionArn,
        error: 'ManualStop',
        cause: 'operator asked',
      }),
    );
    const described = await local.sfn.send(
      new DescribeExecutionCommand({ executionArn: started.executionArn }),
    );
    // Assess
    expect(stopped.stopDate).toBeInstanceOf(Date);
    expect(described).toMatchObject({ status: 'ABORTED', error: 'ManualStop', cause: 'operator asked' });
    const history = await local.sfn.send(
      new GetExecutionHistoryCommand({
        executionArn: started.executionArn,
        reverseOrder: true,
        maxResults: 1,
      }),
    );
    expect(history.events?.[0]?.type).toBe('ExecutionAborted');
    expect(history.events?.[0]?.executionAbortedEventDetails).toEqual({
      error: 'ManualStop',
      cause: 'operator asked',
    });
  });

  it('redrives a failed execution and refuses to redrive a succeeded one', async () => {
    // Prepare
    const failed = await local.sfn.send(new StartExecutionCommand({ stateMachineArn: failingMachine }));
    await waitForStatus(local.sfn, failed.executionArn ?? '');
    const succeeded = await local.sfn.send(
      new StartExecutionCommand({ stateMachineArn: lambdaMachine, input: JSON.stringify({ value: 3 }) }),
    );
    await waitForStatus(local.sfn, succeeded.executionArn ?? '');
    // Act
    const redriven = await local.sfn.send(new RedriveExecutionCommand({ executionArn: failed.executionArn }));
    const afterRedrive = await waitForStatus(local.sfn, failed.executionArn ?? '');
    // Assess
    expect(redriven.redriveDate).toBeInstanceOf(Date);
    expect(afterRedrive).toMatchObject({ status: 'FAILED', redriveCount: 1 });
    expect(afterRedrive.redriveDate).toBeInstanceOf(Date);
    const history = await local.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: failed.executionArn }),
    );
    expect(history.events?.map((event) => event.type)).toContain('ExecutionRedriven');
    await expect(
      local.sfn.send(new RedriveExecutionCommand({ executionArn: succeeded.executionArn })),
    ).rejects.toBeInstanceOf(ExecutionNotRedrivable);
  });

  it('lists and describes state machines with the job tags', async () => {
    // Act
    const listed = await local.sfn.send(new ListStateMachinesCommand({}));
    const described = await local.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: taskMachine }));
    const tags = await local.sfn.send(new ListTagsForResourceCommand({ resourceArn: taskMachine }));
    // Assess
    expect(listed.stateMachines?.map((machine) => machine.name)).toEqual([
      'sfn-batch-test-call-lambda',
      'sfn-batch-test-reject-input',
      'sfn-batch-test-run-task',
    ]);
    expect(described).toMatchObject({ name: 'sfn-batch-test-run-task', status: 'ACTIVE', type: 'STANDARD' });
    expect(JSON.parse(described.definition ?? '{}').StartAt).toBe('Run job task');
    // The tags deploy writes too (lib/contracts/state-machine-tags.ts).
    expect(tags.tags).toEqual([
      { key: 'service', value: 'sfn-batch' },
      { key: 'stage', value: 'test' },
      { key: 'job', value: 'run-task' },
      { key: 'team', value: 'records-platform' },
      { key: 'slack-channel', value: 'records-alerts' },
      { key: 'runbook', value: 'https://runbooks.example.com/run-task' },
      { key: 'notify-on', value: 'FAILED TIMED_OUT ABORTED' },
      { key: 'warn-after-consecutive-skips', value: '0' },
      { key: 'source-file', value: 'schedules/run-task.yml' },
    ]);
  });
});
