import type { ExecutionInput } from '../lib/contracts/execution-input.ts';
import { nextRuns, parseScheduleExpression } from '../lib/cron/index.ts';
import type { ScheduleExpression } from '../lib/cron/parse.ts';
import type { JobSpec } from '../lib/schedule/job-spec.ts';
import {
  emptyState,
  type JobScheduleState,
  readSchedulerState,
  type SchedulerState,
  storedJobState,
  writeSchedulerState,
} from '../lib/schedule/scheduler-state.ts';

/**
 * The local stand-in for EventBridge Scheduler: starts each enabled job at the
 * instants AWS would (cron in the job's zone with DST rules, rate(), at() once),
 * with the scheduled time in the input.
 *
 * Missed runs (the runtime was down, or the machine slept) are never replayed
 * silently. By default they are skipped with one log line per job. An opt-in
 * catch-up window works like Kubernetes' `startingDeadlineSeconds`: the most recent
 * missed run that is younger than the window is started once, late.
 */

/** What the scheduler asks the runtime to start. */
export interface ScheduledStart {
  /** Deterministic `<job>-<yyyyMMddTHHmmZ>`: a double fire hits StartExecution's name idempotency. */
  name: string;
  input: ExecutionInput & { scheduledTime: string; trigger: 'schedule'; params: Record<string, unknown> };
}

export interface SchedulerLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Wall clock and timers, injectable so tests drive time by hand. */
export interface SchedulerClock {
  now(): number;
  /** Fires `callback` after `delayMs` of this clock's time (not necessarily real milliseconds). */
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
  /**
   * Clock milliseconds per real millisecond (default 1; `npm start --speed`). Event-loop
   * stalls happen in real time, so the on-time tolerance is scaled by it.
   */
  speed?: number;
}

export type NextRunsFunction = (
  expression: ScheduleExpression,
  timezone: string,
  after: Date,
  count: number,
  options?: { anchor?: Date },
) => Date[];

export interface SchedulerOptions {
  jobs: readonly JobSpec[];
  start: (job: JobSpec, request: ScheduledStart) => Promise<unknown>;
  log: SchedulerLog;
  /** `<dataDir>/scheduler.json`: last handled instant and rate() anchor per job. Omit to keep state in memory only (`--at`). */
  stateFile?: string;
  /** Start the most recent missed run if it is at most this old; 0 (default) skips every missed run. */
  catchUpSeconds?: number;
  clock?: SchedulerClock;
  nextRuns?: NextRunsFunction;
  /** Start no run scheduled at or after this instant (`--until`: a simulation that ends). */
  until?: Date;
}

export interface UpcomingRun {
  job: string;
  at: Date;
}

export interface Scheduler {
  /** Reads the state file, reports missed runs (starting one per job inside the catch-up window) and arms the timer. */
  start(): Promise<void>;
  /** Clears the timer, waits for starts in flight, and records that every job is handled up to now. */
  stop(): Promise<void>;
  /** The next `count` runs across all scheduled jobs, earliest first. */
  upcoming(count: number): UpcomingRun[];
  /**
   * The next `count` runs of one job as this scheduler will fire them (rate() counts from
   * its stored anchor); undefined when the scheduler does not schedule that job.
   */
  upcomingFor(job: string, count: number): Date[] | undefined;
  /** Number of jobs with a schedule that will fire (enabled, with a future run). */
  scheduledJobCount(): number;
}

/**
 * A due run is started if it is at most this late. Covers timer jitter and a
 * short event-loop stall; anything later counts as missed.
 */
export const ON_TIME_TOLERANCE_MS = 60_000;

/**
 * Longest single wait. setTimeout overflows past 2^31-1 ms (24.8 days), and its
 * monotonic clock does not see wall-clock jumps (suspend, NTP steps); waking at
 * least once a minute bounds both.
 */
export const MAX_TIMER_DELAY_MS = 60_000;

