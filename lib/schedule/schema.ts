/**
 * The user-facing shape of a schedule file, as a zod schema. Keys are the names people
 * write in `schedules/<job>.yml`; `load.ts` maps the parsed value to `JobSpec`.
 * Objects are strict because a typo such as `enabeld: false` must be an error, not a
 * silently ignored key that leaves the job enabled.
 */
import { z } from 'zod';
import { isValidTimeZone, parseScheduleExpression, ScheduleExpressionError } from '../cron/index.ts';
import { parseDuration } from './duration.ts';
import { suggestClosest } from './suggest.ts';

/** Bounds of `timeout`: under a minute is a typo, over a day is a runaway job. */
export const TIMEOUT_BOUNDS = { minSeconds: 60, maxSeconds: 24 * 3600 } as const;
/** Bounds of `retry.interval`. */
export const RETRY_INTERVAL_BOUNDS = { minSeconds: 1, maxSeconds: 3600 } as const;
/** Step Functions inline Map runs at most 40 iterations at once. */
export const MAX_EXPORT_CONCURRENCY = 40;

export const KEBAB_CASE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** An example valid value for every field, keyed by dotted path (array indexes dropped). */
export const FIELD_EXAMPLES: Readonly<Record<string, string>> = {
  description: "Roll up yesterday's records into per-template daily statistics.",
  owner: '{ team: records-platform, slack: "#records-batch" }',
  'owner.team': 'records-platform',
  'owner.slack': '"#records-batch"',
  runbook: 'https://wiki.example.com/runbooks/aggregate-record-stats',
  schedule: 'cron(0 9 * * ? *)',
  timezone: 'Asia/Tokyo',
  enabled: 'true',
  workflow: 'task',
  container: 'batch-jobs',
  command: '[aggregate-record-stats, --granularity, daily]',
  cpu: '256',
  memory: '512',
  timeout: '30m',
  expectedDuration: '5m',
  concurrency: 'forbid',
  spot: 'false',
  retry: '{ maxAttempts: 3, interval: 30s, backoffRate: 2, retryOnJobFailure: false }',
  'retry.maxAttempts': '3',
  'retry.interval': '30s',
  'retry.backoffRate': '2',
  'retry.retryOnJobFailure': 'false',
  notify: '{ on: [FAILED, TIMED_OUT, ABORTED], warnAfterConsecutiveSkips: 2 }',
  'notify.on': '[FAILED, TIMED_OUT, ABORTED]',
  'notify.warnAfterConsecutiveSkips': '2',
  input: '{ dryRun: false }',
  export: '{ frequency: monthly, maxConcurrency: 4, recordsPerBatch: 200000 }',
  'export.frequency': 'monthly',
  'export.maxConcurrency': '4',
  'export.recordsPerBatch': '200000',
};

/** Issue message for a wrong type, telling a missing key apart from a wrong value. */
function expected(what: string) {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'is required' : `must be ${what}, got ${describeValue(issue.input)}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value}"`;
  return String(value);
}

function duration(bounds: { minSeconds: number; maxSeconds: number }, example: string) {
  return z.string({ error: expected(`a duration such as ${example}`) }).superRefine((text, context) => {
    const seconds = parseDuration(text);
    if (seconds === undefined) {
      context.addIssue({
        code: 'custom',
        message: `"${text}" is not a duration: use a number with h, m or s (90s, 30m, 2h, 1h30m)`,
        params: { example },
      });
    } else if (seconds < bounds.minSeconds || seconds > bounds.maxSeconds) {
      context.addIssue({
        code: 'custom',
        message: `must be between ${formatBound(bounds.minSeconds)} and ${formatBound(bounds.maxSeconds)}, got ${text}`,
        params: { example },
      });
    }
  });
}

