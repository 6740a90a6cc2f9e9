import type { InterpreterEvent, PendingHistoryEvent } from './history.ts';

/** Writes one history event with its `previousEventId`; returns the new event's id. */
export type AppendEvent = (type: string, details: Record<string, unknown>, previousEventId: number) => number;

const EXECUTION = 'execution';

interface OpenState {
  thread: string;
  name: string;
  type: string;
  /**
   * Its handler may claim it: set on entry and on each retry, cleared when a handler
   * claims it, so that a concurrent iteration entering the same state cannot take the
   * entry of one that waits for its retry.
   */
  ready: boolean;
}

interface OpenMap {
  name: string;
  /** What the next MapIterationStarted follows from: MapStateStarted, then the last event of the iteration that finished last. */
  iterationCause: number;
  /** The last MapIteration{Succeeded} event: what MapStateSucceeded and MapStateExited follow from. */
  lastCompletion: number | undefined;
  /** The event that failed the Map (the failed iteration's last event). */
  failureCause: number | undefined;
  iterations: Set<number>;
}

/**
 * Links history events by cause, as Step Functions does, instead of id − 1: each
 * event follows the previous event of its own thread (the execution, or one Map
 * iteration). Observed on AWS (GetExecutionHistory recordings):
 * - ExecutionStarted and the first state's *StateEntered have previousEventId 0;
 * - MapIterationStarted follows MapStateStarted, later ones the last event of the
 *   iteration that finished before; MapIterationSucceeded/Failed follow the
 *   iteration's last event; MapStateSucceeded and MapStateExited follow the last
 *   MapIterationSucceeded; MapStateFailed follows the event that failed the iteration.
 * A stopped Map writes *StateAborted for each open state of each running iteration,
 * MapIterationAborted for each such iteration, then MapStateAborted.
 */
export class HistoryLinker {
  private readonly append: AppendEvent;
  private readonly last = new Map<string, number>();
  private readonly open: OpenState[] = [];
  private map: OpenMap | undefined;

  /** `lastEventId`: 0 for a new execution, the ExecutionRedriven event's id for a redrive. */
  constructor(append: AppendEvent, lastEventId: number) {
    this.append = append;
    this.last.set(EXECUTION, lastEventId);
  }

  /** The history events of one interpreter event, linked. */
  interpreterEvent(event: InterpreterEvent, mapped: PendingHistoryEvent[]): void {
    const thread = this.threadOf(event);
    const state = event.state;
    if (event.type === 'StateEntered' && state !== undefined) {
      this.open.push({ thread, name: state.name, type: state.type, ready: true });
    }
    if (event.type === 'StateRetried' && state !== undefined) {
      const entry = this.open.find(
        (candidate) => candidate.thread === thread && candidate.name === state.name,
      );
      if (entry !== undefined) entry.ready = true;
    }
    // A failed state stays open: a Retry runs it again in the same thread. Its thread ends anyway if nothing does.
    if ((event.type === 'StateExited' || event.type === 'StateCaught') && state !== undefined) {
      this.close(thread, state.name);
    }
    for (const pending of mapped) this.link(thread, event, pending);
  }

  private link(thread: string, event: InterpreterEvent, pending: PendingHistoryEvent): void {
    const map = this.map;
    switch (pending.type) {
      case 'MapStateStarted': {
        const id = this.write(thread, pending);
        this.map = {
          name: event.state?.name ?? '',
          iterationCause: id,
          lastCompletion: undefined,
          failureCause: undefined,
          iterations: new Set(),
        };
        return;
      }
      case 'MapIterationStarted': {
        const index = event.index ?? 0;
        const iteration = `iteration:${index}`;
        const id = this.append(pending.type, pending.details, map?.iterationCause ?? this.lastOf(thread));
        this.last.set(iteration, id);
        map?.iterations.add(index);
        return;
      }
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const index = event.index ?? 0;
        const iteration = `iteration:${index}`;
        const cause = this.lastOf(iteration);
        const id = this.append(pending.type, pending.details, cause);
        this.open.splice(0, this.open.length, ...this.open.filter((entry) => entry.thread !== iteration));
        if (map !== undefined) {
          map.iterations.delete(index);
          map.iterationCause = cause;
          if (pending.type === 'MapIterationSucceeded') map.lastCompletion = id;
          else map.failureCause = cause;
        }
        return;
      }
      case 'MapStateSucceeded': {
        const cause = map?.lastCompletion ?? this.lastOf(thread);
        this.append(pending.type, pending.details, cause);
        this.last.set(thread, cause);
        this.map = undefined;
        return;
      }
      case 'MapStateFailed': {
        if (map !== undefined) this.abortIterations(map, map.failureCause);
        const id = this.append(pending.type, pending.details, map?.failureCause ?? this.lastOf(thread));
        this.last.set(thread, id);
        this.map = undefined;
        return;
      }
      default:
        this.write(thread, pending);
    }
  }

  /** Claims the thread a Task state's handler runs in: the oldest entry of that state that is ready to run. */
  claimTask(stateName: string): string {
    const entry = this.open.find((candidate) => candidate.name === stateName && candidate.ready);
    if (entry === undefined) return EXECUTION;
    entry.ready = false;
    return entry.thread;
  }

  /** An event written by a Task handler in its thread. */
  taskEvent(thread: string, type: string, details: Record<string, unknown>): void {
    this.write(thread, { type, details });
  }

  /** The execution is being stopped: abort events for every open state and Map iteration. */
  abortOpen(): void {
    const map = this.map;
    if (map !== undefined) {
      this.abortIterations(map, undefined);
      const id = this.append('MapStateAborted', {}, this.lastOf(EXECUTION));
      this.last.set(EXECUTION, id);
      this.map = undefined;
    }
    for (const entry of this.open.filter((candidate) => candidate.thread === EXECUTION)) {
      if (entry.type === 'Map') continue;
      this.write(EXECUTION, { type: `${entry.type}StateAborted`, details: {} });
    }
    this.open.length = 0;
  }

  /** The execution's terminal event (ExecutionSucceeded/Failed/TimedOut/Aborted). */
  terminal(type: string, details: Record<string, unknown>): void {
    this.write(EXECUTION, { type, details });
  }

  private abortIterations(map: OpenMap, cause: number | undefined): void {
    for (const index of [...map.iterations].sort((a, b) => a - b)) {
      const iteration = `iteration:${index}`;
      for (const entry of this.open.filter((candidate) => candidate.thread === iteration)) {
        const id = this.append(`${entry.type}StateAborted`, {}, cause ?? this.lastOf(iteration));
        this.last.set(iteration, id);
      }
      this.append(
        'MapIterationAborted',
        { mapIterationAbortedEventDetails: { name: map.name, index } },
        cause ?? this.lastOf(iteration),
      );
      this.open.splice(0, this.open.length, ...this.open.filter((entry) => entry.thread !== iteration));
    }
    map.iterations.clear();
  }

  private close(thread: string, name: string): void {
    const index = this.open.findIndex((entry) => entry.thread === thread && entry.name === name);
    if (index >= 0) this.open.splice(index, 1);
  }

  private threadOf(event: InterpreterEvent): string {
    return event.index === undefined || event.type.startsWith('MapIteration')
      ? EXECUTION
      : `iteration:${event.index}`;
  }

  private lastOf(thread: string): number {
    return this.last.get(thread) ?? this.last.get(EXECUTION) ?? 0;
  }

  private write(thread: string, pending: PendingHistoryEvent): number {
    const id = this.append(pending.type, pending.details, this.lastOf(thread));
    this.last.set(thread, id);
    return id;
  }
}
