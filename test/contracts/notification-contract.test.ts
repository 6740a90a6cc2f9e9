import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  readStateMachineTags,
  stateMachineTagProblems,
  stateMachineTags,
} from '../../lib/contracts/state-machine-tags.ts';
import {
  buildStatusChangeEvent,
  matchesNotifyRule,
  statusChangeEventSchema,
} from '../../lib/contracts/status-change-event.ts';
import { parseScheduleCatalogue } from '../../lib/schedule/load.ts';
import { makeJob } from '../local-runtime/helpers.ts';

/** Step Functions' tag value rule (TagValue in the service model). */
const STEP_FUNCTIONS_TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

describe('state machine tags', () => {
  it('keeps a runbook URL with ? and & through a value Step Functions accepts', () => {
    // Prepare
    const runbookUrl = 'https://wiki.example.com/display/OPS/Runbook?pageId=4711&section=purge#steps';
    const job = makeJob('purge-deleted-records', { runbookUrl });

    // Act
    const tags = stateMachineTags(job, 'prod');

    // Assess
    for (const value of Object.values(tags)) {
      expect(value).toMatch(STEP_FUNCTIONS_TAG_VALUE);
      expect(value.length).toBeLessThanOrEqual(256);
    }
    expect(tags.runbook).not.toBe(runbookUrl);
    expect(readStateMachineTags(tags).runbookUrl).toBe(runbookUrl);
  });

  it('writes plain values as they are and reads the whole notification contract back', () => {
    // Prepare
    const job = makeJob('aggregate-daily', {
      owner: { team: 'records-platform', slackChannel: '#records-alerts' },
      runbookUrl: 'https://wiki.example.com/runbooks/aggregate-daily',
      notifications: { on: ['FAILED', 'TIMED_OUT'], warnAfterConsecutiveSkips: 0 },
    });

    // Act
    const tags = stateMachineTags(job, 'prod');
    const read = readStateMachineTags(tags);

    // Assess
    expect(tags).toEqual({
      service: 'sfn-batch',
      stage: 'prod',
      job: 'aggregate-daily',
      team: 'records-platform',
      'slack-channel': 'records-alerts',
      runbook: 'https://wiki.example.com/runbooks/aggregate-daily',
      'notify-on': 'FAILED TIMED_OUT',
      'warn-after-consecutive-skips': '0',
      'source-file': 'schedules/aggregate-daily.yml',
    });
    expect(read).toEqual({
      job: 'aggregate-daily',
      team: 'records-platform',
      slackChannel: '#records-alerts',
      runbookUrl: 'https://wiki.example.com/runbooks/aggregate-daily',
      notifications: { on: ['FAILED', 'TIMED_OUT'], warnAfterConsecutiveSkips: 0 },
    });
  });

  it('reports a runbook URL too long for a tag, and refuses to build the tags', () => {
    // Prepare
    const job = makeJob('purge-deleted-records', {
      runbookUrl: `https://wiki.example.com/runbooks/x?${'q=1&'.repeat(60)}`,
    });

    // Act
    const problems = stateMachineTagProblems(job);

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe('runbook');
    expect(problems[0]?.message).toContain('at most 256 characters');
    expect(() => stateMachineTags(job, 'prod')).toThrow(/runbook: becomes the state machine tag "runbook"/);
  });

  it('makes batchctl validate report that runbook at its line', () => {
    // Act
    const catalogue = parseScheduleCatalogue([
      {
        path: 'schedules/long-runbook.yml',
        text: [
          'description: A job with a long runbook link.',
          'owner: { team: records-platform, slack: "#records-alerts" }',
          `runbook: https://wiki.example.com/runbooks/x?${'q=1&'.repeat(60)}`,
          'schedule: cron(0 3 * * ? *)',
          'timezone: Asia/Tokyo',
          'container: batch-jobs',
          'command: [purge-deleted-records]',
          'cpu: 256',
          'memory: 512',
          'timeout: 30m',
          'retry: { maxAttempts: 3, interval: 30s, backoffRate: 2, retryOnJobFailure: false }',
          'notify: { on: [FAILED], warnAfterConsecutiveSkips: 2 }',
        ].join('\n'),
      },
    ]);

    // Assess
    expect(catalogue.jobs).toEqual([]);
    expect(catalogue.problems).toMatchObject([
      { file: 'schedules/long-runbook.yml', line: 3, field: 'runbook' },
    ]);
  });
});

describe('status-change event', () => {
  const execution = {
    executionArn: 'arn:aws:states:ap-northeast-1:000000000000:execution:sfn-batch-local-purge:run-1',
    stateMachineArn: 'arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-local-purge',
    name: 'run-1',
    status: 'FAILED' as const,
    startDate: '2026-11-30T15:00:00.000Z',
    stopDate: '2026-11-30T15:01:02.500Z',
    input: '{}',
    error: 'JobFailed',
    cause: 'exit code 3',
    redriveCount: 0,
    redriveStatus: 'REDRIVABLE',
  };
  const where = { account: '000000000000', region: 'ap-northeast-1', id: randomUUID(), time: new Date() };

  it('is built in the shape the notify Lambda parses (AWS: epoch milliseconds, null when absent)', () => {
    // Act
    const event = buildStatusChangeEvent(execution, where);

    // Assess
    expect(statusChangeEventSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
    expect(event.detail).toMatchObject({
      startDate: Date.parse('2026-11-30T15:00:00.000Z'),
      stopDate: Date.parse('2026-11-30T15:01:02.500Z'),
      output: null,
      outputDetails: null,
    });
    expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("matches the notify rules for failures and successes of this stage's state machines only", () => {
    const prefix = 'arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-local-';
    const event = (
      status: typeof execution.status | 'SUCCEEDED' | 'RUNNING',
      stateMachineArn = execution.stateMachineArn,
    ) => buildStatusChangeEvent({ ...execution, status, stateMachineArn }, where);

    expect(matchesNotifyRule(event('FAILED'), prefix)).toBe(true);
    expect(matchesNotifyRule(event('SUCCEEDED'), prefix)).toBe(true);
    expect(matchesNotifyRule(event('RUNNING'), prefix)).toBe(false);
    expect(
      matchesNotifyRule(
        event('FAILED', 'arn:aws:states:ap-northeast-1:000000000000:stateMachine:other-app-purge'),
        prefix,
      ),
    ).toBe(false);
  });
});
