import { suggestClosest } from '../schedule/suggest.ts';

/**
 * Contracts between the trigger (EventBridge Scheduler, batchctl, the console), the
 * state machines, the Lambdas and the containers. Both sides import these types, so
 * they cannot drift. The execution-input rule ({@link checkExecutionInput}) lives here
 * too: batchctl and the console check with it before they start anything, and the
 * duplicate-start guard (the first state of every workflow, on AWS and locally) enforces
 * it for every other way in (StartExecution from the SDK, the CLI or the AWS console,
 * and schedules).
 */

/**
 * Input of every job execution. EventBridge Scheduler sends it with
 * `scheduledTime` set from `<aws.scheduler.scheduled-time>`; a manual run may omit
 * it, and the guard step fills it with the execution start time.
 */
export interface ExecutionInput {
  /** ISO-8601 instant the run was scheduled for. Periods (e.g. the month to export) derive from it, never from "now". */
  scheduledTime?: string;
  /** How the run was started. */
  trigger?: 'schedule' | 'manual' | 'redrive';
  /** Job parameters, merged over the job's `defaultInput`. */
  params?: Record<string, unknown>;
}

/**
 * JSON placed in the container's `SFN_BATCH_INPUT` environment variable by the
 * state machine (never as shell text). The container validates it at start.
 */
export interface ContainerTaskInput {
  job: string;
  executionArn: string;
  scheduledTime: string;
  params: Record<string, unknown>;
}

/** Environment variable that carries {@link ContainerTaskInput} into a container. */
export const TASK_INPUT_ENV = 'SFN_BATCH_INPUT';

/** Output of the duplicate-start guard Lambda (first state of every workflow). */
export interface GuardDecision {
  decision: 'run' | 'skip';
  /** Human-readable reason, recorded in the execution output on skip. */
  reason: string;
  /** Effective scheduled time (input's, or the execution start time for manual runs). */
  scheduledTime: string;
  /** Effective params: job defaults merged with the input's params. */
  params: Record<string, unknown>;
  /** The execution that holds the run when this one is skipped. */
  blockingExecutionArn?: string;
}

/**
 * The guard's decision when `output` is that of an execution the duplicate-start guard
 * skipped (both workflows end a skip with a Succeed state whose output is the decision);
 * undefined for any other output.
 */
