import type { CronExpression, DayOfMonthRule, DayOfWeekRule, ScheduleExpression } from './parse.ts';
import { MAX_YEAR } from './parse.ts';
import { firstInstantOfWallTime, isValidTimeZone, offsetAt, wallTimeAt } from './time-zone.ts';

const DAY_MS = 86_400_000;

/** Options for {@link nextRuns}. */
export interface NextRunsOptions {
  /** rate(): the instant the schedule started (EventBridge's StartDate); defaults to `after`. */
  anchor?: Date;
}

/**
 * The next `count` instants strictly after `after` at which EventBridge Scheduler fires
 * `expr` when its `ScheduleExpressionTimezone` is `timezone`.
 *
 * - cron(): evaluated on the zone's wall clock. A local time that does not exist (DST
 *   spring-forward) is skipped; a local time that occurs twice (fall-back) fires once, at
 *   its first occurrence. The search ends with the year 2199 (the last year AWS accepts),
 *   so an expression that never fires, like `cron(0 0 30 2 ? *)`, returns [] quickly.
 * - rate(): fires at `anchor + k * interval`; a day is 24 hours, whatever the wall clock does.
 * - at(): fires once at the local time (its first occurrence; never if the local time
 *   does not exist in the zone).
 *
 * May return fewer than `count` instants when the schedule ends.
 *
 * @throws RangeError when `timezone` is not an IANA zone name, `after` is an invalid
 *   Date, or `count` is not a whole number.
 */
export function nextRuns(
  expr: ScheduleExpression,
  timezone: string,
  after: Date,
  count: number,
  options: NextRunsOptions = {},
): Date[] {
  if (!isValidTimeZone(timezone)) {
    throw new RangeError(`"${timezone}" is not an IANA time zone name (for example Asia/Tokyo or UTC)`);
  }
  if (!Number.isSafeInteger(count)) {
    throw new RangeError(`count must be a whole number of runs, got ${count}`);
  }
  const afterMs = after.getTime();
  if (Number.isNaN(afterMs)) throw new RangeError('after must be a valid Date');
  if (count <= 0) return [];
  switch (expr.kind) {
    case 'rate':
      return rateRuns(expr.intervalSeconds * 1000, afterMs, count, options.anchor?.getTime() ?? afterMs);
    case 'at':
      return atRuns(expr.localDateTime, timezone, afterMs);
    case 'cron':
      return cronRuns(expr, timezone, afterMs, count);
  }
}

function rateRuns(intervalMs: number, afterMs: number, count: number, anchorMs: number): Date[] {
  // Smallest k >= 0 with anchor + k * interval > after.
  const k = anchorMs > afterMs ? 0 : Math.floor((afterMs - anchorMs) / intervalMs) + 1;
  const runs: Date[] = [];
  for (let i = 0; i < count; i++) runs.push(new Date(anchorMs + (k + i) * intervalMs));
  return runs;
}

