import type { ListExecutionsCommand, ListExecutionsCommandOutput } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import {
  checkDuplicateStart,
  InvalidExecutionInputError,
  type SfnListExecutions,
} from '#functions/check-duplicate-start/check-duplicate-start.ts';
import { localSynthesisContext, synthesizeDefinition } from '#lib/workflows/synthesize.ts';
import { makeTaskJob } from '../support/job-spec.ts';
import { stops } from './fake-ecs.ts';
import { DEFAULT_START_TIME, runLocally, STATE_MACHINE_ARN } from './local-run.ts';

const EXECUTION_PREFIX = STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:');

function execution(name: string, startDate: string) {
  return {
    executionArn: `${EXECUTION_PREFIX}:${name}`,
    name,
    startDate: new Date(startDate),
    status: 'RUNNING' as const,
  };
}

/** A fake SFN client answering ListExecutions from pages, recording each request. */
function sfnListing(...pages: ReturnType<typeof execution>[][]) {
  const requests: ListExecutionsCommand['input'][] = [];
  const sfn: SfnListExecutions = {
    async send(command) {
      requests.push(command.input);
      const index = command.input.nextToken ? Number(command.input.nextToken) : 0;
      const output: ListExecutionsCommandOutput = {
        executions: (pages[index] ?? []).map((entry) => ({ ...entry, stateMachineArn: STATE_MACHINE_ARN })),
        nextToken: index + 1 < pages.length ? String(index + 1) : undefined,
        $metadata: {},
      };
      return output;
    },
  };
  return { sfn, requests };
}

function guardEvent(name: string, startTime: string, overrides: Record<string, unknown> = {}) {
  return {
    job: 'aggregate-record-stats',
    concurrency: 'forbid',
    defaultParams: { granularity: 'daily', limit: 10 },
    stateMachineArn: STATE_MACHINE_ARN,
    execution: { arn: `${EXECUTION_PREFIX}:${name}`, name, startTime },
    input: {},
    ...overrides,
  };
}

describe('checkDuplicateStart', () => {
  it('runs when no other execution is running, filling scheduled time and params', async () => {
    const { sfn, requests } = sfnListing([execution('self', '2026-11-21T02:15:00.123Z')]);

    const decision = await checkDuplicateStart(
      guardEvent('self', '2026-11-21T02:15:00.123Z', { input: { params: { limit: 5 } } }),
      { sfn },
    );

    expect(decision).toEqual({
      decision: 'run',
      reason: 'no other execution of this job is running',
      scheduledTime: '2026-11-21T02:15:00.123Z',
      params: { granularity: 'daily', limit: 5 },
    });
    expect(requests).toEqual([
      { stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING', maxResults: 1000, nextToken: undefined },
    ]);
  });

  it('keeps the scheduled time the trigger sent', async () => {
    const { sfn } = sfnListing([]);

    const decision = await checkDuplicateStart(
      guardEvent('self', '2026-11-21T02:17:41.000Z', {
        input: { scheduledTime: '2026-11-21T11:15:00+09:00' },
      }),
      { sfn },
    );

    expect(decision.scheduledTime).toBe('2026-11-21T11:15:00+09:00');
  });

  it('skips the start when an earlier execution is running, naming it', async () => {
    const { sfn } = sfnListing([
      execution('self', '2026-11-21T02:15:00.123Z'),
      execution('yesterday', '2026-11-20T02:15:00.000Z'),
    ]);

    const decision = await checkDuplicateStart(guardEvent('self', '2026-11-21T02:15:00.123Z'), { sfn });

    expect(decision.decision).toBe('skip');
    expect(decision.reason).toContain('yesterday (started 2026-11-20T02:15:00.000Z)');
    expect(decision.blockingExecutionArn).toBe(`${EXECUTION_PREFIX}:yesterday`);
  });

  it('runs when the other running executions started later', async () => {
    const { sfn } = sfnListing([execution('later', '2026-11-21T02:15:01.000Z')]);

    const decision = await checkDuplicateStart(guardEvent('self', '2026-11-21T02:15:00.123Z'), { sfn });

    expect(decision.decision).toBe('run');
  });

  it('lets exactly one of two simultaneous starts run, by execution name', async () => {
    const at = '2026-11-21T02:15:00.000Z';
    const listing = [execution('run-b', at), execution('run-a', at)];

    const a = await checkDuplicateStart(guardEvent('run-a', at), sfnListing(listing));
    const b = await checkDuplicateStart(guardEvent('run-b', at), sfnListing(listing));

    expect([a.decision, b.decision]).toEqual(['run', 'skip']);
    expect(b.blockingExecutionArn).toBe(`${EXECUTION_PREFIX}:run-a`);
  });

  it('still decides when ListExecutions does not list this execution yet (eventual consistency)', async () => {
    const at = '2026-11-21T02:15:00.000Z';
    const aSeesOnlyB = sfnListing([execution('run-b', at)]);
    const bSeesOnlyA = sfnListing([execution('run-a', at)]);

    const a = await checkDuplicateStart(guardEvent('run-a', at), aSeesOnlyB);
    const b = await checkDuplicateStart(guardEvent('run-b', at), bSeesOnlyA);

    expect([a.decision, b.decision]).toEqual(['run', 'skip']);
  });

  it('reads every page of running executions', async () => {
    const { sfn, requests } = sfnListing(
      [execution('later-1', '2026-11-21T03:00:00Z'), execution('self', '2026-11-21T02:15:00Z')],
      [execution('later-2', '2026-11-21T04:00:00Z')],
      [execution('earliest', '2026-11-21T01:00:00Z')],
    );

    const decision = await checkDuplicateStart(guardEvent('self', '2026-11-21T02:15:00Z'), { sfn });

    expect(requests.map((request) => request.nextToken)).toEqual([undefined, '1', '2']);
    expect(decision.blockingExecutionArn).toBe(`${EXECUTION_PREFIX}:earliest`);
  });

  it('does not list executions under the allow policy', async () => {
    const { sfn, requests } = sfnListing([execution('earlier', '2026-11-20T00:00:00Z')]);

    const decision = await checkDuplicateStart(
      guardEvent('self', '2026-11-21T02:15:00Z', { concurrency: 'allow' }),
      { sfn },
    );

    expect(decision.decision).toBe('run');
    expect(requests).toHaveLength(0);
  });

  it.each([
    ['a scheduled time that is not an instant', { scheduledTime: 'yesterday' }, /scheduledTime must be/],
    ['an unknown key', { parms: {} }, /unknown input key "parms".*Did you mean "params"/],
    ['params that are not an object', { params: ['a'] }, /params must be a JSON object/],
    ['an unknown trigger', { trigger: 'cron' }, /trigger must be one of/],
    ['a params key the job does not declare', { params: { bogus: 1 } }, /params\.bogus is not a parameter/],
  ])('rejects %s with InvalidExecutionInput', async (_label, input, message) => {
    const { sfn } = sfnListing([]);

    const attempt = checkDuplicateStart(guardEvent('self', '2026-11-21T02:15:00Z', { input }), { sfn });

    await expect(attempt).rejects.toThrow(InvalidExecutionInputError);
    await expect(attempt).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
      message: expect.stringMatching(message),
    });
  });
});

