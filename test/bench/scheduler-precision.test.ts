/**
 * The scheduler precision bench (bench/scheduler-precision.ts) at a tiny size: npm start with two
 * every-minute jobs, one minute instant. Slow for a unit test: it waits for the next minute
 * boundary (up to 65 s) after npm start is up.
 */
import { describe, expect, it } from 'vitest';
import {
  formatSchedulerPrecision,
  measureSchedulerPrecision,
  percentile,
} from '../../bench/scheduler-precision.ts';

describe('bench/scheduler-precision.ts', () => {
  it('takes the nearest-rank percentile', () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('measures the lateness of every scheduled start of npm start against its instant', async () => {
    // Act
    const result = await measureSchedulerPrecision({ jobs: 2, minutes: 1, job: 'expire-share-links' });

    // Assess
    expect(result.missed).toEqual([]);
    expect(result.doubled).toEqual([]);
    expect(result.scheduler.count).toBe(2);
    expect(result.baseline.count).toBe(2);
    // A start is never before its instant, and a late one is still started within the minute.
    expect(result.scheduler.p50Ms).toBeGreaterThanOrEqual(0);
    expect(result.scheduler.maxMs).toBeLessThan(60_000);
    expect(formatSchedulerPrecision(result)).toContain('missed: none; doubled: none');
  }, 240_000);
});