function atRuns(localDateTime: string, timezone: string, afterMs: number): Date[] {
  const [datePart = '', timePart = ''] = localDateTime.split('T');
  const [y = 0, mo = 0, d = 0] = datePart.split('-').map(Number);
  const [h = 0, mi = 0, s = 0] = timePart.split(':').map(Number);
  const instant = firstInstantOfWallTime(timezone, y, mo, d, h, mi, s);
  return instant !== undefined && instant > afterMs ? [new Date(instant)] : [];
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** AWS day of week, 1 = SUN … 7 = SAT. */
function dayOfWeek(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

function isWeekday(year: number, month: number, day: number): boolean {
  const dow = dayOfWeek(year, month, day);
  return dow !== 1 && dow !== 7;
}

/**
 * Quartz's (and AWS's) `nW`: the weekday nearest day n, never crossing into another
 * month; no day when the month has no day n.
 */
export function nearestWeekday(year: number, month: number, day: number): number | undefined {
  const last = daysInMonth(year, month);
  if (day > last) return undefined;
  const dow = dayOfWeek(year, month, day);
  if (dow === 7) return day === 1 ? 3 : day - 1;
  if (dow === 1) return day === last ? day - 2 : day + 1;
  return day;
}

function daysMatchingDayOfMonth(rule: DayOfMonthRule, year: number, month: number): number[] {
  const last = daysInMonth(year, month);
  switch (rule.kind) {
    case 'any': {
      return Array.from({ length: last }, (_, i) => i + 1);
    }
    case 'days':
      return rule.days.filter((d) => d <= last);
    case 'last':
      return [last];
    case 'lastWeekday': {
      let d = last;
      while (!isWeekday(year, month, d)) d--;
      return [d];
    }
    case 'nearestWeekday': {
      const d = nearestWeekday(year, month, rule.day);
      return d === undefined ? [] : [d];
    }
  }
}

function daysMatchingDayOfWeek(rule: DayOfWeekRule, year: number, month: number): number[] {
  const last = daysInMonth(year, month);
  const firstDow = dayOfWeek(year, month, 1);
  // Day of the month of the first occurrence of AWS weekday `dow`.
  const firstOf = (dow: number): number => 1 + ((dow - firstDow + 7) % 7);
  switch (rule.kind) {
    case 'any':
      return Array.from({ length: last }, (_, i) => i + 1);
    case 'days': {
      const wanted = new Set(rule.days);
      const days: number[] = [];
      for (let d = 1; d <= last; d++) if (wanted.has(((firstDow - 1 + d - 1) % 7) + 1)) days.push(d);
      return days;
    }
    case 'lastInMonth': {
      let d = firstOf(rule.day);
      while (d + 7 <= last) d += 7;
      return [d];
    }
    case 'nthInMonth': {
      const d = firstOf(rule.day) + 7 * (rule.nth - 1);
      return d <= last ? [d] : [];
    }
  }
}

/** The days of a month on which a cron expression fires, ascending. */
export function matchingDays(expr: CronExpression, year: number, month: number): number[] {
  // Exactly one of the two rules is `any` (the parser guarantees it), so the other decides.
  if (expr.dayOfMonth.kind !== 'any') return daysMatchingDayOfMonth(expr.dayOfMonth, year, month);
  return daysMatchingDayOfWeek(expr.dayOfWeek, year, month);
}

function cronRuns(expr: CronExpression, timezone: string, afterMs: number, count: number): Date[] {
  const runs: Date[] = [];
  // Start a day early: near a fall-back the wall date of later instants can be the
  // day before `after`'s wall date. Instants not after `after` are filtered below.
  const start = wallTimeAt(timezone, afterMs - DAY_MS);
  const years = new Set(expr.years);
  const months = new Set(expr.months);
  for (let year = start.year; year <= MAX_YEAR; year++) {
    if (!years.has(year)) continue;
    for (let month = year === start.year ? start.month : 1; month <= 12; month++) {
      if (!months.has(month)) continue;
      const firstDay = year === start.year && month === start.month ? start.day : 1;
      for (const day of matchingDays(expr, year, month)) {
        if (day < firstDay) continue;
        if (collectDay(expr, timezone, afterMs, count, runs, year, month, day)) return runs;
      }
    }
  }
  return runs;
}

/** Appends the day's runs in order; true once `count` runs are collected. */
function collectDay(
  expr: CronExpression,
  timezone: string,
  afterMs: number,
  count: number,
  runs: Date[],
  year: number,
  month: number,
  day: number,
): boolean {
  const midnightAsUtc = Date.UTC(year, month - 1, day);
  // Whole day before `after` (with margin for any offset): nothing to do.
  if (midnightAsUtc + 2 * DAY_MS < afterMs) return false;
  const offsetBefore = offsetAt(timezone, midnightAsUtc - DAY_MS);
  const offsetAfter = offsetAt(timezone, midnightAsUtc + 2 * DAY_MS);
  // No transition near this day: every wall time maps to exactly one instant.
  const steadyOffset = offsetBefore === offsetAfter ? offsetBefore : undefined;
  for (const hour of expr.hours) {
    for (const minute of expr.minutes) {
      const instant =
        steadyOffset !== undefined
          ? midnightAsUtc + (hour * 60 + minute) * 60_000 - steadyOffset
          : firstInstantOfWallTime(timezone, year, month, day, hour, minute);
      // First occurrences of wall times rise with the wall time, so runs stay ordered.
      if (instant === undefined || instant <= afterMs) continue;
      runs.push(new Date(instant));
      if (runs.length >= count) return true;
    }
  }
  return false;
}
