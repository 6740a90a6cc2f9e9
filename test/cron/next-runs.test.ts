import { describe, expect, it } from 'vitest';
import { nextRuns, parseScheduleExpression } from '../../lib/cron/index.ts';

/** ISO strings of the next `count` runs after `after` (an ISO instant). */
function runs(expression: string, zone: string, after: string, count: number, anchor?: string): string[] {
  const options = anchor === undefined ? {} : { anchor: new Date(anchor) };
  return nextRuns(parseScheduleExpression(expression), zone, new Date(after), count, options).map((d) =>
    d.toISOString(),
  );
}

// 2026-11-20 is a Friday.
const FRIDAY_AFTERNOON = '2026-11-20T12:34:56Z';

describe("nextRuns on AWS's documented cron() examples (UTC)", () => {
  const examples: { expression: string; after?: string; expected: string[] }[] = [
    {
      expression: 'cron(0 10 * * ? *)',
      expected: ['2026-11-21T10:00:00.000Z', '2026-11-22T10:00:00.000Z', '2026-11-23T10:00:00.000Z'],
    },
    {
      expression: 'cron(15 12 * * ? *)',
      expected: ['2026-11-21T12:15:00.000Z', '2026-11-22T12:15:00.000Z', '2026-11-23T12:15:00.000Z'],
    },
    {
      expression: 'cron(0 18 ? * MON-FRI *)',
      expected: ['2026-11-20T18:00:00.000Z', '2026-11-23T18:00:00.000Z', '2026-11-24T18:00:00.000Z'],
    },
    {
      expression: 'cron(0 8 1 * ? *)',
      expected: ['2026-12-01T08:00:00.000Z', '2027-01-01T08:00:00.000Z', '2027-02-01T08:00:00.000Z'],
    },
    {
      expression: 'cron(0/15 * * * ? *)',
      expected: ['2026-11-20T12:45:00.000Z', '2026-11-20T13:00:00.000Z', '2026-11-20T13:15:00.000Z'],
    },
    {
      expression: 'cron(0/10 * ? * MON-FRI *)',
      after: '2026-11-20T23:45:00Z',
      expected: ['2026-11-20T23:50:00.000Z', '2026-11-23T00:00:00.000Z', '2026-11-23T00:10:00.000Z'],
    },
    {
      expression: 'cron(0/5 8-17 ? * MON-FRI *)',
      after: '2026-11-20T17:52:00Z',
      expected: ['2026-11-20T17:55:00.000Z', '2026-11-23T08:00:00.000Z', '2026-11-23T08:05:00.000Z'],
    },
    {
      expression: 'cron(0 9 ? * 2#1 *)',
      expected: ['2026-12-07T09:00:00.000Z', '2027-01-04T09:00:00.000Z', '2027-02-01T09:00:00.000Z'],
    },
    {
      expression: 'cron(0 0 L * ? *)',
      expected: ['2026-11-30T00:00:00.000Z', '2026-12-31T00:00:00.000Z', '2027-01-31T00:00:00.000Z'],
    },
    {
      expression: 'cron(0 0/4 * * ? *)',
      expected: ['2026-11-20T16:00:00.000Z', '2026-11-20T20:00:00.000Z', '2026-11-21T00:00:00.000Z'],
    },
    {
      expression: 'cron(0 10 1 1,4,7,10 ? *)',
      expected: ['2027-01-01T10:00:00.000Z', '2027-04-01T10:00:00.000Z', '2027-07-01T10:00:00.000Z'],
    },
    {
      expression: 'cron(0 0 ? * 6L *)',
      expected: ['2026-11-27T00:00:00.000Z', '2026-12-25T00:00:00.000Z', '2027-01-29T00:00:00.000Z'],
    },
    {
      expression: 'cron(30 14 10,20 * ? 2026-2030)',
      expected: ['2026-11-20T14:30:00.000Z', '2026-12-10T14:30:00.000Z', '2026-12-20T14:30:00.000Z'],
    },
  ];

  for (const e of examples) {
    it(`runs ${e.expression} at the documented times`, () => {
      // Act
      const actual = runs(e.expression, 'UTC', e.after ?? FRIDAY_AFTERNOON, e.expected.length);

      // Assess
      expect(actual).toEqual(e.expected);
    });
  }
});