describe('duplicate-start guard in the scheduled-task workflow', () => {
  const definition = synthesizeDefinition(makeTaskJob(), localSynthesisContext('test'));

  it('skips a start while an earlier execution runs, and records why', async () => {
    const { sfn } = sfnListing([
      execution('run-0', '2026-11-21T01:00:00Z'),
      execution('run-1', '2026-11-21T02:15:00.123Z'),
    ]);
    const ecsCalls: unknown[] = [];

    const run = await runLocally(definition, {
      tasks: {
        'Check for a running duplicate': (input) => checkDuplicateStart(input, { sfn }),
        'Run job task': (parameters) => {
          ecsCalls.push(parameters);
          return stops.succeeded();
        },
      },
      input: { scheduledTime: '2026-11-21T02:15:00Z', trigger: 'schedule' },
    });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered).toEqual([
      'Check for a running duplicate',
      'Is another run active?',
      'Skip duplicate start',
    ]);
    expect(run.output).toMatchObject({ decision: 'skip', blockingExecutionArn: `${EXECUTION_PREFIX}:run-0` });
    expect(ecsCalls).toHaveLength(0);
  });

  it('runs when the only other running execution started after this one', async () => {
    // Later than this execution's start, but long before the wall clock: a guard that
    // compared against the wall clock (or a run whose StartTime was not pinned) would skip.
    const { sfn } = sfnListing([execution('run-2', '2026-11-21T02:15:01.000Z')]);
    const guardInputs: unknown[] = [];
    const ecsCalls: unknown[] = [];

    const run = await runLocally(definition, {
      tasks: {
        'Check for a running duplicate': (input) => {
          guardInputs.push(input);
          return checkDuplicateStart(input, { sfn });
        },
        'Run job task': (parameters) => {
          ecsCalls.push(parameters);
          return stops.succeeded();
        },
      },
      startTime: '2026-11-21T02:15:00.123Z',
    });

    expect(guardInputs).toMatchObject([{ execution: { startTime: '2026-11-21T02:15:00.123Z' } }]);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).not.toMatchObject({ decision: 'skip' });
    expect(ecsCalls).toHaveLength(1);
  });

  it('gives the guard the start time of the run, not the wall clock', async () => {
    const { sfn } = sfnListing([]);
    const startTimes: unknown[] = [];

    const run = await runLocally(definition, {
      tasks: {
        'Check for a running duplicate': (input) => {
          startTimes.push((input as { execution: { startTime: string } }).execution.startTime);
          return checkDuplicateStart(input, { sfn });
        },
        'Run job task': () => stops.succeeded(),
      },
    });

    expect(run.status).toBe('SUCCEEDED');
    expect(startTimes).toEqual([DEFAULT_START_TIME]);
  });

  it('fails the execution as InvalidExecutionInput without retrying the guard', async () => {
    const { sfn } = sfnListing([]);

    const run = await runLocally(definition, {
      tasks: { 'Check for a running duplicate': (input) => checkDuplicateStart(input, { sfn }) },
      input: { scheduledTime: 'tomorrow' },
    });

    expect(run.error).toBe('InvalidExecutionInput');
    expect(run.cause).toContain('scheduledTime must be');
    expect(run.retriedCount('Check for a running duplicate')).toBe(0);
  });
});
