import { describe, expect, it } from 'vitest';
import { renderCostSection } from '#lib/cost/diff-section.ts';
import { loadPriceBook } from '#lib/cost/prices.ts';
import { parseScheduleCatalogue } from '#lib/schedule/load.ts';

const DEFAULTS = {
  path: 'schedules/_defaults.yml',
  text: 'owner: { team: records-platform, slack: "#records-batch" }\ntimezone: Asia/Tokyo\ncontainer: batch-jobs\ncpu: 256\nmemory: 512\ntimeout: 30m\nretry: { maxAttempts: 3, interval: 30s, backoffRate: 2, retryOnJobFailure: false }\nnotify: { on: [FAILED], warnAfterConsecutiveSkips: 2 }\n',
};
const job = (name: string, extra: string) => ({
  path: `schedules/${name}.yml`,
  text: `description: ${name}.\ncommand: [${name}]\n${extra}`,
});

describe('cost section of batchctl diff', () => {
  it('shows each changed and added job before and after, and the catalogue totals', async () => {
    // Prepare: a daily job doubles its size and gets a declared 10 min; a 5-minute job is added.
    const base = parseScheduleCatalogue([
      DEFAULTS,
      job('daily-rollup', 'schedule: cron(0 1 * * ? *)\nexpectedDuration: 10m\n'),
      job('steady', 'schedule: cron(0 2 1 * ? *)\n'),
    ]);
    const head = parseScheduleCatalogue([
      DEFAULTS,
      job('daily-rollup', 'schedule: cron(0 1 * * ? *)\nexpectedDuration: 10m\ncpu: 512\nmemory: 1024\n'),
      job('steady', 'schedule: cron(0 2 1 * ? *)\n'),
      job('poll', 'schedule: rate(5 minutes)\n'),
    ]);
    expect(head.problems).toEqual([]);

    // Act
    const section = await renderCostSection(base, head, {
      now: new Date('2026-11-30T12:00:00Z'),
      book: loadPriceBook('us-east-1'),
      observed: new Map(),
    });

    // Assess: daily-rollup Fargate doubles: 31 × 600 s = 5.1667 h × (0.25 × 0.04048 + 0.5 × 0.004445) = $0.06377
    // before, $0.12754 after; the rest of each run (transitions, Lambda, scheduler, logs) is unchanged.
    const rows = section.split('\n');
    const daily = rows.find((row) => row.startsWith('| `daily-rollup`'));
    expect(daily).toMatch(
      /\| \$0\.0\d{3} \| \$0\.1\d{3} \| \+\$0\.0638 \(\+\d+%\) \| 31 runs, declared 10m00s \(assumption\) \|/,
    );
    expect(rows.find((row) => row.startsWith('| `poll` (added)'))).toMatch(
      /\| — \| \$\d\.\d\d \| \+\$\d\.\d\d \| 8928 runs, no observed runs: 1-minute minimum \|/,
    );
    expect(rows.some((row) => row.startsWith('| `steady`'))).toBe(false);
    expect(section).toMatch(/\| \*\*catalogue total\*\* \| \*\*\$0\.\d{4}\*\* \| \*\*\$\d\.\d\d\*\* \|/);
  });
});

describe('expectedDuration in a schedule file', () => {
  it('is parsed to seconds, and a value that is not a duration is a located problem with an example', () => {
    const good = parseScheduleCatalogue([
      DEFAULTS,
      job('rollup', 'schedule: cron(0 1 * * ? *)\nexpectedDuration: 1h30m\n'),
    ]);
    expect(good.jobs[0]?.expectedDurationSeconds).toBe(5400);
    const bad = parseScheduleCatalogue([
      DEFAULTS,
      job('rollup', 'schedule: cron(0 1 * * ? *)\nexpectedDuration: soon\n'),
    ]);
    expect(bad.problems.map((problem) => `${problem.field}: ${problem.message}`).join('\n')).toContain(
      'expectedDuration: "soon" is not a duration',
    );
  });
});