describe('nextRuns: month-dependent wildcards', () => {
  it('moves 1W off a Saturday to the Monday, never into the previous month', () => {
    // 2027-05-01 is a Saturday.
    expect(runs('cron(0 9 1W * ? *)', 'UTC', '2027-04-15T00:00:00Z', 3)).toEqual([
      '2027-05-03T09:00:00.000Z',
      '2027-06-01T09:00:00.000Z',
      '2027-07-01T09:00:00.000Z',
    ]);
  });

  it('moves 31W off a Sunday to the Friday and skips months without a 31st', () => {
    // 2027-10-31 is a Sunday; November has 30 days; 2027-12-31 is a Friday.
    expect(runs('cron(0 9 31W * ? *)', 'UTC', '2027-10-01T00:00:00Z', 2)).toEqual([
      '2027-10-29T09:00:00.000Z',
      '2027-12-31T09:00:00.000Z',
    ]);
  });

  it('runs LW on the last weekday when the month ends on a weekend', () => {
    // 2027-01-31 is a Sunday.
    expect(runs('cron(0 9 LW * ? *)', 'UTC', '2027-01-01T00:00:00Z', 1)).toEqual([
      '2027-01-29T09:00:00.000Z',
    ]);
  });

  it('runs 2#5 only in months with a fifth Monday', () => {
    // Mondays: 2027-03-29 (fifth), none in April, 2027-05-31 (fifth).
    expect(runs('cron(0 9 ? * 2#5 *)', 'UTC', '2027-03-01T00:00:00Z', 2)).toEqual([
      '2027-03-29T09:00:00.000Z',
      '2027-05-31T09:00:00.000Z',
    ]);
  });

  it('runs on February 29 only in leap years', () => {
    expect(runs('cron(0 0 29 2 ? *)', 'UTC', '2026-11-20T00:00:00Z', 2)).toEqual([
      '2028-02-29T00:00:00.000Z',
      '2032-02-29T00:00:00.000Z',
    ]);
  });

  it('evaluates the fields on the wall clock of the zone', () => {
    expect(runs('cron(0 0 1 * ? *)', 'Asia/Tokyo', FRIDAY_AFTERNOON, 2)).toEqual([
      '2026-11-30T15:00:00.000Z',
      '2026-12-31T15:00:00.000Z',
    ]);
  });
});

describe('nextRuns: schedules that end or never fire', () => {
  it('returns nothing, quickly, for a day that never exists', () => {
    expect(runs('cron(0 0 30 2 ? *)', 'America/New_York', FRIDAY_AFTERNOON, 5)).toEqual([]);
  });

  it('returns nothing for a year in the past', () => {
    expect(runs('cron(0 0 1 1 ? 2020)', 'UTC', FRIDAY_AFTERNOON, 5)).toEqual([]);
  });

  it('returns fewer runs when the year field ends', () => {
    expect(runs('cron(0 0 1 1 ? 2027-2028)', 'UTC', FRIDAY_AFTERNOON, 5)).toEqual([
      '2027-01-01T00:00:00.000Z',
      '2028-01-01T00:00:00.000Z',
    ]);
  });

  it('rejects an invalid start instant and a count that is not a whole number, and returns [] for no runs', () => {
    const expr = parseScheduleExpression('cron(0 0 1 1 ? *)');
    expect(() => nextRuns(expr, 'UTC', new Date('not a date'), 1)).toThrow(/after must be a valid Date/);
    expect(() => nextRuns(expr, 'UTC', new Date(), Number.POSITIVE_INFINITY)).toThrow(
      /count must be a whole number/,
    );
    expect(nextRuns(expr, 'UTC', new Date(), 0)).toEqual([]);
    expect(nextRuns(expr, 'UTC', new Date(), -1)).toEqual([]);
  });

  it('rejects a time zone that is not an IANA name', () => {
    expect(() => runs('cron(0 0 1 1 ? *)', 'Mars/Olympus', FRIDAY_AFTERNOON, 1)).toThrow(
      /"Mars\/Olympus" is not an IANA time zone name/,
    );
  });
});

