import type { JobSpec } from '#lib/schedule/job-spec.ts';

/**
 * The one JobSpec factory of the tests. A valid ordinary job (aggregate-record-stats,
 * as its schedule file would give it); override any field per test. The source file
 * follows the name.
 */
export function makeTaskJob(overrides: Partial<JobSpec> = {}): JobSpec {
  const name = overrides.name ?? 'aggregate-record-stats';
  return {
    name,
    sourceFile: `schedules/${name}.yml`,
    description: 'Aggregates daily record statistics',
    owner: { team: 'records-platform', slackChannel: '#records-alerts' },
    runbookUrl: undefined,
    schedule: 'cron(15 2 * * ? *)',
    timezone: 'Asia/Tokyo',
    enabled: true,
    workflow: 'task',
    container: 'batch-jobs',
    command: ['aggregate-record-stats', '--granularity', 'daily'],
    size: { cpu: 512, memory: 1024 },
    timeoutSeconds: 1800,
    concurrency: 'forbid',
    spot: false,
    retry: { maxAttempts: 3, intervalSeconds: 30, backoffRate: 2, retryOnJobFailure: false },
    notifications: { on: ['FAILED', 'TIMED_OUT', 'ABORTED'], warnAfterConsecutiveSkips: 3 },
    defaultInput: { granularity: 'daily' },
    export: undefined,
    ...overrides,
  };
}

/** A valid xlsx export job; override any field per test. */
export function makeExportJob(overrides: Partial<JobSpec> = {}): JobSpec {
  return makeTaskJob({
    name: 'monthly-xlsx-export',
    description: 'Monthly Excel export of all workspaces',
    schedule: 'cron(0 3 1 * ? *)',
    workflow: 'xlsx-export',
    container: 'xlsx-converter',
    command: ['convert-batch'],
    size: { cpu: 1024, memory: 4096 },
    timeoutSeconds: 7200,
    defaultInput: {},
    export: { frequency: 'monthly', maxConcurrency: 4, recordsPerBatch: 200000 },
    ...overrides,
  });
}
