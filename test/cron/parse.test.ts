import { describe, expect, it } from 'vitest';
import type { CronExpression } from '../../lib/cron/index.ts';
import { parseScheduleExpression, ScheduleExpressionError } from '../../lib/cron/index.ts';

function parseCron(text: string): CronExpression {
  const expr = parseScheduleExpression(text);
  if (expr.kind !== 'cron') throw new Error(`expected a cron expression, got ${expr.kind}`);
  return expr;
}

/** Parses `text`, expecting a ScheduleExpressionError, and returns it. */
function rejection(text: string): ScheduleExpressionError {
  try {
    parseScheduleExpression(text);
  } catch (error) {
    if (error instanceof ScheduleExpressionError) return error;
    throw error;
  }
  throw new Error(`${text} was accepted`);
}

const range = (from: number, to: number, step = 1): number[] => {
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
};

describe('parseScheduleExpression: valid cron()', () => {
  it('parses plain values and wildcards of the six fields', () => {
    // Act
    const expr = parseCron('cron(15 12 * * ? *)');

    // Assess
    expect(expr.minutes).toEqual([15]);
    expect(expr.hours).toEqual([12]);
    expect(expr.dayOfMonth).toEqual({ kind: 'days', days: range(1, 31) });
    expect(expr.months).toEqual(range(1, 12));
    expect(expr.dayOfWeek).toEqual({ kind: 'any' });
    expect(expr.years).toEqual(range(1970, 2199));
  });

  it('expands ranges, lists and the step forms 0/15, */5 and 10-50/10', () => {
    // Act
    const a = parseCron('cron(0/15 */5 1-3,10 * ? 2026,2030-2031)');
    const b = parseCron('cron(10-50/10 8-17 ? * MON-FRI *)');

    // Assess
    expect(a.minutes).toEqual([0, 15, 30, 45]);
    expect(a.hours).toEqual(range(0, 20, 5));
    expect(a.dayOfMonth).toEqual({ kind: 'days', days: [1, 2, 3, 10] });
    expect(a.years).toEqual([2026, 2030, 2031]);
    expect(b.minutes).toEqual([10, 20, 30, 40, 50]);
    expect(b.dayOfWeek).toEqual({ kind: 'days', days: [2, 3, 4, 5, 6] });
  });

  it('reads month and day names case-insensitively, with 1 = SUN and 7 = SAT', () => {
    // Act
    const expr = parseCron('cron(0 9 ? jan,Jul-aug sun,Sat *)');

    // Assess
    expect(expr.months).toEqual([1, 7, 8]);
    expect(expr.dayOfWeek).toEqual({ kind: 'days', days: [1, 7] });
  });

  it('reads L, LW and nW in day-of-month', () => {
    // Act / Assess
    expect(parseCron('cron(0 0 L * ? *)').dayOfMonth).toEqual({ kind: 'last' });
    expect(parseCron('cron(0 0 LW * ? *)').dayOfMonth).toEqual({ kind: 'lastWeekday' });
    expect(parseCron('cron(0 0 15W * ? *)').dayOfMonth).toEqual({ kind: 'nearestWeekday', day: 15 });
  });

  it('reads L (Saturday), nL (last weekday n) and n#k in day-of-week', () => {
    // Act / Assess
    expect(parseCron('cron(0 0 ? * L *)').dayOfWeek).toEqual({ kind: 'days', days: [7] });
    expect(parseCron('cron(0 0 ? * 6L *)').dayOfWeek).toEqual({ kind: 'lastInMonth', day: 6 });
    expect(parseCron('cron(0 0 ? * FRIL *)').dayOfWeek).toEqual({ kind: 'lastInMonth', day: 6 });
    expect(parseCron('cron(0 9 ? * 2#1 *)').dayOfWeek).toEqual({ kind: 'nthInMonth', day: 2, nth: 1 });
    expect(parseCron('cron(0 9 ? * MON#3 *)').dayOfWeek).toEqual({ kind: 'nthInMonth', day: 2, nth: 3 });
  });

  it('keeps the text and the upper-cased fields for descriptions', () => {
    // Act
    const expr = parseCron('  cron(0 18 ? * mon-fri *) ');

    // Assess
    expect(expr.text).toBe('cron(0 18 ? * mon-fri *)');
    expect(expr.fields).toEqual({
      minutes: '0',
      hours: '18',
      dayOfMonth: '?',
      month: '*',
      dayOfWeek: 'MON-FRI',
      year: '*',
    });
  });
});

describe('parseScheduleExpression: valid rate() and at()', () => {
  it('parses singular and plural units into an interval in seconds', () => {
    // Act / Assess
    expect(parseScheduleExpression('rate(1 minute)')).toEqual({
      kind: 'rate',
      text: 'rate(1 minute)',
      value: 1,
      unit: 'minute',
      intervalSeconds: 60,
    });
    expect(parseScheduleExpression('rate(12 hours)')).toMatchObject({ intervalSeconds: 43_200 });
    expect(parseScheduleExpression('rate(2 days)')).toMatchObject({ intervalSeconds: 172_800 });
  });

  it('parses at() as a local date and time', () => {
    // Act / Assess
    expect(parseScheduleExpression('at(2026-12-01T09:30:00)')).toEqual({
      kind: 'at',
      text: 'at(2026-12-01T09:30:00)',
      localDateTime: '2026-12-01T09:30:00',
    });
  });
});

