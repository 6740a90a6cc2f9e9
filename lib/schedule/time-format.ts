/**
 * Formatting of run instants for people: `2026-11-22 00:05 Sun +09:00`, in a given IANA
 * zone. Shared by batchctl (list, next, show, diff) so every view prints times alike.
 */

import { zonedFormatter } from '../cron/index.ts';

const FIELDS = {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  weekday: 'short',
  timeZoneName: 'longOffset',
} as const;

/**
 * Formats `instant` as wall-clock time in `timeZone`: `YYYY-MM-DD HH:mm Ddd ±HH:MM`
 * (seconds are added only when not zero, as `at()` expressions may have them). With
 * `lang: 'ja'` the weekday is Japanese, as in `2026-11-23 01:00 (月) +09:00`.
 */
const WEEKDAYS_JA: Readonly<Record<string, string>> = {
  Sun: '(日)',
  Mon: '(月)',
  Tue: '(火)',
  Wed: '(水)',
  Thu: '(木)',
  Fri: '(金)',
  Sat: '(土)',
};

export function formatInstant(
  instant: Date,
  timeZone: string,
  options: { offset?: boolean; lang?: 'en' | 'ja' } = {},
): string {
  const parts: Record<string, string> = {};
  for (const part of zonedFormatter(timeZone, FIELDS).formatToParts(instant)) parts[part.type] = part.value;
  const seconds = parts.second && parts.second !== '00' ? `:${parts.second}` : '';
  const offsetText = (parts.timeZoneName ?? 'GMT').replace(/^GMT/, '') || '+00:00';
  const offset = options.offset === false ? '' : ` ${offsetText}`;
  const weekday = options.lang === 'ja' ? (WEEKDAYS_JA[parts.weekday ?? ''] ?? parts.weekday) : parts.weekday;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}${seconds} ${weekday}${offset}`;
}
