import { describe, expect, it } from 'vitest';
import { estimateCatalogue, freeTierLines, jobUsage, peakConcurrency, priceJob } from '#lib/cost/estimate.ts';
import { runsInNextMonth } from '#lib/cost/month-runs.ts';
import { type ObservedRun, observeLocalRun } from '#lib/cost/observed.ts';
import { loadPriceBook } from '#lib/cost/prices.ts';
import { transitionCounts } from '#lib/cost/transitions.ts';
import { makeExportJob, makeTaskJob } from '../support/job-spec.ts';

// Prices of lib/cost/prices/us-east-1.json, written out so that a change to the data file
// shows up here as a deliberate edit.
const VCPU_HOUR = 0.04048;
const GB_HOUR = 0.004445;
const PER_TRANSITION = 0.025 / 1000;
const PER_REQUEST = 0.2 / 1e6;
const PER_GB_SECOND = 0.0000133334;
const PER_INVOCATION = 1 / 1e6;
const PER_LOG_GB = 0.5;

const book = loadPriceBook('us-east-1');
const NOW = new Date('2026-11-30T12:00:00Z');

function run(seconds: number[], extra: Partial<ObservedRun> = {}): ObservedRun {
  return {
    executionArn: 'arn',
    status: 'SUCCEEDED',
    taskSeconds: seconds,
    provisioningFailures: 0,
    logBytes: 1000,
    ...extra,
  };
}

describe('monthly estimate of one job (hand-computed, us-east-1)', () => {
  it('prices a daily job from three observed runs, one of them with a provisioning retry', async () => {
    // Prepare: 0.5 vCPU / 1 GB, 02:15 Tokyo every day: 31 runs in December 2026.
    const job = makeTaskJob({ schedule: 'cron(15 2 * * ? *)', size: { cpu: 512, memory: 1024 } });
    const month = runsInNextMonth(job, NOW);
    const observed = {
      runs: [run([100]), run([130], { provisioningFailures: 1 }), run([90])],
      source: 'local' as const,
    };

    // Act
    const usage = jobUsage(job, month, observed, await transitionCounts(job));
    const estimate = priceJob(job, month, usage, book);

    // Assess: median 100 s per run; 31 × 100 s = 3100 s = 0.86111 h.
    expect(month.month).toBe('2026-12');
    expect(usage.runs).toBe(31);
    expect(usage.billedSecondsPerRun).toBe(100);
    const hours = (31 * 100) / 3600;
    expect(estimate.costs.fargate).toBeCloseTo(hours * 0.5 * VCPU_HOUR + hours * 1 * GB_HOUR, 10);
    // 6 transitions a run, plus 7 per provisioning retry at 1 retry in 3 runs.
    expect(estimate.quantities.transitions).toBeCloseTo(31 * (6 + 7 / 3), 9);
    expect(estimate.costs.stepFunctions).toBeCloseTo(31 * (6 + 7 / 3) * PER_TRANSITION, 12);
    // One guard call per run (256 MB, assumed 1 s); no failures, so no notify calls.
    expect(estimate.costs.lambda).toBeCloseTo(31 * PER_REQUEST + 31 * 0.25 * 1 * PER_GB_SECOND, 12);
    expect(estimate.costs.scheduler).toBeCloseTo(31 * PER_INVOCATION, 12);
    expect(estimate.costs.logs).toBeCloseTo(((31 * 1000) / 1e9) * PER_LOG_GB, 12);
    expect(estimate.costs.fargate).toBeCloseTo(0.021256528, 8);
    expect(estimate.usage.taskSeconds).toEqual({ value: 100, source: 'local', samples: 3 });
  });

  it('bills a monthly Spot job with a declared 30 s run at the one-minute minimum, with the Spot discount', async () => {
    const job = makeTaskJob({
      schedule: 'cron(0 3 1 * ? *)',
      size: { cpu: 1024, memory: 2048 },
      spot: true,
      expectedDurationSeconds: 30,
    });
    const month = runsInNextMonth(job, NOW);
    const usage = jobUsage(job, month, { runs: [], source: 'local' }, await transitionCounts(job));
    const estimate = priceJob(job, month, usage, book);

    expect(usage.runs).toBe(1);
    expect(usage.taskSeconds).toEqual({ value: 30, source: 'declared', samples: 0 });
    expect(usage.billedSecondsPerRun).toBe(60);
    // (1 vCPU × 0.04048 + 2 GB × 0.004445) / 60 × (1 − 0.7) = 0.00024685
    expect(estimate.costs.fargate).toBeCloseTo(0.00024685, 10);
    expect(estimate.costs.stepFunctions).toBeCloseTo(6 * PER_TRANSITION, 12);
  });

  it('counts 8,928 runs of an every-5-minutes job in December and bills each at the minimum when nothing is known', async () => {
    const job = makeTaskJob({ schedule: 'rate(5 minutes)', size: { cpu: 256, memory: 512 } });
    const month = runsInNextMonth(job, NOW);
    const usage = jobUsage(job, month, { runs: [], source: 'local' }, await transitionCounts(job));
    const estimate = priceJob(job, month, usage, book);

    expect(month.runs.length).toBe(31 * 24 * 12);
    expect(usage.taskSeconds.source).toBe('none');
    // 8928 × 60 s = 148.8 h × (0.25 × 0.04048 + 0.5 × 0.004445) = 1.836564
    expect(estimate.costs.fargate).toBeCloseTo(1.836564, 8);
    expect(estimate.costs.stepFunctions).toBeCloseTo(8928 * 6 * PER_TRANSITION, 10);
    expect(estimate.costs.scheduler).toBeCloseTo(0.008928, 10);
  });

  it('costs nothing for a disabled job', async () => {
    const job = makeTaskJob({ enabled: false });
    const month = runsInNextMonth(job, NOW);
    const estimate = priceJob(
      job,
      month,
      jobUsage(job, month, { runs: [run([100])], source: 'local' }, await transitionCounts(job)),
      book,
    );
    expect(estimate.total).toBe(0);
  });
});

