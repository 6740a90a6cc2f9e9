import { ScheduleExpressionError } from './errors.ts';

/**
 * Which days of the month a cron expression selects.
 * `any` is AWS's `?`: the day-of-week field decides.
 */
export type DayOfMonthRule =
  | { kind: 'any' }
  | { kind: 'days'; days: number[] }
  | { kind: 'last' }
  | { kind: 'lastWeekday' }
  | { kind: 'nearestWeekday'; day: number };

/**
 * Which days of the week a cron expression selects, in AWS numbering (1 = SUN … 7 = SAT).
 * `any` is AWS's `?`: the day-of-month field decides.
 */
export type DayOfWeekRule =
  | { kind: 'any' }
  | { kind: 'days'; days: number[] }
  | { kind: 'lastInMonth'; day: number }
  | { kind: 'nthInMonth'; day: number; nth: number };

/** The six fields of a `cron()` expression as written (trimmed, upper-cased). */
export interface CronFieldTexts {
  minutes: string;
  hours: string;
  dayOfMonth: string;
  month: string;
  dayOfWeek: string;
  year: string;
}

export type CronExpression = {
  kind: 'cron';
  text: string;
  fields: CronFieldTexts;
  /** Sorted, distinct values. */
  minutes: number[];
  hours: number[];
  months: number[];
  years: number[];
  dayOfMonth: DayOfMonthRule;
  dayOfWeek: DayOfWeekRule;
};

export type RateUnit = 'minute' | 'minutes' | 'hour' | 'hours' | 'day' | 'days';

export type RateExpression = {
  kind: 'rate';
  text: string;
  value: number;
  unit: RateUnit;
  intervalSeconds: number;
};

export type AtExpression = {
  kind: 'at';
  text: string;
  /** `yyyy-mm-ddThh:mm:ss`, a wall-clock time in the schedule's time zone. */
  localDateTime: string;
};

export type ScheduleExpression = CronExpression | RateExpression | AtExpression;

export const MIN_YEAR = 1970;
export const MAX_YEAR = 2199;

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

type FieldKey = keyof CronFieldTexts;

interface FieldSpec {
  key: FieldKey;
  label: string;
  min: number;
  max: number;
  /** Names for min, min+1, … (months and days of the week). */
  names?: string[];
  allowsStep: boolean;
  wildcards: string;
}

const FIELD_SPECS: FieldSpec[] = [
  { key: 'minutes', label: 'minutes', min: 0, max: 59, allowsStep: true, wildcards: ', - * /' },
  { key: 'hours', label: 'hours', min: 0, max: 23, allowsStep: true, wildcards: ', - * /' },
  { key: 'dayOfMonth', label: 'day-of-month', min: 1, max: 31, allowsStep: true, wildcards: ', - * ? / L W' },
  {
    key: 'month',
    label: 'month',
    min: 1,
    max: 12,
    names: MONTH_NAMES,
    allowsStep: true,
    wildcards: ', - * /',
  },
  // AWS's reference lists `, - * ? L #` for day-of-week: no `/`.
  {
    key: 'dayOfWeek',
    label: 'day-of-week',
    min: 1,
    max: 7,
    names: DAY_NAMES,
    allowsStep: false,
    wildcards: ', - * ? L #',
  },
  { key: 'year', label: 'year', min: MIN_YEAR, max: MAX_YEAR, allowsStep: true, wildcards: ', - * /' },
];

const GENERIC_CRON_EXAMPLE = 'cron(0 12 * * ? *)';
const FIELD_ORDER = 'cron(minutes hours day-of-month month day-of-week year)';

/**
 * Parses and validates an EventBridge Scheduler schedule expression:
 * `cron(minutes hours day-of-month month day-of-week year)`, `rate(value unit)` or
 * `at(yyyy-mm-ddThh:mm:ss)`, following the AWS rules for each field.
 *
 * @throws ScheduleExpressionError with the field, the broken rule and a valid example.
 */
