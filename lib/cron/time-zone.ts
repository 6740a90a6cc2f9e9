const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * A cached 24-hour `en-US` `Intl.DateTimeFormat` for `timeZone` showing `fields` (building
 * one costs far more than formatting with it, and callers format many instants per zone).
 * Throws a RangeError when `timeZone` is not a zone Intl knows.
 */
export function zonedFormatter(
  timeZone: string,
  fields: Omit<Intl.DateTimeFormatOptions, 'timeZone' | 'hourCycle' | 'hour12'>,
): Intl.DateTimeFormat {
  const key = `${timeZone} ${JSON.stringify(fields)}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { ...fields, timeZone, hourCycle: 'h23' });
    formatters.set(key, formatter);
  }
  return formatter;
}

const NUMERIC_FIELDS = {
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
} as const;

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  return zonedFormatter(timeZone, NUMERIC_FIELDS);
}

/**
 * True when `timeZone` is an IANA time zone name (as EventBridge Scheduler's
 * `ScheduleExpressionTimezone` takes), e.g. `Asia/Tokyo` or `UTC`. Offsets like
 * `+09:00` and unknown names are rejected.
 */
export function isValidTimeZone(timeZone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(timeZone)) return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * A reader of the zone's UTC offset (ms, east positive) at an instant, straight from Intl and
 * exact to the second. Each call formats a date, which is slow: callers cache (ZoneOffsets
 * below per year, the xlsx converter per hour). Throws a RangeError at once when Intl does
 * not know `timeZone`.
 */
export function intlOffsetReader(timeZone: string): (utcMs: number) => number {
  const formatter = formatterFor(timeZone);
  return (utcMs) => {
    const parts = formatter.formatToParts(new Date(utcMs));
    const get = (type: Intl.DateTimeFormatPartTypes): number =>
      Number(parts.find((p) => p.type === type)?.value ?? Number.NaN);
    const wallAsUtc = Date.UTC(
      get('year'),
      get('month') - 1,
      get('day'),
      get('hour'),
      get('minute'),
      get('second'),
    );
    // Intl drops milliseconds: compare against the instant floored to the second.
    return wallAsUtc - Math.floor(utcMs / 1000) * 1000;
  };
}

interface Transition {
  /** First instant (UTC ms) at which `offsetMs` applies. */
  atMs: number;
  offsetMs: number;
}

/**
 * A zone's offset transitions, found once per year by sampling Intl every 24 hours and
 * bisecting to the minute. Lookups then scan a year's few transitions instead of
 * calling Intl, which keeps next-run computation fast. Assumes no two offset changes
 * lie within 24 hours of each other (true of today's DST rules; the reference test in
 * test/cron compares against Intl minute by minute in seven zones over two years).
 */
class ZoneOffsets {
  private readonly intlOffsetMs: (utcMs: number) => number;
  private readonly years = new Map<number, { startOffsetMs: number; transitions: Transition[] }>();

  constructor(timeZone: string) {
    this.intlOffsetMs = intlOffsetReader(timeZone);
  }

  offsetAt(utcMs: number): number {
    const year = this.yearData(new Date(utcMs).getUTCFullYear());
    let result = year.startOffsetMs;
    for (const t of year.transitions) {
      if (t.atMs > utcMs) break;
      result = t.offsetMs;
    }
    return result;
  }

  private yearData(year: number): { startOffsetMs: number; transitions: Transition[] } {
    const cached = this.years.get(year);
    if (cached) return cached;
    const start = Date.UTC(year, 0, 1);
    const end = Date.UTC(year + 1, 0, 1);
    const step = 24 * HOUR_MS;
    const startOffsetMs = this.intlOffsetMs(start);
    let previousMs = start;
    let previousOffset = startOffsetMs;
    const transitions: Transition[] = [];
    for (let t = start + step; t <= end; t += step) {
      const offset = this.intlOffsetMs(t);
      if (offset !== previousOffset) {
        // Bisect to the first minute with the new offset.
        let lo = previousMs;
        let hi = t;
        while (hi - lo > MINUTE_MS) {
          const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
          if (this.intlOffsetMs(mid) === previousOffset) lo = mid;
          else hi = mid;
        }
        // A transition exactly at the next new year belongs to that year's start offset.
        if (hi < end) transitions.push({ atMs: hi, offsetMs: offset });
      }
      previousMs = t;
      previousOffset = offset;
    }
    const data = { startOffsetMs, transitions };
    this.years.set(year, data);
    return data;
  }
}

const zones = new Map<string, ZoneOffsets>();

function zoneOffsets(timeZone: string): ZoneOffsets {
  let zone = zones.get(timeZone);
  if (!zone) {
    if (!isValidTimeZone(timeZone)) {
      throw new RangeError(`"${timeZone}" is not an IANA time zone name (for example Asia/Tokyo or UTC)`);
    }
    zone = new ZoneOffsets(timeZone);
    zones.set(timeZone, zone);
  }
  return zone;
}

/** The zone's UTC offset (ms, east positive) at an instant. */
export function offsetAt(timeZone: string, utcMs: number): number {
  return zoneOffsets(timeZone).offsetAt(utcMs);
}

/** A wall-clock time: the fields of `Date.UTC`, with month 1-12. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** The wall-clock time in `timeZone` at an instant (seconds dropped). */
export function wallTimeAt(timeZone: string, utcMs: number): WallTime {
  const d = new Date(utcMs + offsetAt(timeZone, utcMs));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
  };
}

/**
 * The first instant at which the wall clock in `timeZone` shows the given local time,
 * or undefined when that local time does not exist (skipped by a DST spring-forward).
 * A local time that occurs twice (fall-back) maps to its first occurrence, which is
 * when EventBridge Scheduler runs it.
 */
export function firstInstantOfWallTime(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second = 0,
): number | undefined {
  const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  // Every instant showing this wall time lies within ±1 day of wallAsUtc, so the offsets
  // in force one day before and one day after are the only candidates.
  const zone = zoneOffsets(timeZone);
  const before = zone.offsetAt(wallAsUtc - DAY_MS);
  const after = zone.offsetAt(wallAsUtc + DAY_MS);
  let first: number | undefined;
  for (const offset of before === after ? [before] : [before, after]) {
    const candidate = wallAsUtc - offset;
    if (zone.offsetAt(candidate) === offset && (first === undefined || candidate < first)) first = candidate;
  }
  return first;
}