describe('state transitions from the synthesized definitions', () => {
  it('counts 6 for a task run, 10 + 3 per batch for an export, and 7 per provisioning retry', async () => {
    // Task: guard, choice, prepare, run, summarize, succeed. Export adds enqueue, Map and
    // four result states; each batch runs prepare, run, record. A retry goes through the
    // stopped-task checks, the counter and the wait back into the run state.
    expect(await transitionCounts(makeTaskJob())).toEqual({
      perRun: 6,
      perBatch: 0,
      perProvisioningRetry: 7,
    });
    expect(await transitionCounts(makeExportJob())).toEqual({
      perRun: 10,
      perBatch: 3,
      perProvisioningRetry: 7,
    });
  });
});

describe('runs in the next calendar month', () => {
  it('skips the local time a spring-forward removes', () => {
    // 02:30 does not exist in New York on 2027-03-14.
    const month = runsInNextMonth(
      { schedule: 'cron(30 2 * * ? *)', timezone: 'America/New_York' },
      new Date('2027-02-15T00:00:00Z'),
    );
    expect(month.month).toBe('2027-03');
    expect(month.runs.length).toBe(30);
  });
});

describe('catalogue', () => {
  it('keeps free tiers out of the total and sizes the always-on host for the month-start peak', async () => {
    const jobs = [
      makeTaskJob({ name: 'daily', schedule: 'cron(0 0 * * ? *)', size: { cpu: 1024, memory: 2048 } }),
      makeTaskJob({ name: 'monthly', schedule: 'cron(0 0 1 * ? *)', size: { cpu: 2048, memory: 4096 } }),
    ];
    const observed = new Map([
      ['daily', { runs: [run([600])], source: 'local' as const }],
      ['monthly', { runs: [run([1200])], source: 'local' as const }],
    ]);
    const estimate = await estimateCatalogue(jobs, { now: NOW, book, observed });

    const sum = estimate.jobs.reduce((total, job) => total + job.total, 0);
    expect(estimate.totals.total).toBeCloseTo(sum, 12);
    // Both start at 00:00 on the 1st: 3 vCPU, 6 GiB at once → t3.xlarge is the cheapest that fits.
    expect(estimate.peak).toMatchObject({ vcpu: 3, memoryGiB: 6 });
    expect(estimate.baselines[0]).toMatchObject({ kind: 'ec2', name: 't3.xlarge', fitsPeak: true });
    expect(estimate.baselines[0]?.monthly).toBeCloseTo(0.1664 * 744, 8);
    // CodeBuild: 31 builds of 10 min + 1 of 20 min at $0.01 a minute.
    expect(estimate.baselines[1]?.monthly).toBeCloseTo((31 * 10 + 20) * 0.01, 10);
    expect(
      estimate.freeTiers.find((line) => line.service === 'Step Functions transitions')?.saving,
    ).toBeCloseTo(32 * 6 * PER_TRANSITION, 12);
  });

  it('finds the peak of overlapping runs and treats back-to-back runs as not overlapping', () => {
    const peak = peakConcurrency([
      { start: 0, end: 10, vcpu: 1, memoryGiB: 2 },
      { start: 10, end: 20, vcpu: 1, memoryGiB: 2 },
      { start: 15, end: 30, vcpu: 0.5, memoryGiB: 1 },
    ]);
    expect(peak).toMatchObject({ vcpu: 1.5, memoryGiB: 3 });
  });

  it('computes free-tier savings at most the allowance', () => {
    const lines = freeTierLines(
      {
        vcpuHours: 0,
        gbHours: 0,
        transitions: 10_000,
        lambdaRequests: 10,
        lambdaGbSeconds: 0,
        schedulerInvocations: 0,
        logsGb: 0,
      },
      book,
    );
    expect(lines[0]?.saving).toBeCloseTo(4000 * PER_TRANSITION, 12);
    expect(lines[1]?.saving).toBeCloseTo(10 * PER_REQUEST, 14);
  });
});

describe('observed runs', () => {
  it('reads task durations, provisioning failures and log bytes from local task records', () => {
    const observed = observeLocalRun('arn', 'SUCCEEDED', [
      {
        createdAt: '2026-11-01T00:00:00.000Z',
        stoppedAt: '2026-11-01T00:00:01.000Z',
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'ResourceInitializationError: injected',
        lines: [],
      },
      {
        createdAt: '2026-11-01T00:00:10.000Z',
        stoppedAt: '2026-11-01T00:01:55.500Z',
        exitCode: 0,
        lines: [{ text: 'abc' }, { text: 'é' }],
      },
    ]);
    expect(observed).toMatchObject({ taskSeconds: [105.5], provisioningFailures: 1, logBytes: 4 + 3 });
  });
});