export function parseScheduleExpression(text: string): ScheduleExpression {
  const trimmed = text.trim();
  const match = /^([A-Za-z]+)\((.*)\)$/s.exec(trimmed);
  if (!match) {
    throw new ScheduleExpressionError(
      `schedule expression "${text}" must have the form cron(...), rate(...) or at(...)`,
      exampleForBareText(trimmed),
    );
  }
  const kind = match[1] ?? '';
  const body = (match[2] ?? '').trim();
  switch (kind) {
    case 'cron':
      return parseCron(trimmed, body);
    case 'rate':
      return parseRate(trimmed, body);
    case 'at':
      return parseAt(trimmed, body);
    default: {
      const lower = kind.toLowerCase();
      if (lower === 'cron' || lower === 'rate' || lower === 'at') {
        throw new ScheduleExpressionError(
          `schedule expression "${text}": the keyword must be lower-case "${lower}(" as AWS requires`,
          `${lower}(${body})`,
        );
      }
      throw new ScheduleExpressionError(
        `schedule expression "${text}": unknown type "${kind}"; EventBridge Scheduler accepts cron(...), rate(...) and at(...)`,
        GENERIC_CRON_EXAMPLE,
      );
    }
  }
}

function exampleForBareText(text: string): string {
  const parts = text.split(/\s+/).filter((p) => p !== '');
  if (parts.length === 6) {
    const candidate = `cron(${parts.join(' ')})`;
    if (isValidExpression(candidate)) return candidate;
  }
  if (parts.length === 5) return unixCronExample(parts);
  return GENERIC_CRON_EXAMPLE;
}

function isValidExpression(text: string): boolean {
  try {
    parseScheduleExpression(text);
    return true;
  } catch {
    return false;
  }
}

/** Best-effort AWS translation of a five-field Unix crontab line, for error examples only. */
function unixCronExample(parts: string[]): string {
  const [minutes = '0', hours = '12', dom = '*', month = '*', dow = '*'] = parts;
  const awsDow = dow === '*' ? '?' : shiftUnixDays(dow);
  const awsDom = awsDow === '?' ? dom : '?';
  const candidate = `cron(${minutes} ${hours} ${awsDom} ${month} ${awsDow} *)`;
  return isValidExpression(candidate) ? candidate : GENERIC_CRON_EXAMPLE;
}

/** Maps Unix day numbers (0-6, SUN=0) to AWS numbers (1-7, SUN=1) inside a field text. */
function shiftUnixDays(field: string): string {
  return field.replace(/\d+/g, (digits, offset: number, whole: string) => {
    // Only day numbers shift: the k of `n#k` stays.
    if (whole[offset - 1] === '#') return digits;
    const n = Number(digits);
    return n >= 0 && n <= 6 ? String(n + 1) : n === 7 ? '1' : digits;
  });
}

