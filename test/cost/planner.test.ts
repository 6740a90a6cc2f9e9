import { describe, expect, it } from 'vitest';
import { packBatches } from '#functions/enqueue-exports/pack-batches.ts';
import {
  type PlanModel,
  planSettings,
  sampleLatency,
  seededRandom,
  simulateRun,
  smallestMeetingDeadline,
  syntheticTargets,
} from '#lib/cost/planner.ts';
import { loadPriceBook } from '#lib/cost/prices.ts';
import { transitionCounts } from '#lib/cost/transitions.ts';
import { makeExportJob } from '../support/job-spec.ts';

const fixed = (seconds: number) => ({ p50Seconds: seconds, p90Seconds: seconds, source: 'test' });
const model = (overrides: Partial<PlanModel> = {}): PlanModel => ({
  taskRowsPerSecond: 100,
  databaseRowsPerSecond: Number.POSITIVE_INFINITY,
  startLatency: fixed(10),
  provisioningFailureRate: 0,
  replications: 20,
  seed: 1,
  ...overrides,
});
const noRetry = { maxAttempts: 1, waits: [0] };

describe('makespan simulation (hand-computed)', () => {
  it('runs four 1,000-record batches two at a time: two waves of 10 s start + 10 s conversion', () => {
    const outcome = simulateRun([1000, 1000, 1000, 1000], 2, model(), noRetry, seededRandom(1));
    expect(outcome.makespan).toBeCloseTo(40, 9);
    // Each task runs 20 s and is billed the one-minute minimum.
    expect(outcome.billedSeconds).toBe(4 * 60);
  });

  it('shares the database cap between the tasks converting at once', () => {
    // 100 rows/s in total: two tasks at 50 rows/s each take 20 s per wave.
    const outcome = simulateRun(
      [1000, 1000, 1000, 1000],
      2,
      model({ databaseRowsPerSecond: 100 }),
      noRetry,
      seededRandom(1),
    );
    expect(outcome.makespan).toBeCloseTo(60, 9);
  });

  it("retries a failed start after the job's wait and gives up after maxAttempts", () => {
    const always = model({ provisioningFailureRate: 1 });
    const outcome = simulateRun([1000], 1, always, { maxAttempts: 3, waits: [0, 30, 60] }, seededRandom(1));
    // 10 s fail, 30 s wait, 10 s fail, 60 s wait, 10 s fail.
    expect(outcome).toMatchObject({ retries: 2, failedBatches: 1, billedSeconds: 0 });
    expect(outcome.makespan).toBeCloseTo(120, 9);
  });

  it('samples start latencies whose median and 90th percentile match the model', () => {
    const random = seededRandom(42);
    const samples = Array.from({ length: 20_000 }, () =>
      sampleLatency({ p50Seconds: 30, p90Seconds: 60, source: '' }, random),
    ).sort((a, b) => a - b);
    expect(samples[10_000]).toBeGreaterThan(28.5);
    expect(samples[10_000]).toBeLessThan(31.5);
    expect(samples[18_000]).toBeGreaterThan(57);
    expect(samples[18_000]).toBeLessThan(63);
  });
});

describe('settings table', () => {
  it("packs with the enqueue Lambda's code, prices each setting and picks the smallest meeting the deadline", async () => {
    const job = makeExportJob({ size: { cpu: 1024, memory: 4096 } });
    const targets = syntheticTargets(1_000_000, 50);
    const results = planSettings({
      job,
      targets,
      settings: [
        { maxConcurrency: 1, recordsPerBatch: 100_000 },
        { maxConcurrency: 4, recordsPerBatch: 100_000 },
        { maxConcurrency: 8, recordsPerBatch: 100_000 },
      ],
      model: model({ taskRowsPerSecond: 1000 }),
      book: loadPriceBook('us-east-1'),
      transitions: await transitionCounts(job),
    });
    const batches = packBatches(targets, 100_000).length;
    expect(results.map((result) => result.batches)).toEqual([batches, batches, batches]);
    // One task: 1,000 s of conversion plus a 10 s start per batch.
    expect(results[0]?.makespanP50).toBeCloseTo(1_000 + 10 * batches, 6);
    expect(results[1]?.makespanP50).toBeLessThan(results[0]?.makespanP50 ?? 0);
    // Fargate cost does not depend on concurrency when every task is over the minimum; transitions are 10 + 3 per batch.
    expect(results[0]?.stepFunctionsPerRun).toBeCloseTo(((10 + 3 * batches) * 0.025) / 1000, 12);
    const deadline = results[1]?.makespanP90 ?? 0;
    expect(smallestMeetingDeadline(results, deadline)?.maxConcurrency).toBe(4);
    expect(smallestMeetingDeadline(results, 1)).toBeUndefined();
  });

  it('spreads a data size over skewed targets whose sum is exact', () => {
    const targets = syntheticTargets(1_234_567, 37);
    expect(targets).toHaveLength(37);
    expect(targets.reduce((sum, target) => sum + target.recordCount, 0)).toBe(1_234_567);
    expect(syntheticTargets(1_234_567, 37)).toEqual(targets);
  });
});
