import type { JobSpec } from '#lib/schedule/job-spec.ts';

/** A valid ordinary job; override any field per test. */
export function makeTaskJob(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    name: 'aggregate-record-stats',
    sourceFile: 'schedules/aggregate-record-stats.yml',
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
    sourceFile: 'schedules/monthly-xlsx-export.yml',
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
