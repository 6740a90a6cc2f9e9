/**
 * How an execution ends: the outcome the interpreter's result maps to, whether a stopped
 * execution can be redriven, and when a runtime that crashed was last known alive.
 */
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError } from 'aws-local-stepfunctions';
import type { ExecutionRecord, ExecutionStatus, Heartbeat } from '../store/execution-store.ts';

const REDRIVE_WINDOW_MS = 14 * 24 * 60 * 60 * 1000;

export interface Outcome {
  status: Exclude<ExecutionStatus, 'RUNNING'>;
  output?: string;
  error?: string;
  cause?: string;
}

/** The outcome of the interpreter's rejected result. */
export function classifyFailure(error: unknown): Outcome {
  if (error instanceof ExecutionTimeoutError) {
    return {
      status: 'TIMED_OUT',
      error: 'States.Timeout',
      cause: 'The execution ran longer than its TimeoutSeconds.',
    };
  }
  if (error instanceof ExecutionAbortedError) {
    return { status: 'ABORTED' };
  }
  if (error instanceof ExecutionError && error.cause instanceof Error) {
    const cause = error.cause;
    return { status: 'FAILED', error: cause.name, cause: cause.message };
  }
  // Anything else was thrown inside the interpreter itself: AWS reports its own runtime
  // failures as States.Runtime.
  return {
    status: 'FAILED',
    error: 'States.Runtime',
    cause: `The execution failed inside the local Step Functions interpreter (aws-local-stepfunctions): ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
  };
}

export function redriveStatus(record: ExecutionRecord): {
  status: 'REDRIVABLE' | 'NOT_REDRIVABLE';
  reason?: string;
} {
  if (record.status === 'RUNNING' || record.status === 'SUCCEEDED') {
    return { status: 'NOT_REDRIVABLE', reason: `Execution is ${record.status} and cannot be redriven` };
  }
  if (record.stopDate !== undefined && Date.now() - Date.parse(record.stopDate) > REDRIVE_WINDOW_MS) {
    return {
      status: 'NOT_REDRIVABLE',
      reason: 'Execution stopped more than 14 days ago and cannot be redriven',
    };
  }
  if (record.resumeFrom === undefined) {
    return {
      status: 'NOT_REDRIVABLE',
      reason: 'Execution stopped before it entered any Task, Map or Parallel state',
    };
  }
  return { status: 'REDRIVABLE' };
}

/**
 * The last instant the runtime that ran `record` is known to have been alive: its last
 * heartbeat, the record's last update or the last history event, whichever is latest.
 * A crash (SIGKILL, power loss) leaves no other trace of when it happened.
 */
export function lastKnownAlive(
  record: ExecutionRecord,
  history: Array<{ timestamp: number }>,
  heartbeat: Heartbeat | undefined,
): Date {
  const instants = [Date.parse(record.updatedAt), (history.at(-1)?.timestamp ?? 0) * 1000];
  if (heartbeat !== undefined && heartbeat.pid === record.runtimePid) instants.push(Date.parse(heartbeat.at));
  return new Date(Math.min(Date.now(), Math.max(...instants)));
}
