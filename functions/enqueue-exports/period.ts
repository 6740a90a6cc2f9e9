import type { ExportFrequency, ExportPeriod } from '#lib/contracts/export.ts';
import { firstInstantOfWallTime, wallTimeAt } from '#lib/cron/index.ts';

const DAY_MS = 86_400_000;

/** First instant of a local calendar day (01:00 etc. when a DST change skips midnight). */
function startOfLocalDay(timeZone: string, year: number, month: number, day: number): number {
  for (let hour = 0; hour < 24; hour++) {
    const instant = firstInstantOfWallTime(timeZone, year, month, day, hour, 0);
    if (instant !== undefined) return instant;
  }
  throw new RangeError(`no instant starts ${year}-${month}-${day} in ${timeZone}`);
}

/** Calendar arithmetic on a date (no zone): `YYYY-MM-DD` parts after adding days. */
function addDays(year: number, month: number, day: number, days: number): [number, number, number] {
  const date = new Date(Date.UTC(year, month - 1, day) + days * DAY_MS);
  return [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** ISO 8601 week-year and week number of a calendar date. */
export function isoWeek(year: number, month: number, day: number): { year: number; week: number } {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7; // Monday 1 … Sunday 7
  // The Thursday of this week decides the week-year.
  const thursday = new Date(date.getTime() + (4 - weekday) * DAY_MS);
  const weekYear = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(weekYear, 0, 1)) / DAY_MS / 7) + 1;
  return { year: weekYear, week };
}

/**
 * The period an export run covers, from the instant it was scheduled for (never
 * "now", so a late start or a rerun covers the intended period), with boundaries
 * at local midnight in `timeZone`: daily = the previous local day, weekly = the
 * previous ISO week (Monday to Sunday), monthly = the previous calendar month.
 */
export function exportPeriod(
  frequency: ExportFrequency,
  scheduledTime: Date,
  timeZone: string,
): ExportPeriod {
  const local = wallTimeAt(timeZone, scheduledTime.getTime());
  let from: [number, number, number];
  let to: [number, number, number];
  let label: string;
  switch (frequency) {
    case 'daily':
      to = [local.year, local.month, local.day];
      from = addDays(local.year, local.month, local.day, -1);
      label = `${from[0]}-${pad(from[1])}-${pad(from[2])}`;
      break;
    case 'weekly': {
      const weekday = new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay() || 7;
      to = addDays(local.year, local.month, local.day, 1 - weekday);
      from = addDays(to[0], to[1], to[2], -7);
      const week = isoWeek(from[0], from[1], from[2]);
      label = `${week.year}-W${pad(week.week)}`;
      break;
    }
    case 'monthly':
      to = [local.year, local.month, 1];
      from = local.month === 1 ? [local.year - 1, 12, 1] : [local.year, local.month - 1, 1];
      label = `${from[0]}-${pad(from[1])}`;
      break;
  }
  return {
    label,
    start: new Date(startOfLocalDay(timeZone, ...from)).toISOString(),
    end: new Date(startOfLocalDay(timeZone, ...to)).toISOString(),
  };
}
