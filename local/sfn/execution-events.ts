/**
 * What the local Step Functions service tells the rest of the runtime about executions:
 * started/finished events for the terminal and the console, and the EventBridge
 * "Step Functions Execution Status Change" event that drives notifications. Listeners are
 * called on a later turn and their failures are reported, never thrown.
 */
import { randomUUID } from 'node:crypto';
import { buildStatusChangeEvent } from '../../lib/contracts/status-change-event.ts';
import type { ExecutionRecord, ExecutionStatus } from '../store/execution-store.ts';
import { redriveStatus } from './execution-outcome.ts';

export interface ExecutionEvent {
  type: 'started' | 'finished';
  executionArn: string;
  job: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  error?: string;
  cause?: string;
}

export interface ExecutionEventOptions {
  region: string;
  accountId: string;
  onExecutionEvent?: (event: ExecutionEvent) => void;
  onStatusChangeEvent?: (event: unknown) => Promise<void>;
  warn: (message: string) => void;
}

export class ExecutionEvents {
  private readonly options: ExecutionEventOptions;
  private readonly pendingCallbacks = new Set<Promise<void>>();

  constructor(options: ExecutionEventOptions) {
    this.options = options;
  }

  /** A started/finished event for onExecutionEvent (the terminal lines of npm start, the console). */
  execution(type: 'started' | 'finished', record: ExecutionRecord): void {
    const listener = this.options.onExecutionEvent;
    if (listener === undefined) return;
    const event: ExecutionEvent = {
      type,
      executionArn: record.executionArn,
      job: record.job,
      name: record.name,
      status: record.status,
      startDate: new Date(record.startDate),
      ...(record.stopDate === undefined ? {} : { stopDate: new Date(record.stopDate) }),
      ...(record.error === undefined ? {} : { error: record.error }),
      ...(record.cause === undefined ? {} : { cause: record.cause }),
    };
    // Delivered on a later turn (in order): events raised while the runtime starts (recovery)
    // reach listeners after startLocalRuntime has returned and the API is listening.
    setImmediate(() => {
      try {
        listener(event);
      } catch (error) {
        this.options.warn(`onExecutionEvent failed for ${record.executionArn}: ${String(error)}`);
      }
    });
  }

  /** The EventBridge "Step Functions Execution Status Change" event of a terminal status. */
  statusChange(record: ExecutionRecord): void {
    const listener = this.options.onStatusChangeEvent;
    if (listener === undefined) return;
    const redrive = redriveStatus(record);
    const event = buildStatusChangeEvent(
      { ...record, redriveStatus: redrive.status, redriveStatusReason: redrive.reason },
      { account: this.options.accountId, region: this.options.region, id: randomUUID(), time: new Date() },
    );
    const pending = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      try {
        await listener(event);
      } catch (error) {
        this.options.warn(`onStatusChangeEvent failed for ${record.executionArn}: ${String(error)}`);
      }
    })();
    this.pendingCallbacks.add(pending);
    void pending.finally(() => this.pendingCallbacks.delete(pending));
  }

  /** Waits for the status-change listeners still running (shutdown). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pendingCallbacks]);
  }
}
