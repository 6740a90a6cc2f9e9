import path from 'node:path';
import { GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.ts';
import { FIXTURES, makeJob, sfnClient, startTestRuntime, waitForStatus } from './helpers.ts';

// The real xlsx-export definition (Map fan-out) with the real guard, a stub enqueue Lambda
// and a converter stand-in that fails batch 2 only.
describe('the xlsx-export workflow on the local runtime', () => {
  let runtime: LocalRuntime;

  beforeAll(async () => {
    const job = makeJob('monthly-export', {
      workflow: 'xlsx-export',
      container: 'xlsx-converter',
      command: ['convert-test', '2'],
      export: { frequency: 'monthly', maxConcurrency: 2, recordsPerBatch: 100 },
    });
    runtime = await startTestRuntime([{ job }], { functionsDir: path.join(FIXTURES, 'export-functions') });
  });

  afterAll(async () => {
    await runtime.close();
  });

  it('fans out one task per batch under MaxConcurrency, and fails at the end for the failed batch only', async () => {
    // Prepare
    const client = sfnClient(runtime.endpoint);
    // Act
    const started = await client.send(
      new StartExecutionCommand({
        stateMachineArn: runtime.stateMachineArn('monthly-export'),
        input: JSON.stringify({ scheduledTime: '2026-11-01T00:00:00Z', trigger: 'schedule' }),
      }),
    );
    const executionArn = started.executionArn ?? '';
    const described = await waitForStatus(client, executionArn);
    // Assess
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('ExportsFailed');
    expect(described.cause).toContain('1 of 4 export batches failed for period 2026-11: batch indexes [2]');

    const response = await fetch(
      `${runtime.endpoint}/_local/logs?executionArn=${encodeURIComponent(executionArn)}`,
    );
    const { tasks } = (await response.json()) as {
      tasks: Array<{ startedAt: string; stoppedAt: string; exitCode: number }>;
    };
    expect(tasks.map((task) => task.exitCode).sort()).toEqual([0, 0, 0, 1]);
    const intervals = tasks.map((task) => [Date.parse(task.startedAt), Date.parse(task.stoppedAt)] as const);
    const mostAtOnce = Math.max(
      ...intervals.map(([start]) => intervals.filter(([from, to]) => from <= start && start < to).length),
    );
    expect(mostAtOnce).toBeLessThanOrEqual(2);

    const history = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
    const events = history.events ?? [];
    const types = events.map((event) => event.type);
    expect(events.find((event) => event.type === 'MapStateStarted')?.mapStateStartedEventDetails).toEqual({
      length: 4,
    });
    expect(types.filter((type) => type === 'MapIterationStarted')).toHaveLength(4);
    expect(types.filter((type) => type === 'MapIterationSucceeded')).toHaveLength(4);
    expect(types.indexOf('MapStateSucceeded')).toBeLessThan(types.indexOf('MapStateExited'));
    expect(types.at(-1)).toBe('ExecutionFailed');
  });
});