function formatBound(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

function integer(min: number, max: number, what: string) {
  return z
    .int({ error: expected(`a whole number (${what})`) })
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
}

const scheduleExpression = z
  .string({ error: expected('a cron(...), rate(...) or at(...) expression') })
  .superRefine((text, context) => {
    try {
      parseScheduleExpression(text);
    } catch (error) {
      if (!(error instanceof ScheduleExpressionError)) throw error;
      context.addIssue({ code: 'custom', message: error.message, params: { example: error.example } });
    }
  });

const timeZone = z.string({ error: expected('an IANA time zone name') }).superRefine((text, context) => {
  if (!isValidTimeZone(text)) {
    const suggestion = suggestClosest(text, Intl.supportedValuesOf('timeZone'));
    context.addIssue({
      code: 'custom',
      message: `"${text}" is not an IANA time zone name${suggestion ? ` (did you mean "${suggestion}"?)` : ' (use Region/City, not an abbreviation like JST)'}`,
      params: { example: suggestion ?? 'Asia/Tokyo' },
    });
  }
});

// Control characters (C0, DEL, C1): a NUL cannot reach a process's argv at all (spawn throws), and the others
// are invisible in a review; they are always a paste or encoding accident in a command.
const CONTROL_CHARACTER = /\p{Cc}/u;

/** A command argument: numbers and booleans are accepted and passed on as text (`30` → `"30"`). */
const commandArgument = z
  .union([z.string(), z.number(), z.boolean()], { error: expected('a plain argument') })
  .transform((value) => String(value))
  .superRefine((text, context) => {
    const index = text.search(CONTROL_CHARACTER);
    if (index < 0) return;
    const code = text.codePointAt(index) ?? 0;
    context.addIssue({
      code: 'custom',
      message: `must not contain control characters, found U+${code.toString(16).toUpperCase().padStart(4, '0')} at character ${index + 1} of ${JSON.stringify(text)}; each argument is passed to the process as it is, without a shell`,
      params: { example: FIELD_EXAMPLES.command },
    });
  });

export const NOTIFIABLE_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** Schema of a job after `_defaults.yml` (and built-in defaults) are merged under it. */
export const scheduleFileSchema = z.strictObject(
  {
    description: z
      .string({ error: expected('a sentence describing what the job does') })
      .trim()
      .min(1, 'must not be empty'),
    owner: z.strictObject(
      {
        team: z
          .string({ error: expected('a kebab-case team name') })
          .regex(KEBAB_CASE, 'must be a kebab-case team name'),
        slack: z
          .string({ error: expected('a Slack channel in quotes') })
          .regex(
            /^#[a-z0-9][a-z0-9._-]*$/,
            'must be a Slack channel name starting with # (quote it in YAML)',
          ),
      },
      { error: expected('a mapping with team and slack') },
    ),
    runbook: z.url({ protocol: /^https?$/, error: expected('an http(s) URL') }).optional(),
    schedule: scheduleExpression,
    timezone: timeZone,
    enabled: z.boolean({ error: expected('true or false') }),
    workflow: z.enum(['task', 'xlsx-export'], { error: expected('task or xlsx-export') }),
    container: z
      .string({ error: expected('a container name') })
      .regex(KEBAB_CASE, 'must be a kebab-case folder name under containers/'),
    command: z
      .array(commandArgument, { error: expected('a list: the command and its arguments') })
      .min(1, 'must name at least the command'),
    cpu: z.int({ error: expected('Fargate CPU units (256, 512, 1024, 2048, 4096, 8192 or 16384)') }),
    memory: z.int({ error: expected('memory in MiB') }),
    timeout: duration(TIMEOUT_BOUNDS, '30m'),
    expectedDuration: duration({ minSeconds: 1, maxSeconds: TIMEOUT_BOUNDS.maxSeconds }, '5m').optional(),
    concurrency: z.enum(['forbid', 'allow'], { error: expected('forbid or allow') }),
    spot: z.boolean({ error: expected('true or false') }),
    retry: z.strictObject(
      {
        maxAttempts: integer(1, 10, 'total attempts, 1 = no retry'),
        interval: duration(RETRY_INTERVAL_BOUNDS, '30s'),
        backoffRate: z
          .number({ error: expected('a number') })
          .min(1, 'must be at least 1 (1 = same wait each time)')
          .max(10, 'must be at most 10'),
        retryOnJobFailure: z.boolean({ error: expected('true or false') }),
      },
      { error: expected('a mapping') },
    ),
    notify: z.strictObject(
      {
        on: z
          .array(z.enum(NOTIFIABLE_STATUSES, { error: expected('one of FAILED, TIMED_OUT, ABORTED') }), {
            error: expected('a list of statuses'),
          })
          .refine((list) => new Set(list).size === list.length, 'must not list a status twice'),
        warnAfterConsecutiveSkips: integer(0, 100, '0 disables the warning'),
      },
      { error: expected('a mapping') },
    ),
    input: z.record(z.string(), z.unknown(), { error: expected('a mapping of default parameters') }),
    export: z
      .strictObject(
        {
          frequency: z.enum(['daily', 'weekly', 'monthly'], { error: expected('daily, weekly or monthly') }),
          maxConcurrency: integer(1, MAX_EXPORT_CONCURRENCY, 'converter tasks at once, inline Map limit 40'),
          recordsPerBatch: integer(1, 10_000_000, 'records per converter task'),
        },
        { error: expected('a mapping') },
      )
      .optional(),
  },
  { error: expected('a mapping of job fields') },
);

export type ScheduleFile = z.output<typeof scheduleFileSchema>;

/** Every top-level and nested key the schema knows, for "did you mean" suggestions. */
export const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  '': Object.keys(scheduleFileSchema.shape),
  owner: Object.keys(scheduleFileSchema.shape.owner.shape),
  retry: Object.keys(scheduleFileSchema.shape.retry.shape),
  notify: Object.keys(scheduleFileSchema.shape.notify.shape),
  export: Object.keys(scheduleFileSchema.shape.export.unwrap().shape),
};

/** Values used when neither the job nor `_defaults.yml` sets them. */
export const BUILT_IN_DEFAULTS: Readonly<Record<string, unknown>> = {
  enabled: true,
  workflow: 'task',
  concurrency: 'forbid',
  spot: false,
  input: {},
};
