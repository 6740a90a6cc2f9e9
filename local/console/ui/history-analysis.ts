/**
 * What an execution's history says about each state: whether it ran, failed (or failed
 * and was caught), was retried or is running; its last input, output, error and cause;
 * and each Map's iterations. Read from the same events GetExecutionHistory returns.
 */
import { TASK_FAILURE_EVENT_TYPES } from '../../../lib/contracts/history-events.ts';

export interface AnalysedEvent {
  id: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

export type StateStatus = 'succeeded' | 'failed' | 'caught' | 'running' | 'aborted';

export interface StateRun {
  name: string;
  status: StateStatus;
  /** Times the state was entered (once per Map iteration that reached it). */
  entered: number;
  /** Task attempts beyond the first entry: a retry (Retry) or a re-run after a Catch loop. */
  retries: number;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
}

export type IterationStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface ExecutionAnalysis {
  states: Map<string, StateRun>;
  /** Map state name → iteration statuses by index. */
  iterations: Map<string, IterationStatus[]>;
  /** Event id → the state it belongs to (for the event table's Step column). */
  stepOf: Map<number, string>;
}

const TASK_FAILURE_TYPES = TASK_FAILURE_EVENT_TYPES;
const SCHEDULED_TYPES = new Set(['TaskScheduled', 'LambdaFunctionScheduled']);

function detailsOf(event: AnalysedEvent): Record<string, unknown> {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && typeof value === 'object' && value !== null) {
      return value as Record<string, unknown>;
    }
  }
  return {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function analyseHistory(
  events: readonly AnalysedEvent[],
  executionStatus: string,
  stateTypes: ReadonlyMap<string, string>,
): ExecutionAnalysis {
  const states = new Map<string, StateRun>();
  const iterations = new Map<string, IterationStatus[]>();
  const stepOf = new Map<number, string>();
  // Entered and not yet exited, most recent last: task events belong to the latest open Task.
  const open: string[] = [];
  const scheduled = new Map<string, number>();
  const failedAt = new Map<string, number>();
  // States whose latest attempt failed: their exit (a Catch moves on) keeps the failure.
  const lastAttemptFailed = new Set<string>();

  const stateRun = (name: string): StateRun => {
    let run = states.get(name);
    if (run === undefined) {
      run = { name, status: 'running', entered: 0, retries: 0 };
      states.set(name, run);
    }
    return run;
  };
  const closeOpen = (name: string) => {
    const index = open.lastIndexOf(name);
    if (index >= 0) open.splice(index, 1);
  };
  const latestOpenTask = (): string | undefined => {
    for (let index = open.length - 1; index >= 0; index--) {
      const name = open[index];
      if (name !== undefined && stateTypes.get(name) === 'Task') return name;
    }
    return undefined;
  };

  for (const event of events) {
    const details = detailsOf(event);
    if (event.type.endsWith('StateEntered')) {
      const name = text(details.name) ?? '';
      const run = stateRun(name);
      run.entered += 1;
      run.status = 'running';
      lastAttemptFailed.delete(name);
      run.input = text(details.input) ?? run.input;
      open.push(name);
      stepOf.set(event.id, name);
      if (stateTypes.get(name) === 'Fail') {
        run.status = 'failed';
        closeOpen(name);
      }
      continue;
    }
    if (event.type.endsWith('StateExited')) {
      const name = text(details.name) ?? '';
      const run = stateRun(name);
      if (lastAttemptFailed.has(name)) run.status = 'failed';
      else {
        run.status = 'succeeded';
        run.output = text(details.output) ?? run.output;
      }
      closeOpen(name);
      stepOf.set(event.id, name);
      continue;
    }
    if (event.type.startsWith('MapIteration')) {
      const name = text(details.name) ?? '';
      const index = typeof details.index === 'number' ? details.index : 0;
      const list = iterations.get(name) ?? [];
      const status: IterationStatus =
        event.type === 'MapIterationStarted'
          ? 'RUNNING'
          : event.type === 'MapIterationSucceeded'
            ? 'SUCCEEDED'
            : event.type === 'MapIterationAborted'
              ? 'ABORTED'
              : 'FAILED';
      list[index] = status;
      iterations.set(name, list);
      stepOf.set(event.id, name);
      continue;
    }
    const task = latestOpenTask();
    if (task === undefined) continue;
    if (SCHEDULED_TYPES.has(event.type)) {
      const count = (scheduled.get(task) ?? 0) + 1;
      scheduled.set(task, count);
      const run = stateRun(task);
      run.retries = Math.max(0, count - run.entered);
      // A new attempt (Retry): the state is running again until it fails or exits.
      run.status = 'running';
      lastAttemptFailed.delete(task);
    }
    if (event.type.startsWith('Task') || event.type.startsWith('LambdaFunction')) stepOf.set(event.id, task);
    if (TASK_FAILURE_TYPES.has(event.type)) {
      const run = stateRun(task);
      run.status = 'failed';
      run.error = text(details.error) ?? run.error;
      run.cause = text(details.cause) ?? run.cause;
      failedAt.set(task, event.id);
      lastAttemptFailed.add(task);
      // Still open: a Retry schedules the task again within the same state entry.
    }
  }

  const terminal = executionStatus !== 'RUNNING' && executionStatus !== 'PENDING_REDRIVE';
  for (const run of states.values()) {
    // A failure followed by more work was handled by a Catch (or a Retry that then succeeded).
    const failedEvent = failedAt.get(run.name);
    if (run.status === 'failed' && failedEvent !== undefined) {
      const laterEntries = events.some(
        (event) => event.id > failedEvent && event.type.endsWith('StateEntered'),
      );
      if (laterEntries) run.status = 'caught';
    }
    if (run.status === 'running' && terminal)
      run.status = executionStatus === 'SUCCEEDED' ? 'succeeded' : 'aborted';
  }
  if (terminal) {
    for (const list of iterations.values()) {
      for (let index = 0; index < list.length; index++) {
        if (list[index] === 'RUNNING' || list[index] === undefined) list[index] = 'ABORTED';
      }
    }
  }
  // The execution failed at a state that did not say so itself (e.g. an uncaught Map failure).
  if (executionStatus === 'FAILED' || executionStatus === 'TIMED_OUT') {
    const anyFailed = [...states.values()].some((run) => run.status === 'failed');
    const lastEntered = [...events].reverse().find((event) => event.type.endsWith('StateEntered'));
    const name = lastEntered ? text(detailsOf(lastEntered).name) : undefined;
    if (!anyFailed && name !== undefined) {
      const run = stateRun(name);
      run.status = 'failed';
    }
  }
  return { states, iterations, stepOf };
}

/** Every state of a definition (nested Map/Parallel states included) with its Type. */
export function stateTypesOf(definition: unknown): Map<string, string> {
  const types = new Map<string, string>();
  const visit = (machine: unknown) => {
    if (typeof machine !== 'object' || machine === null) return;
    const statesObject = (machine as { States?: Record<string, Record<string, unknown>> }).States ?? {};
    for (const [name, state] of Object.entries(statesObject)) {
      types.set(name, String(state.Type));
      visit(state.ItemProcessor ?? state.Iterator);
      if (Array.isArray(state.Branches)) for (const branch of state.Branches) visit(branch);
    }
  };
  visit(definition);
  return types;
}