export function skippedStartOf(output: string | undefined): GuardDecision | undefined {
  if (output === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(output);
    return typeof parsed === 'object' && parsed !== null && 'decision' in parsed && parsed.decision === 'skip'
      ? (parsed as GuardDecision)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Raised when an execution input breaks the rule. The name is stable: it is the
 * `Error` the execution fails with, and what Retry/Catch would match.
 */
export class InvalidExecutionInputError extends Error {
  override name = 'InvalidExecutionInput';
}

/** What the rule needs to know about a job: its name and the `params` defaults it declares (`input:` in its schedule file). */
export interface ExecutionInputJob {
  name: string;
  defaultInput: Readonly<Record<string, unknown>>;
  /** For messages: `schedules/<job>.yml`. */
  sourceFile?: string;
}

/** The top-level keys an execution input may have. `Comment` is accepted and dropped (see {@link checkExecutionInput}). */
export const EXECUTION_INPUT_KEYS = ['scheduledTime', 'trigger', 'params', 'Comment'] as const;

const TRIGGERS = ['schedule', 'manual', 'redrive'] as const;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The execution-input rule, in one place for every entry point. An input is a JSON
 * object with only these keys, all optional:
 * - `scheduledTime`: an ISO 8601 instant with a zone; the period a run covers derives from it;
 * - `trigger`: `schedule`, `manual` or `redrive`;
 * - `params`: only keys the job declares under `input:` in its schedule file, each with
 *   a value of the same JSON type as its default (a `null` default takes any type);
 * - `Comment`: ignored and dropped. The AWS Step Functions console pre-fills Start
 *   execution with `{"Comment": "Insert your JSON here"}`, and ASL itself treats
 *   `Comment` as a remark, so a manual run from that console works unchanged.
 *
 * Any other key is refused (usually a typo, and a silently dropped key would run the
 * job with a value the caller did not mean). Returns every problem at once, each
 * naming the key, and the input to send (without `Comment`).
 */
export function checkExecutionInput(
  job: ExecutionInputJob,
  value: unknown,
): { input: ExecutionInput; problems: string[] } {
  const problems: string[] = [];
  const input: ExecutionInput = {};
  if (!isRecord(value)) {
    return {
      input,
      problems: [`the input must be a JSON object such as {"params": {}}, got ${jsonType(value)}`],
    };
  }
  for (const key of Object.keys(value)) {
    if ((EXECUTION_INPUT_KEYS as readonly string[]).includes(key)) continue;
    const suggestion = suggestClosest(key, EXECUTION_INPUT_KEYS);
    problems.push(
      `unknown input key "${key}"; allowed keys are scheduledTime, trigger, params (and Comment, which is ignored).${suggestion ? ` Did you mean "${suggestion}"?` : ''}`,
    );
  }
  const { scheduledTime, trigger, params } = value;
  if (scheduledTime !== undefined) {
    if (
      typeof scheduledTime !== 'string' ||
      !ISO_INSTANT.test(scheduledTime) ||
      Number.isNaN(Date.parse(scheduledTime))
    ) {
      problems.push(
        `scheduledTime must be an ISO 8601 instant with a zone, such as "2026-11-01T00:00:00+09:00", got ${JSON.stringify(scheduledTime)}`,
      );
    } else {
      input.scheduledTime = scheduledTime;
    }
  }
  if (trigger !== undefined) {
    if (typeof trigger === 'string' && (TRIGGERS as readonly string[]).includes(trigger)) {
      input.trigger = trigger as ExecutionInput['trigger'];
    } else {
      problems.push(`trigger must be one of ${TRIGGERS.join(', ')}, got ${JSON.stringify(trigger)}`);
    }
  }
  if (params !== undefined) {
    if (!isRecord(params)) {
      problems.push(`params must be a JSON object, got ${jsonType(params)}`);
    } else {
      problems.push(...paramProblems(job, params));
      input.params = params;
    }
  }
  return { input, problems };
}

function paramProblems(job: ExecutionInputJob, params: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const known = Object.keys(job.defaultInput);
  const where = `input: in ${job.sourceFile ?? `schedules/${job.name}.yml`}`;
  for (const [key, given] of Object.entries(params)) {
    if (!Object.hasOwn(job.defaultInput, key)) {
      const suggestion = suggestClosest(key, known);
      problems.push(
        `params.${key} is not a parameter of ${job.name}; ${known.length > 0 ? `it accepts ${known.join(', ')}` : 'it declares no parameters'} (${where}).${suggestion ? ` Did you mean "${suggestion}"?` : ''}`,
      );
      continue;
    }
    const expected = jsonType(job.defaultInput[key]);
    if (expected !== 'null' && jsonType(given) !== expected) {
      problems.push(
        `params.${key} must be a ${expected} like its default ${JSON.stringify(job.defaultInput[key])}, got ${JSON.stringify(given)}`,
      );
    }
  }
  return problems;
}

/**
 * {@link checkExecutionInput}, throwing {@link InvalidExecutionInputError} with every
 * problem and a valid example when the input breaks the rule.
 */
export function parseExecutionInput(job: ExecutionInputJob, value: unknown): ExecutionInput {
  const { input, problems } = checkExecutionInput(job, value);
  if (problems.length > 0) {
    throw new InvalidExecutionInputError(
      `Execution input of ${job.name} is invalid: ${problems.map((problem) => problem.replace(/\.$/, '')).join('; ')}. Valid input looks like ${manualRunExample(job)}; every key is optional.`,
    );
  }
  return input;
}

/** `{"params":{...the job's defaults}}`: the input of a manual run with the job's own defaults. */
export function manualRunExample(job: ExecutionInputJob): string {
  return JSON.stringify({ params: job.defaultInput });
}

/**
 * Input that reruns the period containing `scheduledTime` (for example last month's
 * export): the run covers the period of that scheduled instant, not of "now".
 */
export function rerunPeriodExample(job: ExecutionInputJob, scheduledTime: string): string {
  return JSON.stringify({ scheduledTime, params: job.defaultInput });
}
