import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { catalogue as realCatalogue } from '#containers/batch-jobs/catalogue.ts';
import { resolveInvocation, UsageError } from '#containers/batch-jobs/command-line.ts';
import { defineJob, type JobDefinition } from '#containers/batch-jobs/job-context.ts';
import { batchSize, days, granularity } from '#containers/batch-jobs/params.ts';

const purge = defineJob({
  command: 'purge-deleted-records',
  description: 'test job',
  params: z.object({ retentionDays: days(), batchSize: batchSize() }),
  example: 'purge-deleted-records --retention-days 30',
  run: async () => ({}),
});
const stats = defineJob({
  command: 'aggregate-record-stats',
  description: 'test job',
  params: z.object({ granularity }),
  example: 'aggregate-record-stats --granularity daily',
  run: async () => ({}),
});
const catalogue = new Map<string, JobDefinition>([
  [purge.command, purge],
  [stats.command, stats],
]);
const input = (params: Record<string, unknown> = {}) =>
  JSON.stringify({
    job: 'purge-deleted-records-daily',
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:sm:run-1',
    scheduledTime: '2026-11-21T18:00:00Z',
    params,
  });

function usageMessage(act: () => unknown): string {
  try {
    act();
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('resolveInvocation', () => {
  it('applies a per-shift default and validates an override in the real catalogue', () => {
    const opening = resolveInvocation(
      ['send-checklist-reminders', '--shift', 'closing'],
      input(),
      realCatalogue,
    );
    const message = usageMessage(() =>
      resolveInvocation(
        ['send-checklist-reminders', '--shift', 'closing', '--local-hours', '22-6'],
        input(),
        realCatalogue,
      ),
    );
    const unknown = usageMessage(() =>
      resolveInvocation(
        ['send-checklist-reminders', '--shift', 'closing', '--hours', '1-2'],
        input(),
        realCatalogue,
      ),
    );

    expect(opening.params).toEqual({ shift: 'closing', localHours: [18, 24] });
    expect(message).toContain('--local-hours');
    expect(message).toContain('FROM < TO');
    expect(unknown).toContain('unknown flag --hours');
  });

  it('parses the command, kebab-case flags and the task input into typed params', () => {
    const invocation = resolveInvocation(
      ['purge-deleted-records', '--retention-days', '30', '--batch-size=50'],
      input(),
      catalogue,
    );

    expect(invocation.definition.command).toBe('purge-deleted-records');
    expect(invocation.params).toEqual({ retentionDays: 30, batchSize: 50 });
    expect(invocation.input.scheduledTime).toBe('2026-11-21T18:00:00Z');
  });

  it('lets input params override flags of the same camelCase name', () => {
    const invocation = resolveInvocation(
      ['purge-deleted-records', '--retention-days', '30'],
      input({ retentionDays: 7, unrelatedDefault: 'x' }),
      catalogue,
    );

    expect(invocation.params).toEqual({ retentionDays: 7, batchSize: 1000 });
  });

  it('rejects an unknown command and lists the valid ones', () => {
    const message = usageMessage(() => resolveInvocation(['purge-everything'], input(), catalogue));

    expect(message).toContain('unknown command "purge-everything"');
    expect(message).toContain('aggregate-record-stats, purge-deleted-records');
  });

  it('names the flag and shows an example when a value is invalid', () => {
    const message = usageMessage(() =>
      resolveInvocation(['aggregate-record-stats', '--granularity', 'hourly'], input(), catalogue),
    );

    expect(message).toContain('--granularity');
    expect(message).toContain('"hourly"');
    expect(message).toContain('example: aggregate-record-stats --granularity daily');
  });

  it('names the input field when an overriding param is invalid', () => {
    const message = usageMessage(() =>
      resolveInvocation(
        ['purge-deleted-records', '--retention-days', '30'],
        input({ retentionDays: -1 }),
        catalogue,
      ),
    );

    expect(message).toContain('params.retentionDays in SFN_BATCH_INPUT');
  });

  it('reports a missing required flag', () => {
    const message = usageMessage(() => resolveInvocation(['purge-deleted-records'], input(), catalogue));

    expect(message).toContain('missing --retention-days');
  });

  it('rejects an unknown flag and lists the accepted ones', () => {
    const message = usageMessage(() =>
      resolveInvocation(
        ['purge-deleted-records', '--retention-days', '3', '--force', 'yes'],
        input(),
        catalogue,
      ),
    );

    expect(message).toContain('unknown flag --force');
    expect(message).toContain('--retention-days, --batch-size');
  });

  it('rejects a missing, malformed or incomplete SFN_BATCH_INPUT', () => {
    const argv = ['aggregate-record-stats', '--granularity', 'daily'];

    expect(usageMessage(() => resolveInvocation(argv, undefined, catalogue))).toContain(
      'SFN_BATCH_INPUT is not set',
    );
    expect(usageMessage(() => resolveInvocation(argv, '{oops', catalogue))).toContain('not valid JSON');
    expect(
      usageMessage(() =>
        resolveInvocation(
          argv,
          JSON.stringify({ job: 'x', executionArn: 'y', scheduledTime: 'yesterday' }),
          catalogue,
        ),
      ),
    ).toContain('scheduledTime');
  });
});