describe('nextRuns: EventBridge Scheduler daylight saving time rules', () => {
  it('skips a local time that does not exist at spring-forward (America/New_York)', () => {
    // 2027-03-14: 02:00 EST jumps to 03:00 EDT, so 02:30 does not exist that day.
    expect(runs('cron(30 2 * * ? *)', 'America/New_York', '2027-03-13T00:00:00Z', 2)).toEqual([
      '2027-03-13T07:30:00.000Z',
      '2027-03-15T06:30:00.000Z',
    ]);
  });

  it('runs a repeated local time once, at its first occurrence, at fall-back (America/New_York)', () => {
    // 2027-11-07: 02:00 EDT goes back to 01:00 EST, so 01:30 happens twice.
    expect(runs('cron(30 1 * * ? *)', 'America/New_York', '2027-11-06T00:00:00Z', 3)).toEqual([
      '2027-11-06T05:30:00.000Z',
      '2027-11-07T05:30:00.000Z',
      '2027-11-08T06:30:00.000Z',
    ]);
  });

  it('skips the repeated hour of a frequent schedule at fall-back (America/New_York)', () => {
    expect(runs('cron(0/30 * * * ? *)', 'America/New_York', '2027-11-07T04:45:00Z', 4)).toEqual([
      '2027-11-07T05:00:00.000Z',
      '2027-11-07T05:30:00.000Z',
      '2027-11-07T07:00:00.000Z',
      '2027-11-07T07:30:00.000Z',
    ]);
  });

  it('does not run the second occurrence when asked from inside the repeated hour', () => {
    // 06:10Z is 01:10 EST, the second pass; 01:30 already ran at 05:30Z.
    expect(runs('cron(30 1 * * ? *)', 'America/New_York', '2027-11-07T06:10:00Z', 1)).toEqual([
      '2027-11-08T06:30:00.000Z',
    ]);
  });

  it('skips the missing half hours of a frequent schedule at spring-forward (America/New_York)', () => {
    expect(runs('cron(0/30 * * * ? *)', 'America/New_York', '2027-03-14T06:15:00Z', 3)).toEqual([
      '2027-03-14T06:30:00.000Z',
      '2027-03-14T07:00:00.000Z',
      '2027-03-14T07:30:00.000Z',
    ]);
  });

  it('skips a local time that does not exist at spring-forward (Europe/London)', () => {
    // 2027-03-28: 01:00 GMT jumps to 02:00 BST.
    expect(runs('cron(30 1 * * ? *)', 'Europe/London', '2027-03-27T00:00:00Z', 2)).toEqual([
      '2027-03-27T01:30:00.000Z',
      '2027-03-29T00:30:00.000Z',
    ]);
  });

  it('runs a repeated local time once at fall-back (Europe/London)', () => {
    // 2027-10-31: 02:00 BST goes back to 01:00 GMT.
    expect(runs('cron(30 1 * * ? *)', 'Europe/London', '2027-10-30T00:00:00Z', 3)).toEqual([
      '2027-10-30T00:30:00.000Z',
      '2027-10-31T00:30:00.000Z',
      '2027-11-01T01:30:00.000Z',
    ]);
  });

  it('skips midnight on the day Chile springs forward at 24:00 (America/Santiago)', () => {
    // 2027-09-05 00:00 does not exist: the clock goes from 23:59:59 -04 to 01:00 -03.
    expect(runs('cron(0 0 * * ? *)', 'America/Santiago', '2027-09-03T12:00:00Z', 2)).toEqual([
      '2027-09-04T04:00:00.000Z',
      '2027-09-06T03:00:00.000Z',
    ]);
  });
});

describe('nextRuns: rate() and at()', () => {
  it('fires rate() at anchor + k * interval, strictly after the given instant', () => {
    expect(runs('rate(15 minutes)', 'UTC', '2026-11-20T12:34:56Z', 3, '2026-11-20T12:00:00Z')).toEqual([
      '2026-11-20T12:45:00.000Z',
      '2026-11-20T13:00:00.000Z',
      '2026-11-20T13:15:00.000Z',
    ]);
  });

  it('starts rate() at the anchor when the anchor is in the future', () => {
    expect(runs('rate(2 hours)', 'UTC', '2026-11-20T12:00:00Z', 2, '2026-11-21T00:00:00Z')).toEqual([
      '2026-11-21T00:00:00.000Z',
      '2026-11-21T02:00:00.000Z',
    ]);
  });

  it('counts rate() days as 24 hours across a DST change', () => {
    expect(
      runs('rate(1 day)', 'America/New_York', '2027-03-13T12:00:00Z', 2, '2027-03-13T12:00:00Z'),
    ).toEqual(['2027-03-14T12:00:00.000Z', '2027-03-15T12:00:00.000Z']);
  });

  it('defaults the rate() anchor to the given instant', () => {
    expect(runs('rate(1 hour)', 'UTC', '2026-11-20T12:34:56Z', 1)).toEqual(['2026-11-20T13:34:56.000Z']);
  });

  it('fires at() once, in the zone', () => {
    expect(runs('at(2026-12-01T09:00:00)', 'Asia/Tokyo', FRIDAY_AFTERNOON, 3)).toEqual([
      '2026-12-01T00:00:00.000Z',
    ]);
  });

  it('does not fire at() when its time has passed', () => {
    expect(runs('at(2026-11-01T09:00:00)', 'UTC', FRIDAY_AFTERNOON, 1)).toEqual([]);
  });

  it('fires at() at the first occurrence of a repeated local time', () => {
    expect(runs('at(2027-11-07T01:30:00)', 'America/New_York', FRIDAY_AFTERNOON, 1)).toEqual([
      '2027-11-07T05:30:00.000Z',
    ]);
  });
});
