import { GetExecutionHistoryCommand, type HistoryEvent, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import {
  lambdaDefinition,
  makeJob,
  REGION,
  taskDefinition,
  useTestRuntime,
  waitForStatus,
} from './helpers.ts';

const MACHINES = 'arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-test-';

/** The task-level events (not the state-level ones) with everything but their details. */
function taskEvents(events: HistoryEvent[]): Array<Record<string, unknown>> {
  return events
    .filter((event) =>
      /^(LambdaFunction|Task)(Scheduled|Started|Submitted|Succeeded|Failed)$/.test(event.type ?? ''),
    )
    .map(({ id: _id, previousEventId: _previous, timestamp: _timestamp, ...rest }) => rest);
}

const asJson = expect.stringMatching(/^[[{"]/);

// Pins AWS's detail shapes of both task event families, which one dispatcher writes.
describe('task history events', () => {
  const local = useTestRuntime([
    { job: makeJob('run-task'), definition: taskDefinition({ timeoutSeconds: 30 }) },
    { job: makeJob('call-lambda'), definition: lambdaDefinition('echo') },
    { job: makeJob('reject-input'), definition: lambdaDefinition('reject-input') },
  ]);

  async function historyOf(job: string, input: unknown): Promise<HistoryEvent[]> {
    const client = local.sfn;
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn: `${MACHINES}${job}`, input: JSON.stringify(input) }),
    );
    await waitForStatus(client, started.executionArn ?? '');
    const history = await client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
    return history.events ?? [];
  }

  it('records LambdaFunction events without resource fields for a Lambda ARN', async () => {
    // Act
    const events = taskEvents(await historyOf('call-lambda', { value: 1 }));

    // Assess
    expect(events).toEqual([
      {
        type: 'LambdaFunctionScheduled',
        lambdaFunctionScheduledEventDetails: {
          resource: `arn:aws:lambda:${REGION}:000000000000:function:echo`,
          input: asJson,
          inputDetails: { truncated: false },
          timeoutInSeconds: 30,
        },
      },
      { type: 'LambdaFunctionStarted' },
      {
        type: 'LambdaFunctionSucceeded',
        lambdaFunctionSucceededEventDetails: { output: asJson, outputDetails: { truncated: false } },
      },
    ]);
  });

  it('records a failed Lambda with its error name and cause only', async () => {
    // Act
    const events = taskEvents(await historyOf('reject-input', {}));

    // Assess
    expect(events.map((event) => event.type)).toEqual([
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
    ]);
    expect(Object.keys(events[2]?.lambdaFunctionFailedEventDetails as object).sort()).toEqual([
      'cause',
      'error',
    ]);
  });

  it('records Task events naming the resource for ecs:runTask.sync, success and failure', async () => {
    // Act
    const succeeded = taskEvents(await historyOf('run-task', { command: ['succeed'] }));
    const failed = taskEvents(await historyOf('run-task', { command: ['exit', '3'] }));

    // Assess
    const identity = { resourceType: 'ecs', resource: 'runTask.sync' };
    expect(succeeded).toEqual([
      {
        type: 'TaskScheduled',
        taskScheduledEventDetails: { ...identity, region: REGION, parameters: asJson, timeoutInSeconds: 30 },
      },
      { type: 'TaskStarted', taskStartedEventDetails: identity },
      {
        type: 'TaskSubmitted',
        taskSubmittedEventDetails: { ...identity, output: asJson, outputDetails: { truncated: false } },
      },
      {
        type: 'TaskSucceeded',
        taskSucceededEventDetails: { ...identity, output: asJson, outputDetails: { truncated: false } },
      },
    ]);
    expect(failed.at(-1)).toEqual({
      type: 'TaskFailed',
      taskFailedEventDetails: { ...identity, error: 'States.TaskFailed', cause: asJson },
    });
  });
});