/** Upper bound on missed runs enumerated per job (rate(1 minute) over a month down is 43,200). */
const MAX_MISSED_ENUMERATION = 100_000;

const realClock: SchedulerClock = {
  now: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The clock of `npm start --at/--speed`: starts at `startAt` (default: the real now) the
 * first time it is read, which is when the scheduler starts, and then runs `speed` times
 * as fast as `real`. Only the scheduler reads it: execution start and stop dates, task
 * timeouts and Wait states stay on the real clock (see README, "Simulated time").
 */
export function simulatedClock(
  startAt: Date | undefined,
  speed: number,
  real: SchedulerClock = realClock,
): SchedulerClock {
  let origin: { real: number; simulated: number } | undefined;
  return {
    now() {
      const realNow = real.now();
      origin ??= { real: realNow, simulated: startAt?.getTime() ?? realNow };
      return origin.simulated + (realNow - origin.real) * speed;
    },
    setTimer: (callback, delayMs) => real.setTimer(callback, delayMs / speed),
    clearTimer: (handle) => real.clearTimer(handle),
    speed,
  };
}

/** `<job>-<yyyyMMddTHHmmZ>` in UTC, e.g. `aggregate-daily-20261201T0000Z`. */
export function scheduledExecutionName(job: string, scheduledTime: Date): string {
  const iso = scheduledTime.toISOString();
  const compact = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
  return `${job}-${compact}`;
}

/** The start request for one scheduled instant of a job. */
export function scheduledStart(job: JobSpec, scheduledTime: Date): ScheduledStart {
  return {
    name: scheduledExecutionName(job.name, scheduledTime),
    input: {
      scheduledTime: scheduledTime.toISOString(),
      trigger: 'schedule',
      params: { ...job.defaultInput },
    },
  };
}

export interface DuePlan {
  /** The runs to start now, oldest first: every due run within the on-time tolerance, else at most the latest (catch-up). */
  fire: Date[];
  /** Runs not started, oldest first (bounded), and how many there were in total. */
  missed: { count: number; first: Date; last: Date; moreThan: boolean } | undefined;
  /** First run strictly after `now`. */
  next: Date | undefined;
}

/**
 * Pure core: which runs of one schedule fall in `(after, now]`, which of them to
 * start and which are missed. Every run at most `onTimeMs` old is on time and is
 * started (several only when the clock runs fast: `--speed`). Of older runs, only
 * the most recent can be started (once), if it is within `toleranceMs` of `now`.
 */
export function planDueRuns(
  expression: ScheduleExpression,
  timezone: string,
  after: Date,
  now: Date,
  toleranceMs: number,
  anchor: Date | undefined,
  computeNextRuns: NextRunsFunction = nextRuns,
  onTimeMs = 0,
): DuePlan {
  const options = anchor ? { anchor } : {};
  const due: Date[] = [];
  let cursor = after;
  let next: Date | undefined;
  let moreThan = false;
  for (;;) {
    const batch = computeNextRuns(expression, timezone, cursor, 500, options);
    let reachedFuture = false;
    for (const run of batch) {
      if (run.getTime() > now.getTime()) {
        next = run;
        reachedFuture = true;
        break;
      }
      due.push(run);
    }
    const last = batch.at(-1);
    if (reachedFuture || batch.length < 500 || !last) break;
    if (due.length >= MAX_MISSED_ENUMERATION) {
      moreThan = true;
      next = computeNextRuns(expression, timezone, now, 1, options)[0];
      break;
    }
    cursor = last;
  }
  const onTime = due.filter((run) => now.getTime() - run.getTime() <= onTimeMs);
  const latest = due.at(-1);
  const fire =
    onTime.length > 0 ? onTime : latest && now.getTime() - latest.getTime() <= toleranceMs ? [latest] : [];
  const notStarted = due.slice(0, due.length - fire.length);
  const first = notStarted[0];
  const last = notStarted.at(-1);
  const missed = first && last ? { count: notStarted.length, first, last, moreThan } : undefined;
  return { fire, missed, next };
}

type JobState = JobScheduleState;

async function readState(file: string, log: SchedulerLog): Promise<SchedulerState> {
  const { state, problem } = await readSchedulerState(file);
  if (problem) log.warn(`${problem}; starting fresh, no missed runs can be reported`);
  return state;
}

interface ScheduledJob {
  job: JobSpec;
  expression: ScheduleExpression;
  state: JobState;
  next: Date | undefined;
}

/** Creates the scheduler; nothing happens until `start()`. */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const clock = options.clock ?? realClock;
  const computeNextRuns = options.nextRuns ?? nextRuns;
  const catchUpMs = Math.max(0, (options.catchUpSeconds ?? 0) * 1000);
  const onTimeMs = ON_TIME_TOLERANCE_MS * (clock.speed ?? 1);
  const until = options.until?.getTime();
  let untilReported = false;
  const { log } = options;
  const scheduled: ScheduledJob[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let persisted: SchedulerState = emptyState();
  let timer: unknown;
  let stopped = false;
  let saving: Promise<void> = Promise.resolve();

  const anchorOption = (entry: ScheduledJob): Date | undefined =>
    entry.expression.kind === 'rate' ? new Date(entry.state.anchor) : undefined;

  function save(): Promise<void> {
    const file = options.stateFile;
    if (!file) return Promise.resolve();
    for (const entry of scheduled) persisted.jobs[entry.job.name] = entry.state;
    const snapshot: SchedulerState = structuredClone(persisted);
    saving = saving
      .then(() => writeSchedulerState(file, snapshot))
      .catch((error: unknown) => log.error(`could not write ${file}: ${errorMessage(error)}`));
    return saving;
  }

  function fire(entry: ScheduledJob, at: Date, late: boolean): void {
    const request = scheduledStart(entry.job, at);
    entry.state.lastScheduledTime = at.toISOString();
    if (late)
      log.warn(
        `starting missed run of ${entry.job.name} scheduled at ${at.toISOString()} (within the catch-up window)`,
      );
    const started = options
      .start(entry.job, request)
      .catch((error: unknown) =>
        log.error(`scheduled start of ${entry.job.name} (${request.name}) failed: ${errorMessage(error)}`),
      )
      .finally(() => inFlight.delete(started));
    inFlight.add(started);
  }

  function handleDue(entry: ScheduledJob, now: Date, after: Date): void {
    const plan = planDueRuns(
      entry.expression,
      entry.job.timezone,
      after,
      now,
      Math.max(onTimeMs, catchUpMs),
      anchorOption(entry),
      computeNextRuns,
      onTimeMs,
    );
    if (plan.missed) {
      const { count, first, last, moreThan } = plan.missed;
      const runs = `${moreThan ? 'more than ' : ''}${count} run${count === 1 ? '' : 's'}`;
      const span =
        count === 1
          ? `at ${first.toISOString()}`
          : `between ${first.toISOString()} and ${last.toISOString()}`;
      log.warn(
        `missed ${runs} of ${entry.job.name} ${span}; not replayed${catchUpMs > 0 ? ' (older than the catch-up window)' : ' (set --catch-up to start the latest one late)'}`,
      );
    }
    for (const run of plan.fire) {
      if (until === undefined || run.getTime() < until)
        fire(entry, run, now.getTime() - run.getTime() > onTimeMs);
    }
    entry.state.handledThrough = now.toISOString();
    entry.next = plan.next && (until === undefined || plan.next.getTime() < until) ? plan.next : undefined;
  }

  function arm(): void {
    if (stopped) return;
    if (timer !== undefined) clock.clearTimer(timer);
    timer = undefined;
    const earliest = earliestNext();
    if (earliest === undefined) {
      if (until !== undefined && !untilReported) {
        untilReported = true;
        // Said once the starts in flight are done, so a reader of the executions sees them all.
        const starts = [...inFlight];
        void Promise.allSettled(starts).then(() =>
          log.info(
            `no runs left before ${new Date(until).toISOString()} (--until); every start is done, no more runs are started`,
          ),
        );
      }
      return;
    }
    const delay = Math.min(Math.max(0, earliest - clock.now()), MAX_TIMER_DELAY_MS);
    timer = clock.setTimer(tick, delay);
  }

  function earliestNext(): number | undefined {
    let earliest: number | undefined;
    for (const entry of scheduled) {
      const at = entry.next?.getTime();
      if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
    }
    return earliest;
  }

  function tick(): void {
    timer = undefined;
    if (stopped) return;
    const now = new Date(clock.now());
    let changed = false;
    for (const entry of scheduled) {
      if (entry.next && entry.next.getTime() <= now.getTime()) {
        // A wall-clock jump backwards makes `handledThrough` later than now; never re-fire those runs.
        const after = new Date(
          Math.min(new Date(entry.state.handledThrough).getTime(), entry.next.getTime() - 1),
        );
        handleDue(entry, now, after);
        changed = true;
      }
    }
    if (changed) void save();
    arm();
  }

  return {
    async start() {
      const now = new Date(clock.now());
      if (options.stateFile) persisted = await readState(options.stateFile, log);
      for (const job of options.jobs) {
        if (!job.enabled) continue;
        const expression = parseScheduleExpression(job.schedule);
        const previous = persisted.jobs[job.name];
        const kept = storedJobState(persisted, job);
        const fresh = kept === undefined;
        const handledThrough = kept ? kept.handledThrough : now.toISOString();
        const state: JobState = {
          handledThrough:
            new Date(handledThrough).getTime() > now.getTime() ? now.toISOString() : handledThrough,
          anchor: kept ? kept.anchor : now.toISOString(),
          schedule: job.schedule,
          timezone: job.timezone,
          ...(previous?.lastScheduledTime ? { lastScheduledTime: previous.lastScheduledTime } : {}),
        };
        const entry: ScheduledJob = { job, expression, state, next: undefined };
        scheduled.push(entry);
        // A job seen for the first time starts with runs due within the on-time tolerance
        // (e.g. `--at` on a month start reaches here a few milliseconds after 00:00). Not
        // scaled by the clock's speed: a `--speed` clock starts at its `--at` instant here.
        const after = fresh ? new Date(now.getTime() - ON_TIME_TOLERANCE_MS) : new Date(state.handledThrough);
        handleDue(entry, now, after);
      }
      await save();
      arm();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimer(timer);
      timer = undefined;
      await Promise.allSettled([...inFlight]);
      const now = new Date(clock.now()).toISOString();
      for (const entry of scheduled) {
        if (entry.next && entry.next.toISOString() <= now) continue;
        entry.state.handledThrough = now;
      }
      await save();
    },
    upcoming(count) {
      const runs: UpcomingRun[] = [];
      for (const entry of scheduled) {
        if (!entry.next) continue;
        const following = computeNextRuns(entry.expression, entry.job.timezone, entry.next, count - 1, {
          ...(anchorOption(entry) ? { anchor: anchorOption(entry) } : {}),
        });
        for (const at of [entry.next, ...following]) runs.push({ job: entry.job.name, at });
      }
      runs.sort((a, b) => a.at.getTime() - b.at.getTime() || a.job.localeCompare(b.job));
      return runs.slice(0, count);
    },
    upcomingFor(job, count) {
      const entry = scheduled.find((candidate) => candidate.job.name === job);
      if (entry === undefined) return undefined;
      if (entry.next === undefined || count < 1) return [];
      const following = computeNextRuns(entry.expression, entry.job.timezone, entry.next, count - 1, {
        ...(anchorOption(entry) ? { anchor: anchorOption(entry) } : {}),
      });
      return [entry.next, ...following];
    },
    scheduledJobCount() {
      return scheduled.filter((entry) => entry.next !== undefined).length;
    },
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
