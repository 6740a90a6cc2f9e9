import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionEvent, LocalRuntime } from '../../local/runtime.ts';
import {
  lambdaDefinition,
  makeJob,
  sfnClient,
  startTestRuntime,
  waitForStatus,
  waitUntil,
} from './helpers.ts';

describe('execution events and the aws-sdk:sfn integration', () => {
  let runtime: LocalRuntime;
  const executionEvents: ExecutionEvent[] = [];
  const statusChanges: unknown[] = [];

  beforeAll(async () => {
    runtime = await startTestRuntime(
      [
        { job: makeJob('reject-input'), definition: lambdaDefinition('reject-input') },
        {
          job: makeJob('list-own-runs'),
          definition: {
            StartAt: 'List running executions',
            States: {
              'List running executions': {
                Type: 'Task',
                Resource: 'arn:aws:states:::aws-sdk:sfn:listExecutions',
                Parameters: { 'StateMachineArn.$': '$$.StateMachine.Id', StatusFilter: 'RUNNING' },
                End: true,
              },
            },
          },
        },
      ],
      {
        onExecutionEvent: (event) => executionEvents.push(event),
        onStatusChangeEvent: async (event) => {
          statusChanges.push(event);
          throw new Error('a failing listener never changes the execution');
        },
      },
    );
  });

  afterAll(async () => {
    await runtime.close();
  });

  it('answers aws-sdk:sfn calls from the local store with PascalCase output', async () => {
    // Prepare
    const client = sfnClient(runtime.endpoint);
    // Act
    const started = await client.send(
      new StartExecutionCommand({
        stateMachineArn: runtime.stateMachineArn('list-own-runs'),
        name: 'lists-itself',
      }),
    );
    const described = await waitForStatus(client, started.executionArn ?? '');
    // Assess
    expect(described.status).toBe('SUCCEEDED');
    const output = JSON.parse(described.output ?? '{}');
    expect(output.Executions).toEqual([
      expect.objectContaining({
        ExecutionArn: started.executionArn,
        Name: 'lists-itself',
        Status: 'RUNNING',
      }),
    ]);
  });

  it('emits started and finished events and an EventBridge status change for the terminal status', async () => {
    // Prepare
    const client = sfnClient(runtime.endpoint);
    // Act
    const started = await client.send(
      new StartExecutionCommand({
        stateMachineArn: runtime.stateMachineArn('reject-input'),
        name: 'notify-me',
      }),
    );
    const executionArn = started.executionArn ?? '';
    const described = await waitForStatus(client, executionArn);
    // Assess
    expect(described.status).toBe('FAILED');
    const ours = executionEvents.filter((event) => event.executionArn === executionArn);
    expect(ours.map((event) => [event.type, event.status])).toEqual([
      ['started', 'RUNNING'],
      ['finished', 'FAILED'],
    ]);
    expect(ours[1]).toMatchObject({ job: 'reject-input', name: 'notify-me', error: 'InvalidExecutionInput' });
    expect(await waitUntil(() => statusChanges.length > 0)).toBe(true);
    const change = statusChanges.find(
      (event) => (event as { detail: { executionArn: string } }).detail.executionArn === executionArn,
    );
    expect(change).toMatchObject({
      version: '0',
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      account: '000000000000',
      region: 'ap-northeast-1',
      resources: [executionArn],
      detail: {
        executionArn,
        stateMachineArn: runtime.stateMachineArn('reject-input'),
        name: 'notify-me',
        status: 'FAILED',
        error: 'InvalidExecutionInput',
        input: '{}',
        output: null,
        redriveStatus: 'REDRIVABLE',
      },
    });
    const detail = (change as { detail: { startDate: number; stopDate: number } }).detail;
    expect(detail.stopDate).toBeGreaterThanOrEqual(detail.startDate);
  });
});

describe('definitions the local interpreter cannot run', () => {
  it('refuses a Distributed Map at start, naming the job file and the state', async () => {
    // Prepare
    const definition = {
      StartAt: 'Fan out',
      States: {
        'Fan out': {
          Type: 'Map',
          ItemReader: { Resource: 'arn:aws:states:::s3:getObject' },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Noop',
            States: { Noop: { Type: 'Pass', End: true } },
          },
          End: true,
        },
      },
    };
    // Act
    const starting = startTestRuntime([{ job: makeJob('distributed'), definition }]);
    // Assess
    await expect(starting).rejects.toThrow(/schedules\/distributed\.yml: .*state "Fan out": Distributed Map/);
  });
});