function parseCron(text: string, body: string): CronExpression {
  const parts = body.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 6) {
    let example = GENERIC_CRON_EXAMPLE;
    let hint = '';
    if (parts.length === 5) {
      example = unixCronExample(parts);
      hint =
        ' A five-field Unix crontab needs a year field (usually *) and ? in day-of-month or day-of-week.';
    } else if (parts.length === 7) {
      const candidate = `cron(${parts.slice(1).join(' ')})`;
      if (isValidExpression(candidate)) example = candidate;
      hint = ' EventBridge has no seconds field (Quartz has); drop the first field.';
    }
    throw new ScheduleExpressionError(
      `${text}: cron() needs exactly 6 fields, ${FIELD_ORDER}, separated by spaces; found ${parts.length}.${hint}`,
      example,
    );
  }
  const fields: CronFieldTexts = {
    minutes: (parts[0] ?? '').toUpperCase(),
    hours: (parts[1] ?? '').toUpperCase(),
    dayOfMonth: (parts[2] ?? '').toUpperCase(),
    month: (parts[3] ?? '').toUpperCase(),
    dayOfWeek: (parts[4] ?? '').toUpperCase(),
    year: (parts[5] ?? '').toUpperCase(),
  };
  const context = new CronContext(text, fields);

  const domIsAny = fields.dayOfMonth === '?';
  const dowIsAny = fields.dayOfWeek === '?';
  if (domIsAny && dowIsAny) {
    throw context.error(
      'day-of-month',
      'day-of-month and day-of-week are both ?; exactly one of them must be ? and the other must select days',
      { dayOfMonth: '*' },
    );
  }
  if (!domIsAny && !dowIsAny) {
    const fix: Partial<CronFieldTexts> = fields.dayOfWeek === '*' ? { dayOfWeek: '?' } : { dayOfMonth: '?' };
    throw context.error(
      'day-of-month',
      `day-of-month (${fields.dayOfMonth}) and day-of-week (${fields.dayOfWeek}) are both set; AWS requires ? in exactly one of them (you can't combine them, and * in one needs ? in the other)`,
      fix,
    );
  }

  const minutes = parseNumericField(context, specFor('minutes'), fields.minutes);
  const hours = parseNumericField(context, specFor('hours'), fields.hours);
  const months = parseNumericField(context, specFor('month'), fields.month);
  const years = parseNumericField(context, specFor('year'), fields.year);
  const dayOfMonth = parseDayOfMonth(context, fields.dayOfMonth);
  const dayOfWeek = parseDayOfWeek(context, fields.dayOfWeek);

  return { kind: 'cron', text, fields, minutes, hours, months, years, dayOfMonth, dayOfWeek };
}

function fixField(spec: FieldSpec, value: string): Partial<CronFieldTexts> {
  const fix: Partial<CronFieldTexts> = {};
  fix[spec.key] = value;
  return fix;
}

function specFor(key: FieldKey): FieldSpec {
  const spec = FIELD_SPECS.find((s) => s.key === key);
  if (!spec) throw new Error(`unknown cron field ${key}`);
  return spec;
}

class CronContext {
  readonly text: string;
  readonly fields: CronFieldTexts;

  constructor(text: string, fields: CronFieldTexts) {
    this.text = text;
    this.fields = fields;
  }

  /** An error for one field; `fix` replaces fields to build the example. */
  error(label: string, reason: string, fix: Partial<CronFieldTexts>): ScheduleExpressionError {
    const f = { ...this.fields, ...fix };
    let example = `cron(${f.minutes} ${f.hours} ${f.dayOfMonth} ${f.month} ${f.dayOfWeek} ${f.year})`;
    if (!isValidExpression(example)) example = GENERIC_CRON_EXAMPLE;
    return new ScheduleExpressionError(`${this.text}: ${label} field: ${reason}`, example);
  }
}

/** A safe replacement for a field, used in examples. */
function defaultFieldText(spec: FieldSpec): string {
  switch (spec.key) {
    case 'minutes':
    case 'hours':
      return '0';
    case 'dayOfMonth':
      return '1';
    case 'dayOfWeek':
      return 'MON';
    default:
      return '*';
  }
}

function parseValue(context: CronContext, spec: FieldSpec, token: string, field: string): number {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    if (spec.key === 'dayOfWeek' && n === 0) {
      throw context.error(
        spec.label,
        `0 is not a day of the week in AWS: days are numbered 1-7 with 1 = SUN and 7 = SAT (Unix cron's 0-6 numbering does not apply). Use 1 or SUN for Sunday`,
        { dayOfWeek: shiftUnixDays(field) },
      );
    }
    if (n < spec.min || n > spec.max) {
      const allowed = spec.names
        ? `${spec.min}-${spec.max} or ${spec.names[0]}-${spec.names[spec.names.length - 1]}`
        : `${spec.min}-${spec.max}`;
      throw context.error(
        spec.label,
        `${token} is out of range; allowed values are ${allowed}`,
        fixField(spec, defaultFieldText(spec)),
      );
    }
    return n;
  }
  if (spec.names) {
    const index = spec.names.indexOf(token);
    if (index >= 0) return spec.min + index;
  }
  const allowedNames = spec.names ? ` or the names ${spec.names.join(',')}` : '';
  throw context.error(
    spec.label,
    `"${token}" is not a valid value; use numbers ${spec.min}-${spec.max}${allowedNames} and the wildcards ${spec.wildcards}`,
    fixField(spec, defaultFieldText(spec)),
  );
}

