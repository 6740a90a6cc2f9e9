/** Display helpers: durations, relative and zoned times, JSON as text. */

export type Language = 'en' | 'ja';

export function formatDuration(milliseconds: number): string {
  if (!Number.isFinite(milliseconds) || milliseconds < 0) return '–';
  if (milliseconds < 1000) return `${Math.round(milliseconds)} ms`;
  const seconds = Math.round(milliseconds / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Duration of an execution in milliseconds (until now while it runs). */
export function executionMilliseconds(startDate: number, stopDate: number | undefined): number {
  return ((stopDate ?? Date.now() / 1000) - startDate) * 1000;
}

/** An execution's duration as text (until now while it runs). */
export function formatExecutionDuration(execution: {
  startDate: number;
  stopDate?: number | undefined;
}): string {
  return formatDuration(executionMilliseconds(execution.startDate, execution.stopDate));
}

const relativeFormatters = new Map<Language, Intl.RelativeTimeFormat>();

/** "in 3 hours", "5 minutes ago" (or Japanese). */
export function formatRelative(instant: Date, language: Language, now: number = Date.now()): string {
  let formatter = relativeFormatters.get(language);
  if (formatter === undefined) {
    formatter = new Intl.RelativeTimeFormat(language, { numeric: 'auto' });
    relativeFormatters.set(language, formatter);
  }
  const seconds = (instant.getTime() - now) / 1000;
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return formatter.format(Math.round(seconds / size), unit);
  }
  return formatter.format(Math.round(seconds), 'second');
}

const zonedFormatters = new Map<string, Intl.DateTimeFormat>();

/** `2026-12-01 00:00 Tue` in `timeZone` (with the zone's offset when asked). */
export function formatZoned(instant: Date, timeZone: string, withOffset = false): string {
  const key = `${timeZone} ${withOffset}`;
  let formatter = zonedFormatters.get(key);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
      hourCycle: 'h23',
      ...(withOffset ? { timeZoneName: 'longOffset' } : {}),
    });
    zonedFormatters.set(key, formatter);
  }
  const parts: Record<string, string> = {};
  for (const part of formatter.formatToParts(instant)) parts[part.type] = part.value;
  const offset = withOffset ? ` ${(parts.timeZoneName ?? '').replace(/^GMT/, '') || '+00:00'}` : '';
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.weekday}${offset}`;
}

/** Local date and time of the browser, for event tables. */
export function formatTimestamp(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  return `${formatZoned(date, Intl.DateTimeFormat().resolvedOptions().timeZone).slice(0, 16)}:${String(date.getSeconds()).padStart(2, '0')}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** Pretty JSON of a JSON text (or the text itself when it is not JSON). Rendered as text, never HTML. */
export function prettyJson(text: string | undefined | null): string {
  if (text === undefined || text === null) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function prettyValue(value: unknown): string {
  return typeof value === 'string' ? prettyJson(value) : JSON.stringify(value, null, 2);
}

/** Wall-clock parts of an instant in a zone, for calendar bucketing. */
export function zonedParts(instant: Date, timeZone: string): { date: string; hour: number; weekday: number } {
  const text = formatZoned(instant, timeZone);
  const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  return {
    date: text.slice(0, 10),
    hour: Number(text.slice(11, 13)),
    weekday: weekdays.indexOf(text.slice(17, 20)),
  };
}