describe('parseScheduleExpression: rejections name the field and the rule', () => {
  const cases: { rule: string; text: string; reason: RegExp; example: string }[] = [
    {
      rule: 'a schedule without cron(), rate() or at()',
      text: '0 9 * * 1-5',
      reason: /must have the form cron\(\.\.\.\), rate\(\.\.\.\) or at\(\.\.\.\)/,
      example: 'cron(0 9 ? * 2-6 *)',
    },
    {
      rule: 'an unknown expression type',
      text: 'every(5 minutes)',
      reason: /unknown type "every"/,
      example: 'cron(0 12 * * ? *)',
    },
    {
      rule: 'an upper-case keyword',
      text: 'CRON(0 9 * * ? *)',
      reason: /must be lower-case "cron\("/,
      example: 'cron(0 9 * * ? *)',
    },
    {
      rule: 'five fields (a Unix crontab)',
      text: 'cron(0 9 * * 1-5)',
      reason: /needs exactly 6 fields.*found 5.*year field/,
      example: 'cron(0 9 ? * 2-6 *)',
    },
    {
      rule: 'seven fields (Quartz seconds)',
      text: 'cron(0 0 9 * * ? *)',
      reason: /found 7.*no seconds field/,
      example: 'cron(0 9 * * ? *)',
    },
    {
      rule: 'minutes out of range',
      text: 'cron(60 9 * * ? *)',
      reason: /minutes field: 60 is out of range; allowed values are 0-59/,
      example: 'cron(0 9 * * ? *)',
    },
    {
      rule: 'hours out of range',
      text: 'cron(0 24 * * ? *)',
      reason: /hours field: 24 is out of range; allowed values are 0-23/,
      example: 'cron(0 0 * * ? *)',
    },
    {
      rule: 'day-of-month out of range',
      text: 'cron(0 9 32 * ? *)',
      reason: /day-of-month field: 32 is out of range; allowed values are 1-31/,
      example: 'cron(0 9 1 * ? *)',
    },
    {
      rule: 'month out of range',
      text: 'cron(0 9 * 13 ? *)',
      reason: /month field: 13 is out of range; allowed values are 1-12 or JAN-DEC/,
      example: 'cron(0 9 * * ? *)',
    },
    {
      rule: 'an unknown month name',
      text: 'cron(0 9 * JANUARY ? *)',
      reason: /month field: "JANUARY" is not a valid value/,
      example: 'cron(0 9 * * ? *)',
    },
    {
      rule: 'day-of-week 0 (Unix numbering)',
      text: 'cron(0 9 ? * 0,6 *)',
      reason:
        /day-of-week field: 0 is not a day of the week in AWS: days are numbered 1-7 with 1 = SUN and 7 = SAT \(Unix cron's 0-6 numbering does not apply\)/,
      example: 'cron(0 9 ? * 1,7 *)',
    },
    {
      rule: 'day-of-week out of range',
      text: 'cron(0 9 ? * 8 *)',
      reason: /day-of-week field: 8 is out of range; allowed values are 1-7 or SUN-SAT/,
      example: 'cron(0 9 ? * MON *)',
    },
    {
      rule: 'year out of range',
      text: 'cron(0 9 * * ? 2200)',
      reason: /year field: 2200 is out of range; allowed values are 1970-2199/,
      example: 'cron(0 9 * * ? *)',
    },
    {
      rule: '? outside day-of-month and day-of-week',
      text: 'cron(0 ? * * ? *)',
      reason: /hours field: \? is only allowed in day-of-month and day-of-week/,
      example: 'cron(0 * * * ? *)',
    },
    {
      rule: 'both day fields set',
      text: 'cron(0 9 * * * *)',
      reason: /AWS requires \? in exactly one of them/,
      example: 'cron(0 9 * * ? *)',
    },
    {
      rule: 'both day fields ?',
      text: 'cron(0 9 ? * ? *)',
      reason: /day-of-month and day-of-week are both \?; exactly one of them must be \?/,
      example: 'cron(0 9 * * ? *)',
    },
    {
      rule: '/ in day-of-week (not in AWS’s wildcard list)',
      text: 'cron(0 9 ? * */2 *)',
      reason: /"\/" \(increments\) is not allowed in day-of-week/,
      example: 'cron(0 9 ? * MON,WED,FRI *)',
    },
    {
      rule: 'a step of 0 or larger than the field',
      text: 'cron(*/60 * * * ? *)',
      reason: /minutes field: "\*\/60": the increment after \/ must be a whole number from 1 to 59/,
      example: 'cron(0/15 * * * ? *)',
    },
    {
      rule: 'L in a field other than the day fields',
      text: 'cron(L 9 * * ? *)',
      reason:
        /minutes field: "L" is not allowed here: this field accepts , - \* \/; L is only allowed in day-of-month and day-of-week/,
      example: 'cron(0 9 * * ? *)',
    },
    {
      rule: 'W in day-of-week',
      text: 'cron(0 9 ? * 15W *)',
      reason: /day-of-week field: "W" is not allowed here.*W is only allowed in day-of-month/,
      example: 'cron(0 9 ? * MON *)',
    },
    {
      rule: 'W after a range',
      text: 'cron(0 9 1-5W * ? *)',
      reason: /W follows a single day/,
      example: 'cron(0 9 15W * ? *)',
    },
    {
      rule: 'L or W inside a day-of-month list',
      text: 'cron(0 9 1,L * ? *)',
      reason: /L and W cannot be combined with other values in a list/,
      example: 'cron(0 9 L * ? *)',
    },
    {
      rule: 'L-n offsets',
      text: 'cron(0 9 L-2 * ? *)',
      reason: /offsets from the last day \(L-n\) are not part of AWS's documented syntax/,
      example: 'cron(0 9 L * ? *)',
    },
    {
      rule: 'L inside a day-of-week list',
      text: 'cron(0 9 ? * 2,6L *)',
      reason: /L cannot be combined with other values in a list/,
      example: 'cron(0 9 ? * 6L *)',
    },
    {
      rule: '# in day-of-month',
      text: 'cron(0 9 6#3 * ? *)',
      reason: /day-of-month field: "#" is only allowed in day-of-week/,
      example: 'cron(0 9 ? * 6#3 *)',
    },
    {
      rule: 'two # expressions',
      text: 'cron(0 9 ? * 3#1,6#3 *)',
      reason: /AWS allows only one # expression in day-of-week, and not in a list/,
      example: 'cron(0 9 ? * 3#1 *)',
    },
    {
      rule: 'an occurrence after # outside 1-5',
      text: 'cron(0 9 ? * 6#6 *)',
      reason: /the number after # is the occurrence in the month and must be 1-5/,
      example: 'cron(0 9 ? * 6#1 *)',
    },
    {
      rule: 'a wrap-around range',
      text: 'cron(0 9 ? * FRI-MON *)',
      reason: /range FRI-MON runs backwards.*Write it as a list: FRI-SAT,SUN-MON/,
      example: 'cron(0 9 ? * FRI-SAT,SUN-MON *)',
    },
    {
      rule: 'a wrap-around hour range',
      text: 'cron(0 22-2 * * ? *)',
      reason: /hours field: range 22-2 runs backwards/,
      example: 'cron(0 22-23,0-2 * * ? *)',
    },
    {
      rule: 'an empty list item',
      text: 'cron(0,,30 9 * * ? *)',
      reason: /minutes field: "0,,30" has an empty list item/,
      example: 'cron(0 9 * * ? *)',
    },
    {
      rule: 'rate() with the plural unit for 1',
      text: 'rate(1 minutes)',
      reason: /with the value 1 AWS requires the singular unit "minute"/,
      example: 'rate(1 minute)',
    },
    {
      rule: 'rate() with the singular unit for more than 1',
      text: 'rate(5 hour)',
      reason: /with a value other than 1 AWS requires the plural unit "hours"/,
      example: 'rate(5 hours)',
    },
    {
      rule: 'rate() of zero (faster than one minute)',
      text: 'rate(0 minutes)',
      reason: /must be a positive whole number.*faster than once a minute/,
      example: 'rate(1 minute)',
    },
    {
      rule: 'rate() with a fraction',
      text: 'rate(1.5 hours)',
      reason: /must be a positive whole number/,
      example: 'rate(1 minute)',
    },
    {
      rule: 'rate() in seconds',
      text: 'rate(30 seconds)',
      reason: /the rate unit "seconds" is not valid; use minute\(s\), hour\(s\) or day\(s\)/,
      example: 'rate(1 minute)',
    },
    {
      rule: 'rate() without a unit',
      text: 'rate(5)',
      reason: /rate\(\) needs a value and a unit/,
      example: 'rate(5 minutes)',
    },
    {
      rule: 'at() with a zone offset',
      text: 'at(2026-12-01T09:00:00Z)',
      reason: /at\(\) needs a date and time as yyyy-mm-ddThh:mm:ss without a zone or offset/,
      example: 'at(2026-12-01T09:00:00)',
    },
    {
      rule: 'at() on a day that does not exist',
      text: 'at(2027-02-29T09:00:00)',
      reason: /2027-02-29T09:00:00 is not a real calendar date and time/,
      example: 'at(2026-12-01T09:00:00)',
    },
  ];

  for (const c of cases) {
    it(`rejects ${c.rule}: ${c.text}`, () => {
      // Act
      const error = rejection(c.text);

      // Assess
      expect(error.name).toBe('ScheduleExpressionError');
      expect(error.message).toMatch(c.reason);
      expect(error.example).toBe(c.example);
      expect(() => parseScheduleExpression(error.example)).not.toThrow();
    });
  }
});
