import { describe, expect, it } from 'vitest';
import { nextRuns, parseScheduleExpression } from '../../lib/cron/index.ts';
import { randomCronExpression, seededRandom } from './random-expressions.ts';
import { referenceFires } from './reference-schedule.ts';

// Two years including a leap day (2028-02-29) and every zone's DST changes in both directions.
const WINDOW_START = Date.UTC(2027, 0, 1);
const WINDOW_END = Date.UTC(2029, 0, 1);
const ZONES = [
  'UTC',
  'Asia/Tokyo',
  'America/New_York',
  'Europe/London',
  'Australia/Sydney',
  // Chile springs forward at 24:00: midnight itself does not exist on that day.
  'America/Santiago',
  // A 30-minute DST shift.
  'Australia/Lord_Howe',
];
const EXPRESSION_COUNT = 420;
const ZONES_PER_EXPRESSION = 2;
const SEED = 20_261_121;

// Run in every zone on top of the random ones: they hit each DST change on every day.
const DST_SENTINELS = [
  'cron(0/30 * * * ? *)',
  'cron(30 1 * * ? *)',
  'cron(0 2 * * ? *)',
  'cron(0 0 * * ? *)',
  'cron(15 2,3 ? * SUN *)',
];

const random = seededRandom(SEED);
const expressions = Array.from({ length: EXPRESSION_COUNT }, () => randomCronExpression(random));
const assignments = new Map<string, string[]>(ZONES.map((zone) => [zone, [...DST_SENTINELS]]));
expressions.forEach((text, i) => {
  for (let k = 0; k < ZONES_PER_EXPRESSION; k++) {
    const zone = ZONES[(i * ZONES_PER_EXPRESSION + k) % ZONES.length] ?? 'UTC';
    assignments.get(zone)?.push(text);
  }
});

interface Mismatch {
  expression: string;
  after: string;
  index: number;
  expected: string | undefined;
  actual: string | undefined;
}

const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

function firstMismatch(
  expression: string,
  after: number,
  expected: number[],
  actual: Date[],
): Mismatch | undefined {
  const length = Math.max(expected.length, actual.length);
  for (let i = 0; i < length; i++) {
    if (expected[i] !== actual[i]?.getTime()) {
      return {
        expression,
        after: iso(after) ?? '',
        index: i,
        expected: iso(expected[i]),
        actual: iso(actual[i]?.getTime()),
      };
    }
  }
  return undefined;
}

describe('nextRuns agrees with a minute-by-minute reference on random expressions', () => {
  it('generates several hundred valid expressions from a fixed seed', () => {
    // Assess
    expect(new Set(expressions).size).toBeGreaterThan(400);
    for (const text of expressions) expect(() => parseScheduleExpression(text), text).not.toThrow();
  });

  for (const zone of ZONES) {
    const texts = assignments.get(zone) ?? [];

    it(`matches every run over 2027-2028 in ${zone} (${texts.length} expressions)`, () => {
      // Prepare
      const expected = referenceFires(texts, zone, WINDOW_START, WINDOW_END);
      const transitions = transitionsOf(zone);
      const mismatches: Mismatch[] = [];
      let compared = 0;

      // Act
      texts.forEach((text, i) => {
        const reference = expected[i] ?? [];
        const expr = parseScheduleExpression(text);
        const actual = nextRuns(expr, zone, new Date(WINDOW_START - 1), reference.length + 1);
        // One run past the window is fine; any run inside it must be in the reference.
        const inWindow = actual.filter((d) => d.getTime() < WINDOW_END);
        const mismatch = firstMismatch(text, WINDOW_START - 1, reference, inWindow);
        if (mismatch) mismatches.push(mismatch);
        compared += reference.length;

        // Starting points inside the window, at odd seconds, including the 30 minutes
        // around each of this zone's offset changes (inside repeated hours, too).
        const starts = [
          ...Array.from(
            { length: 3 },
            () => WINDOW_START + Math.floor(random() * (WINDOW_END - WINDOW_START)),
          ),
          ...transitions.flatMap((t) => [t - 30 * 60_000 + 17_000, t + 30 * 60_000 + 42_000]),
        ];
        for (const after of starts) {
          const want = reference.filter((ms) => ms > after).slice(0, 4);
          const got = nextRuns(expr, zone, new Date(after), 4).filter((d) => d.getTime() < WINDOW_END);
          const m = firstMismatch(text, after, want, got.slice(0, want.length === 4 ? 4 : got.length));
          if (m) mismatches.push(m);
        }
      });

      // Assess
      expect(mismatches.slice(0, 5)).toEqual([]);
      expect(compared).toBeGreaterThan(1000);
    });
  }
});

/** Instants in the window at which the zone's UTC offset changes (found with Intl, hourly). */
function transitionsOf(zone: string): number[] {
  const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
  const offset = (ms: number): string =>
    format.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const found: number[] = [];
  let previous = offset(WINDOW_START);
  for (let t = WINDOW_START; t < WINDOW_END; t += 3_600_000) {
    const current = offset(t);
    if (current !== previous) found.push(t);
    previous = current;
  }
  return found;
}
