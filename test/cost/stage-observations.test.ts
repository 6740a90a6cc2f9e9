import {
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { observeStageRuns } from '#lib/cost/observed.ts';

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 1, 0, 0, seconds));

/** A two-iteration Map run: the iterations' events interleave, as they do on AWS. */
const HISTORY: HistoryEvent[] = [
  { id: 1, previousEventId: 0, type: 'ExecutionStarted', timestamp: at(0) },
  {
    id: 2,
    previousEventId: 1,
    type: 'TaskScheduled',
    timestamp: at(1),
    taskScheduledEventDetails: {
      resourceType: 'ecs',
      resource: 'runTask.sync',
      region: 'x',
      parameters: '{}',
    },
  },
  {
    id: 3,
    previousEventId: 1,
    type: 'TaskScheduled',
    timestamp: at(2),
    taskScheduledEventDetails: {
      resourceType: 'ecs',
      resource: 'runTask.sync',
      region: 'x',
      parameters: '{}',
    },
  },
  {
    id: 4,
    previousEventId: 2,
    type: 'TaskStarted',
    timestamp: at(3),
    taskStartedEventDetails: { resourceType: 'ecs', resource: 'runTask.sync' },
  },
  {
    id: 5,
    previousEventId: 3,
    type: 'TaskFailed',
    timestamp: at(40),
    taskFailedEventDetails: {
      resourceType: 'ecs',
      resource: 'runTask.sync',
      error: 'States.TaskFailed',
      cause: '{"StopCode":"TaskFailedToStart"}',
    },
  },
  {
    id: 6,
    previousEventId: 4,
    type: 'TaskSubmitted',
    timestamp: at(5),
    taskSubmittedEventDetails: { resourceType: 'ecs', resource: 'runTask.sync' },
  },
  {
    id: 7,
    previousEventId: 6,
    type: 'TaskSucceeded',
    timestamp: at(121),
    taskSucceededEventDetails: { resourceType: 'ecs', resource: 'runTask.sync' },
  },
  { id: 8, previousEventId: 7, type: 'LambdaFunctionSucceeded', timestamp: at(122) },
];

describe('durations from a deployed stage (SDK mocked at send)', () => {
  it('takes the newest finished executions and pairs each ECS task with its TaskScheduled', async () => {
    // Prepare
    const sent: string[] = [];
    const client = {
      send: async (command: unknown) => {
        if (command instanceof ListExecutionsCommand) {
          sent.push(`list ${command.input.stateMachineArn}`);
          return {
            executions: [
              { executionArn: 'arn:running', status: 'RUNNING' },
              { executionArn: 'arn:newest', status: 'SUCCEEDED' },
              { executionArn: 'arn:older', status: 'FAILED' },
            ],
          };
        }
        if (command instanceof GetExecutionHistoryCommand) {
          sent.push(`history ${command.input.executionArn}`);
          return { events: HISTORY };
        }
        throw new Error('unexpected command');
      },
    } as unknown as SFNClient;

    // Act
    const runs = await observeStageRuns(client, 'arn:machine', 1);

    // Assess
    expect(sent).toEqual(['list arn:machine', 'history arn:newest']);
    expect(runs).toEqual([
      {
        executionArn: 'arn:newest',
        status: 'SUCCEEDED',
        taskSeconds: [120],
        provisioningFailures: 1,
        logBytes: undefined,
      },
    ]);
  });
});