function rangeToList(spec: FieldSpec, startToken: string, endToken: string): string {
  const first = spec.names && !/^\d+$/.test(startToken) ? (spec.names[0] ?? '') : String(spec.min);
  const last =
    spec.names && !/^\d+$/.test(endToken) ? (spec.names[spec.names.length - 1] ?? '') : String(spec.max);
  return `${startToken}-${last},${first}-${endToken}`;
}

/** Parses a field made of `*`, values, ranges, steps and lists into its sorted values. */
function parseNumericField(context: CronContext, spec: FieldSpec, field: string): number[] {
  if (field === '?') {
    throw context.error(
      spec.label,
      `? is only allowed in day-of-month and day-of-week; use * for "every"`,
      fixField(spec, '*'),
    );
  }
  const values = new Set<number>();
  for (const item of field.split(',')) {
    if (item === '') {
      throw context.error(
        spec.label,
        `"${field}" has an empty list item; separate values with single commas`,
        fixField(spec, defaultFieldText(spec)),
      );
    }
    for (const v of parseListItem(context, spec, item, field)) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

function parseListItem(context: CronContext, spec: FieldSpec, item: string, field: string): number[] {
  // Month and day names (JUL, WED) contain L and W: look for wildcards outside them.
  const withoutNames = spec.names
    ? item.replace(/[A-Z]{3}/g, (name) => (spec.names?.includes(name) ? '' : name))
    : item;
  const wildcard = /[LW#?]/.exec(withoutNames)?.[0];
  if (wildcard !== undefined) {
    const char = wildcard;
    const where =
      char === '?'
        ? 'day-of-month and day-of-week (as the whole field)'
        : char === '#'
          ? 'day-of-week'
          : char === 'W'
            ? 'day-of-month'
            : 'day-of-month and day-of-week';
    throw context.error(
      spec.label,
      `"${char}" is not allowed here: this field accepts ${spec.wildcards}; ${char} is only allowed in ${where}`,
      fixField(spec, defaultFieldText(spec)),
    );
  }
  const slashParts = item.split('/');
  if (slashParts.length > 2) {
    throw context.error(
      spec.label,
      `"${item}" has more than one /; write start/step or start-end/step`,
      fixField(spec, defaultFieldText(spec)),
    );
  }
  const [base = '', stepText] = slashParts;
  let step = 1;
  if (stepText !== undefined) {
    if (!spec.allowsStep) {
      throw context.error(
        spec.label,
        `"/" (increments) is not allowed in day-of-week; AWS allows ${spec.wildcards} there. List the days instead, for example MON,WED,FRI`,
        fixField(spec, 'MON,WED,FRI'),
      );
    }
    if (!/^\d+$/.test(stepText) || Number(stepText) < 1 || Number(stepText) > spec.max - spec.min) {
      throw context.error(
        spec.label,
        `"${item}": the increment after / must be a whole number from 1 to ${spec.max - spec.min}`,
        fixField(spec, spec.key === 'minutes' ? '0/15' : defaultFieldText(spec)),
      );
    }
    step = Number(stepText);
  }
  let start: number;
  let end: number;
  if (base === '*') {
    start = spec.min;
    end = spec.max;
  } else if (base.includes('-')) {
    const [startToken = '', endToken = '', ...rest] = base.split('-');
    if (rest.length > 0 || startToken === '' || endToken === '') {
      throw context.error(
        spec.label,
        `"${item}" is not a valid range; write start-end, for example ${spec.key === 'dayOfWeek' ? 'MON-FRI' : `${spec.min}-${spec.min + 1}`}`,
        fixField(spec, defaultFieldText(spec)),
      );
    }
    start = parseValue(context, spec, startToken, field);
    end = parseValue(context, spec, endToken, field);
    if (start > end) {
      const list = rangeToList(spec, startToken, endToken);
      throw context.error(
        spec.label,
        `range ${base} runs backwards; AWS documents ranges from low to high only, and wrap-around ranges are not accepted here. Write it as a list: ${list}`,
        fixField(spec, field.replace(base, list)),
      );
    }
  } else {
    start = parseValue(context, spec, base, field);
    // `a/n` means from a to the end of the field; a bare value is just itself.
    end = stepText !== undefined ? spec.max : start;
  }
  const values: number[] = [];
  for (let v = start; v <= end; v += step) values.push(v);
  return values;
}

function parseDayOfMonth(context: CronContext, field: string): DayOfMonthRule {
  const spec = specFor('dayOfMonth');
  if (field === '?') return { kind: 'any' };
  if (field === 'L') return { kind: 'last' };
  if (field === 'LW') return { kind: 'lastWeekday' };
  if (field.includes('#')) {
    throw context.error(
      spec.label,
      `"#" is only allowed in day-of-week (for example 6#3, the third Friday)`,
      {
        dayOfMonth: '?',
        dayOfWeek: '6#3',
      },
    );
  }
  if (/[LW]/.test(field)) {
    if (field.includes(',')) {
      throw context.error(
        spec.label,
        `"${field}": L and W cannot be combined with other values in a list; use one of L, LW or nW (like 15W) alone`,
        { dayOfMonth: 'L' },
      );
    }
    const weekday = /^(\d+)W$/.exec(field);
    if (weekday) {
      const day = Number(weekday[1]);
      if (day < 1 || day > 31) {
        throw context.error(spec.label, `"${field}": the day before W must be 1-31`, { dayOfMonth: '15W' });
      }
      return { kind: 'nearestWeekday', day };
    }
    if (/^L-\d+$/.test(field)) {
      throw context.error(
        spec.label,
        `"${field}": offsets from the last day (L-n) are not part of AWS's documented syntax; use L for the last day or list the days`,
        { dayOfMonth: 'L' },
      );
    }
    throw context.error(
      spec.label,
      `"${field}" is not valid; W follows a single day (15W = the weekday nearest the 15th), and L stands alone (L = last day, LW = last weekday)`,
      { dayOfMonth: field.includes('W') ? '15W' : 'L' },
    );
  }
  return { kind: 'days', days: parseNumericField(context, spec, field) };
}

function parseDayOfWeek(context: CronContext, field: string): DayOfWeekRule {
  const spec = specFor('dayOfWeek');
  if (field === '?') return { kind: 'any' };
  // A lone L in day-of-week is the last day of the week: Saturday.
  if (field === 'L') return { kind: 'days', days: [7] };
  const hashes = field.split('#').length - 1;
  if (hashes > 0) {
    if (field.includes(',') || hashes > 1) {
      throw context.error(
        spec.label,
        `"${field}": AWS allows only one # expression in day-of-week, and not in a list (3#1,6#3 is two expressions)`,
        { dayOfWeek: field.split(',')[0]?.split('#').slice(0, 2).join('#') ?? '6#3' },
      );
    }
    const [dayToken = '', nthToken = ''] = field.split('#');
    const day = parseValue(context, spec, dayToken, field);
    if (!/^[1-5]$/.test(nthToken)) {
      throw context.error(
        spec.label,
        `"${field}": the number after # is the occurrence in the month and must be 1-5 (6#3 = third Friday)`,
        { dayOfWeek: `${dayToken}#1` },
      );
    }
    return { kind: 'nthInMonth', day, nth: Number(nthToken) };
  }
  const last = /^([A-Z]{3}|\d+)L$/.exec(field);
  if (last) {
    const day = parseValue(context, spec, last[1] ?? '', field);
    return { kind: 'lastInMonth', day };
  }
  if (field.split(',').some((t) => /L/.test(t) && !DAY_NAMES.includes(t))) {
    throw context.error(
      spec.label,
      `"${field}": L cannot be combined with other values in a list; use L (Saturday) or nL (6L = last Friday of the month) alone`,
      { dayOfWeek: '6L' },
    );
  }
  return { kind: 'days', days: parseNumericField(context, spec, field) };
}

const RATE_UNITS: Record<RateUnit, number> = {
  minute: 60,
  minutes: 60,
  hour: 3600,
  hours: 3600,
  day: 86_400,
  days: 86_400,
};

function parseRate(text: string, body: string): RateExpression {
  const parts = body.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 2) {
    throw new ScheduleExpressionError(
      `${text}: rate() needs a value and a unit separated by a space, like rate(5 minutes)`,
      'rate(5 minutes)',
    );
  }
  const [valueText = '', unitText = ''] = parts;
  if (!/^\d+$/.test(valueText) || Number(valueText) < 1 || !Number.isSafeInteger(Number(valueText))) {
    throw new ScheduleExpressionError(
      `${text}: the rate value "${valueText}" must be a positive whole number (1 or more); EventBridge does not allow schedules faster than once a minute`,
      'rate(1 minute)',
    );
  }
  const value = Number(valueText);
  if (!(unitText in RATE_UNITS)) {
    throw new ScheduleExpressionError(
      `${text}: the rate unit "${unitText}" is not valid; use minute(s), hour(s) or day(s) (seconds, weeks and months are not supported)`,
      rateUnitExample(value, unitText),
    );
  }
  const unit = unitText as RateUnit;
  const singular = !unit.endsWith('s');
  if (value === 1 && !singular) {
    throw new ScheduleExpressionError(
      `${text}: with the value 1 AWS requires the singular unit "${unit.slice(0, -1)}"`,
      `rate(1 ${unit.slice(0, -1)})`,
    );
  }
  if (value !== 1 && singular) {
    throw new ScheduleExpressionError(
      `${text}: with a value other than 1 AWS requires the plural unit "${unit}s"`,
      `rate(${value} ${unit}s)`,
    );
  }
  return { kind: 'rate', text, value, unit, intervalSeconds: value * RATE_UNITS[unit] };
}

function rateUnitExample(value: number, unitText: string): string {
  if (unitText.startsWith('sec')) return 'rate(1 minute)';
  if (unitText.startsWith('week')) return `rate(${value * 7} days)`;
  return `rate(${value} ${value === 1 ? 'day' : 'days'})`;
}

function parseAt(text: string, body: string): AtExpression {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  if (!match) {
    throw new ScheduleExpressionError(
      `${text}: at() needs a date and time as yyyy-mm-ddThh:mm:ss without a zone or offset (the schedule's time zone applies)`,
      'at(2026-12-01T09:00:00)',
    );
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const asUtc = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const real =
    asUtc.getUTCFullYear() === year &&
    asUtc.getUTCMonth() === month - 1 &&
    asUtc.getUTCDate() === day &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59;
  if (!real) {
    throw new ScheduleExpressionError(
      `${text}: ${body} is not a real calendar date and time`,
      'at(2026-12-01T09:00:00)',
    );
  }
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw new ScheduleExpressionError(
      `${text}: the year must be ${MIN_YEAR}-${MAX_YEAR}`,
      'at(2026-12-01T09:00:00)',
    );
  }
  return { kind: 'at', text, localDateTime: body };
}
