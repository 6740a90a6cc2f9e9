/**
 * The month-start makespan bench (bench/makespan.ts) at a tiny size: it seeds both databases,
 * runs the real export end to end at MaxConcurrency 1 and 2 and reports what it measured.
 * Slow for a unit test (two seeded databases, eight converter processes), hence the timeout.
 */
import { describe, expect, it } from 'vitest';
import { formatMakespan, measureMakespan } from '../../bench/makespan.ts';
import { TEST_POSTGRES_URL } from '../db/database-fixtures.ts';

describe('bench/makespan.ts', () => {
  it('converts the seeded month at MaxConcurrency 1 and 2 on PostgreSQL and PGlite and reports the speed-up', async () => {
    // Act
    const result = await measureMakespan({
      databases: ['postgres', 'pglite-wire'],
      child: {
        records: 3000,
        months: 2,
        recordsPerBatch: 700,
        concurrencies: [1, 2],
        rounds: 1,
        job: 'export-monthly-records',
        postgresUrl: TEST_POSTGRES_URL,
      },
    });

    // Assess
    expect(result.failures).toEqual([]);
    expect(result.summaries.map((summary) => summary.database)).toEqual(['postgres', 'pglite-wire']);
    for (const summary of result.summaries) {
      expect(summary.seeded.monthlyTargets).toBeGreaterThan(0);
      expect(summary.runs.map((run) => run.concurrency)).toEqual([1, 2]);
      for (const run of summary.runs) {
        // Every target of the month converted once, into one file, with every record.
        expect(run).toMatchObject({
          targets: summary.seeded.monthlyTargets,
          files: summary.seeded.monthlyTargets,
          rows: summary.seeded.monthRecords,
        });
        expect(run.batches).toBeGreaterThanOrEqual(2);
        // The database's own CPU is measured: PostgreSQL's backends, or PGlite's database process.
        expect(run.databaseCpuSeconds).toBeGreaterThan(0);
      }
      const [one, two] = summary.runs;
      // MaxConcurrency 1 never overlaps converter tasks; 2 runs two at once for a while.
      expect(one?.meanTasksRunning).toBeLessThanOrEqual(1.0001);
      expect(two?.meanTasksRunning).toBeGreaterThan(1);
      expect(summary.speedUp).toBeGreaterThan(0);
      expect(summary.efficiency).toBeCloseTo(summary.speedUp / 2, 10);
    }
    expect(formatMakespan(result, [1, 2])).toMatch(/\| PostgreSQL \| .* \| \*\*\d+\.\d\d\*\* \|/);
  }, 300_000);
});
