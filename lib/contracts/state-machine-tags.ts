/**
 * The tags of a job's state machine: the one builder that deploy (lib/workflows/deployment.ts)
 * and the local runtime (local/runtime.ts) use, and the one reader the notify Lambda uses to
 * address an alert (owner, runbook, which statuses notify, when to warn about skips).
 */
import {
  type JobSpec,
  type NotifiableStatus,
  type NotificationSettings,
  SERVICE_NAME,
} from '../schedule/job-spec.ts';

/** Step Functions tag values: letters, digits, spaces and `_ . : / = + - @`, at most 256 characters. */
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
const MAX_TAG_VALUE_LENGTH = 256;

/**
 * Marks a value that had characters Step Functions refuses in a tag (a runbook URL with
 * `?`, `&`, `#` or `%`): the rest is the value's UTF-8 as base64url, whose alphabet tags
 * allow, so the value survives deploy unchanged and {@link readStateMachineTags} restores it.
 */
const ENCODED_PREFIX = 'base64url:';

export const NOTIFIABLE_STATUSES: readonly NotifiableStatus[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];

/** The skip-warning threshold for a state machine without the tag. */
const DEFAULT_WARN_AFTER_SKIPS = 3;

/** Tag keys, and the schedule field each comes from (for located errors). */
const TAG_FIELDS = {
  service: 'file name',
  stage: 'file name',
  job: 'file name',
  team: 'owner.team',
  'slack-channel': 'owner.slack',
  runbook: 'runbook',
  'notify-on': 'notify.on',
  'warn-after-consecutive-skips': 'notify.warnAfterConsecutiveSkips',
  'source-file': 'file name',
} as const;
type TagKey = keyof typeof TAG_FIELDS;

function encodeTagValue(value: string): string {
  if (TAG_VALUE.test(value) && !value.startsWith(ENCODED_PREFIX)) return value;
  return `${ENCODED_PREFIX}${Buffer.from(value, 'utf8').toString('base64url')}`;
}

function decodeTagValue(value: string): string {
  return value.startsWith(ENCODED_PREFIX)
    ? Buffer.from(value.slice(ENCODED_PREFIX.length), 'base64url').toString('utf8')
    : value;
}

function plainTags(job: JobSpec, stage: string): Partial<Record<TagKey, string>> {
  return {
    service: SERVICE_NAME,
    stage,
    job: job.name,
    team: job.owner.team,
    // Kept without `#`, which tags refuse; the reader gives the channel back with it.
    'slack-channel': job.owner.slackChannel.replace(/^#/, ''),
    ...(job.runbookUrl === undefined ? {} : { runbook: job.runbookUrl }),
    'notify-on': job.notifications.on.join(' '),
    'warn-after-consecutive-skips': String(job.notifications.warnAfterConsecutiveSkips),
    'source-file': job.sourceFile,
  };
}

/**
 * The state machine's tags as `key → value`, every value one Step Functions accepts
 * (values with other characters are encoded, see {@link readStateMachineTags}).
 *
 * @throws StateMachineTagError when a value is too long even for a tag; `batchctl validate`
 *   reports the same through {@link stateMachineTagProblems}.
 */
export function stateMachineTags(job: JobSpec, stage: string): Record<string, string> {
  const problems = stateMachineTagProblems(job, stage);
  if (problems[0])
    throw new StateMachineTagError(`${job.sourceFile}: ${problems[0].field}: ${problems[0].message}`);
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(plainTags(job, stage))) tags[key] = encodeTagValue(value);
  return tags;
}

/** The tags as the `[{ key, value }]` list of the Step Functions API (ListTagsForResource). */
export function stateMachineTagList(job: JobSpec, stage: string): { key: string; value: string }[] {
  return Object.entries(stateMachineTags(job, stage)).map(([key, value]) => ({ key, value }));
}

/** Raised when a job's settings cannot become state machine tags. */
export class StateMachineTagError extends Error {
  override name = 'StateMachineTagError';
}

/**
 * Schedule fields whose value cannot become a tag, even encoded (too long), with what to
 * do. `field` is the dotted path in the schedule file. The stage only adds a short tag;
 * the longest stage name (12 characters) is assumed when none is given.
 */
export function stateMachineTagProblems(
  job: JobSpec,
  stage = 'x'.repeat(12),
): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  for (const [key, value] of Object.entries(plainTags(job, stage)) as [TagKey, string][]) {
    const encoded = encodeTagValue(value);
    if (encoded.length <= MAX_TAG_VALUE_LENGTH) continue;
    const why =
      encoded === value
        ? `is ${value.length} characters`
        : `has characters a tag cannot hold, so it is stored encoded, and encoded it is ${encoded.length} characters`;
    problems.push({
      field: TAG_FIELDS[key],
      message: `becomes the state machine tag "${key}", which holds at most ${MAX_TAG_VALUE_LENGTH} characters, but the value ${why}. Use a shorter value (for a runbook, a short link such as https://wiki.example.com/runbooks/x).`,
    });
  }
  return problems;
}

/** What the notify Lambda reads from a state machine's tags. */
export interface JobTags {
  job: string | undefined;
  team: string | undefined;
  /** With its leading `#`. */
  slackChannel: string | undefined;
  runbookUrl: string | undefined;
  notifications: NotificationSettings;
}

function isNotifiable(status: string): status is NotifiableStatus {
  return (NOTIFIABLE_STATUSES as readonly string[]).includes(status);
}

/**
 * Reads tags written by {@link stateMachineTags} (from ListTagsForResource). A state
 * machine without the notify tags notifies on every failure status and warns after 3 skips.
 */
export function readStateMachineTags(tags: Readonly<Record<string, string>>): JobTags {
  const value = (key: TagKey) => (tags[key] === undefined ? undefined : decodeTagValue(tags[key]));
  const on = (value('notify-on') ?? '')
    .split(/[\s,]+/)
    .map((status) => status.trim().toUpperCase())
    .filter(isNotifiable);
  const skips = Number(value('warn-after-consecutive-skips'));
  const channel = value('slack-channel');
  return {
    job: value('job'),
    team: value('team'),
    slackChannel: channel === undefined ? undefined : `#${channel.replace(/^#/, '')}`,
    runbookUrl: value('runbook'),
    notifications: {
      on: on.length > 0 ? on : [...NOTIFIABLE_STATUSES],
      warnAfterConsecutiveSkips:
        value('warn-after-consecutive-skips') !== undefined && Number.isInteger(skips) && skips >= 0
          ? skips
          : DEFAULT_WARN_AFTER_SKIPS,
    },
  };
}
