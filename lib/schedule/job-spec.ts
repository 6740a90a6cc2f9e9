/**
 * The one in-memory model of a job, parsed from `schedules/<job>.yml` merged over
 * `schedules/_defaults.yml`. Everything downstream (state machine synthesis,
 * serverless.yml, the local runtime, batchctl, the console) reads this type and
 * nothing else, so a job is never described twice.
 */

/** Workflow template a job runs on: `statemachines/<workflow file>`. */
export type WorkflowKind = 'task' | 'xlsx-export';

/** What happens when a start finds another execution of the same job RUNNING. */
export type ConcurrencyPolicy = 'forbid' | 'allow';

/** Terminal execution statuses that can be notified. */
export type NotifiableStatus = 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface JobOwner {
  /** Team that answers for the job, e.g. `records-platform`. */
  team: string;
  /** Slack channel for alerts, with the leading `#`. */
  slackChannel: string;
}

export interface TaskSize {
  /** Fargate CPU units (256, 512, 1024, 2048, 4096, 8192, 16384). */
  cpu: number;
  /** Fargate memory in MiB; must be a valid combination with `cpu`. */
  memory: number;
}

export interface ProvisioningRetry {
  /** Total attempts at starting the task when ECS fails to provision it (1 = no retry). */
  maxAttempts: number;
  /** Wait before the first retry, in seconds. */
  intervalSeconds: number;
  /** Multiplier applied to the wait after each retry. */
  backoffRate: number;
  /** Also retry when the job's own container exits non-zero (off by default: job errors are not transient). */
  retryOnJobFailure: boolean;
}

export interface NotificationSettings {
  /** Statuses that post to Slack. */
  on: NotifiableStatus[];
  /** Warn after this many consecutive skipped starts (the job is still running at its next start); 0 disables. */
  warnAfterConsecutiveSkips: number;
}

export interface ExportSettings {
  /** Which export settings the enqueue step picks up, and the period it covers. */
  frequency: 'daily' | 'weekly' | 'monthly';
  /** Map state MaxConcurrency: converter tasks running at once (protects the database). 1-40. */
  maxConcurrency: number;
  /** Soft cap of records per converter batch; a single larger target runs alone. */
  recordsPerBatch: number;
}

export interface JobSpec {
  /** Kebab-case job name, equal to the schedule file name without `.yml`. */
  name: string;
  /** Path of the schedule file, relative to the repository root (for messages). */
  sourceFile: string;
  description: string;
  owner: JobOwner;
  /** Link to the runbook for the on-call engineer, if any. */
  runbookUrl: string | undefined;
  /** EventBridge Scheduler expression: `cron(...)`, `rate(...)` or `at(...)`. */
  schedule: string;
  /** IANA time zone the schedule is evaluated in, e.g. `Asia/Tokyo`. */
  timezone: string;
  /** Whether the job's schedule is enabled (a stage may still disable all schedules). */
  enabled: boolean;
  workflow: WorkflowKind;
  /** Container (folder under `containers/`) that runs the job: `batch-jobs` or `xlsx-converter`. */
  container: string;
  /** Command passed to the container, e.g. `['aggregate-record-stats', '--granularity', 'daily']`. */
  command: string[];
  size: TaskSize;
  /** Per-task timeout; the state machine stops the task after this long. */
  timeoutSeconds: number;
  /** Declared typical run time of one task, for cost estimates when no runs have been observed. */
  expectedDurationSeconds?: number | undefined;
  concurrency: ConcurrencyPolicy;
  /** Run on Fargate Spot (cheaper, may be interrupted: `SpotInterruption` is retried). */
  spot: boolean;
  retry: ProvisioningRetry;
  notifications: NotificationSettings;
  /** Default `params` of the execution input; a manual run may override keys. */
  defaultInput: Record<string, unknown>;
  /** Present only when `workflow` is `xlsx-export`. */
  export: ExportSettings | undefined;
}

/** Valid Fargate (Linux) cpu → memory combinations, in MiB. */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
}

/** Project service name: state machines are `${SERVICE_NAME}-${stage}-${job}`. */
export const SERVICE_NAME = 'sfn-batch';

/**
 * Longest job name. EventBridge Scheduler schedule names and IAM role names stop at
 * 64 characters; `sfn-batch-` (10) + a stage of up to 12 + `-` leaves 41.
 */
export const MAX_JOB_NAME_LENGTH = 40;
export const MAX_STAGE_NAME_LENGTH = 12;
