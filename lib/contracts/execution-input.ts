/**
 * Contracts between the trigger (EventBridge Scheduler, batchctl, the console), the
 * state machines, the Lambdas and the containers. Both sides import these types, so
 * they cannot drift.
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
