/**
 * A brute-force reference for EventBridge Scheduler cron(): walk the UTC timeline minute by
 * minute, read the wall clock in the zone with Intl, and test each field against AWS's
 * documented meaning. It shares no code with lib/cron on purpose: the engine is checked
 * against it, so it must stay simple enough to be obviously right.
 */

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** The six fields of `cron(...)`, upper-cased. */
export function cronFields(text: string): string[] {
  const body = /^cron\((.*)\)$/.exec(text.trim())?.[1];
  if (body === undefined) throw new Error(`not a cron expression: ${text}`);
  const fields = body.trim().toUpperCase().split(/\s+/);
  if (fields.length !== 6) throw new Error(`not six fields: ${text}`);
  return fields;
}

function numberOf(token: string, names: string[] | undefined, firstValue: number): number {
  if (names?.includes(token)) return names.indexOf(token) + firstValue;
  return Number(token);
}

/** `,` lists of `*`, `a`, `a-b`, `a/step`, `*\/step` and `a-b/step`. */
export function matchesList(
  field: string,
  value: number,
  min: number,
  max: number,
  names?: string[],
): boolean {
  for (const item of field.split(',')) {
    const [base = '', stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let low: number;
    let high: number;
    if (base === '*') {
      low = min;
      high = max;
    } else if (base.includes('-')) {
      const [a = '', b = ''] = base.split('-');
      low = numberOf(a, names, min);
      high = numberOf(b, names, min);
    } else {
      low = numberOf(base, names, min);
      high = stepText === undefined ? low : max;
    }
    if (value >= low && value <= high && (value - low) % step === 0) return true;
  }
  return false;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 1 = SUN … 7 = SAT, as AWS numbers them. */
function awsDayOfWeek(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

function isWeekday(year: number, month: number, day: number): boolean {
  const dow = awsDayOfWeek(year, month, day);
  return dow >= 2 && dow <= 6;
}

function dayOfMonthMatches(field: string, year: number, month: number, day: number): boolean {
  const last = daysInMonth(year, month);
  if (field === 'L') return day === last;
  if (field === 'LW') {
    // The last weekday: a weekday with no weekday after it in the month.
    if (!isWeekday(year, month, day)) return false;
    for (let d = day + 1; d <= last; d++) if (isWeekday(year, month, d)) return false;
    return true;
  }
  const nearest = /^(\d+)W$/.exec(field);
  if (nearest) {
    // The weekday of this month closest to day n (none if the month has no day n).
    const n = Number(nearest[1]);
    if (n > last) return false;
    let best = -1;
    for (let d = 1; d <= last; d++) {
      if (isWeekday(year, month, d) && (best < 0 || Math.abs(d - n) < Math.abs(best - n))) best = d;
    }
    return day === best;
  }
  return matchesList(field, day, 1, 31);
}

function dayOfWeekMatches(field: string, year: number, month: number, day: number): boolean {
  const dow = awsDayOfWeek(year, month, day);
  if (field === 'L') return dow === 7;
  const nth = /^(\w+)#(\d)$/.exec(field);
  if (nth) {
    // The k-th such weekday falls on days 7(k-1)+1 … 7k.
    return dow === numberOf(nth[1] ?? '', DAYS, 1) && Math.ceil(day / 7) === Number(nth[2]);
  }
  const lastOf = /^(\w+)L$/.exec(field);
  if (lastOf) {
    // The last such weekday: the same weekday a week later is in the next month.
    return dow === numberOf(lastOf[1] ?? '', DAYS, 1) && day + 7 > daysInMonth(year, month);
  }
  return matchesList(field, dow, 1, 7, DAYS);
}

/** True when the calendar date matches the day-of-month, month, day-of-week and year fields. */
export function dateMatches(fields: string[], year: number, month: number, day: number): boolean {
  const [, , dom = '', monthField = '', dow = '', yearField = ''] = fields;
  if (!matchesList(yearField, year, 1970, 2199)) return false;
  if (!matchesList(monthField, month, 1, 12, MONTHS)) return false;
  return dom === '?' ? dayOfWeekMatches(dow, year, month, day) : dayOfMonthMatches(dom, year, month, day);
}

/**
 * Calls `visit` for every UTC minute in [startMs, endMs) with its wall-clock time in
 * `timeZone`, as minutes since 1970 on a UTC-like wall clock (so wall times order and
 * subtract like numbers). Intl is asked at the first and last minute of each UTC hour;
 * when they are 59 minutes apart on the wall clock too, no offset change happened inside
 * that hour and the minutes between follow; otherwise every minute of the hour is asked.
 */
export function forEachWallMinute(
  timeZone: string,
  startMs: number,
  endMs: number,
  visit: (utcMs: number, wallKey: number) => void,
): void {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
  const wallKeyAt = (utcMs: number): number => {
    const parts = format.formatToParts(new Date(utcMs));
    const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
    return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute')) / 60_000;
  };
  for (let hourMs = startMs; hourMs < endMs; hourMs += 3_600_000) {
    const first = wallKeyAt(hourMs);
    const steady = wallKeyAt(hourMs + 59 * 60_000) === first + 59;
    for (let i = 0; i < 60; i++) {
      const utcMs = hourMs + i * 60_000;
      visit(utcMs, steady ? first + i : wallKeyAt(utcMs));
    }
  }
}

/**
 * Fire instants of many cron expressions in one zone over [startMs, endMs), found by a
 * single minute walk. A wall time fires only the first time the clock shows it: after a
 * fall-back, wall times not later than the latest one already seen are repeats.
 */
export function referenceFires(
  texts: string[],
  timeZone: string,
  startMs: number,
  endMs: number,
): number[][] {
  const all = texts.map(cronFields);
  const hourOk = all.map((f) => Array.from({ length: 24 }, (_, h) => matchesList(f[1] ?? '', h, 0, 23)));
  const minuteOk = all.map((f) => Array.from({ length: 60 }, (_, m) => matchesList(f[0] ?? '', m, 0, 59)));
  const fires: number[][] = texts.map(() => []);
  let latestWallKey = Number.NEGATIVE_INFINITY;
  let currentDay = Number.NaN;
  let dateMatching: number[] = [];
  forEachWallMinute(timeZone, startMs, endMs, (utcMs, wallKey) => {
    const isRepeat = wallKey <= latestWallKey;
    latestWallKey = Math.max(latestWallKey, wallKey);
    if (isRepeat) return;
    const day = Math.floor(wallKey / 1440);
    const minuteOfDay = wallKey - day * 1440;
    if (day !== currentDay) {
      currentDay = day;
      const date = new Date(day * 86_400_000);
      const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
      dateMatching = [];
      all.forEach((f, i) => {
        if (dateMatches(f, y, m, d)) dateMatching.push(i);
      });
    }
    const hour = Math.floor(minuteOfDay / 60);
    const minute = minuteOfDay % 60;
    for (const i of dateMatching) {
      if (hourOk[i]?.[hour] && minuteOk[i]?.[minute]) fires[i]?.push(utcMs);
    }
  });
  return fires;
}
