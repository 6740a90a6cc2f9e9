/**
 * How often a job runs in a month: the real EventBridge Scheduler fire times of the next
 * calendar month on the job's own wall clock, from the cron engine (DST gaps and repeats
 * included), not an average.
 */
import { firstInstantOfWallTime, nextRuns, parseScheduleExpression, wallTimeAt } from '../cron/index.ts';
import type { JobSpec } from '../schedule/job-spec.ts';

export interface MonthRuns {
  /** `YYYY-MM` of the month counted, in the job's time zone. */
  month: string;
  /** First and last instant (exclusive) of that month in the job's time zone. */
  start: Date;
  end: Date;
  /** Fire times within the month. */
  runs: Date[];
}

function startOfMonth(timezone: string, year: number, month: number): number {
  // Midnight can fall in a DST gap in a few zones; the month then starts at the first hour that exists.
  for (let hour = 0; hour < 3; hour++) {
    const instant = firstInstantOfWallTime(timezone, year, month, 1, hour, 0);
    if (instant !== undefined) return instant;
  }
  throw new RangeError(`${timezone} has no wall time near midnight on ${year}-${month}-01`);
}

/** The calendar month after the one `now` falls in, on `timezone`'s wall clock. */
export function nextCalendarMonth(timezone: string, now: Date): { month: string; start: Date; end: Date } {
  const wall = wallTimeAt(timezone, now.getTime());
  const year = wall.month === 12 ? wall.year + 1 : wall.year;
  const month = wall.month === 12 ? 1 : wall.month + 1;
  const nextYear = month === 12 ? year + 1 : year;
  const nextMonth = month === 12 ? 1 : month + 1;
  return {
    month: `${year}-${String(month).padStart(2, '0')}`,
    start: new Date(startOfMonth(timezone, year, month)),
    end: new Date(startOfMonth(timezone, nextYear, nextMonth)),
  };
}

/**
 * Runs of `job` in the calendar month after `now` (the job's zone). `rate()` schedules are
 * anchored at the month start, since their phase is only fixed when the schedule is created.
 * Ignores `enabled`: the caller decides whether a disabled job counts.
 */
export function runsInNextMonth(job: Pick<JobSpec, 'schedule' | 'timezone'>, now: Date): MonthRuns {
  const window = nextCalendarMonth(job.timezone, now);
  const expression = parseScheduleExpression(job.schedule);
  const runs: Date[] = [];
  let after = new Date(window.start.getTime() - 1);
  const chunk = 1000;
  for (;;) {
    const batch = nextRuns(expression, job.timezone, after, chunk, { anchor: window.start });
    for (const run of batch) {
      if (run.getTime() >= window.end.getTime()) return { ...window, runs };
      runs.push(run);
    }
    const last = batch.at(-1);
    if (batch.length < chunk || last === undefined) return { ...window, runs };
    after = last;
  }
}
