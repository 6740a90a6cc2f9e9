import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import type { SchedulerClock, SchedulerLog } from '../../local/scheduler.ts';
import { makeTaskJob } from '../support/job-spec.ts';

/** A JobSpec with ordinary defaults; tests override what they exercise. */
export function jobSpec(overrides: Partial<JobSpec> & Pick<JobSpec, 'name' | 'schedule'>): JobSpec {
  return makeTaskJob({
    description: `test job ${overrides.name}`,
    command: [overrides.name],
    size: { cpu: 256, memory: 512 },
    timeoutSeconds: 600,
    defaultInput: {},
    ...overrides,
  });
}

/** A hand-driven clock: timers fire only when the test advances time past them. */
export class FakeClock implements SchedulerClock {
  private current: number;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;

  constructor(startIso: string) {
    this.current = Date.parse(startIso);
  }

  now = (): number => this.current;

  setTimer = (callback: () => void, delayMs: number): unknown => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + delayMs, callback });
    return id;
  };

  clearTimer = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  /** Moves time forward, firing every timer that falls due on the way, in order. */
  advanceTo(iso: string): void {
    const target = Date.parse(iso);
    for (;;) {
      let earliest: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (!earliest || entry[1].at < earliest[1].at) earliest = entry;
      if (!earliest || earliest[1].at > target) break;
      this.timers.delete(earliest[0]);
      this.current = Math.max(this.current, earliest[1].at);
      earliest[1].callback();
    }
    this.current = target;
  }

  /** Jumps the wall clock without firing timers (suspend, NTP step). */
  jumpTo(iso: string): void {
    this.current = Date.parse(iso);
  }

  pendingTimerDelays(): number[] {
    return [...this.timers.values()].map((timer) => timer.at - this.current);
  }
}

export class RecordingLog implements SchedulerLog {
  lines: { level: 'info' | 'warn' | 'error'; message: string }[] = [];
  info = (message: string): void => void this.lines.push({ level: 'info', message });
  warn = (message: string): void => void this.lines.push({ level: 'warn', message });
  error = (message: string): void => void this.lines.push({ level: 'error', message });
}
