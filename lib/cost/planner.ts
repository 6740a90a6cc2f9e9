/**
 * The month-start planner: for a data size and each Map setting (maxConcurrency ×
 * recordsPerBatch), the makespan (p50/p90 over seeded simulations) and the cost of one
 * export run. Batches come from the enqueue Lambda's own packing code; each converter
 * task starts after a sampled Fargate start latency (and may fail to provision and be
 * retried with the job's waits), then converts its records at the benchmarked rate, all
 * running tasks sharing the database's read throughput.
 */
import { packBatches } from '../../functions/enqueue-exports/pack-batches.ts';
import type { JobSpec } from '../schedule/job-spec.ts';
import { retryWaitSeconds } from '../workflows/synthesize.ts';
import { FARGATE_MINIMUM_SECONDS } from './estimate.ts';
import type { PriceBook } from './prices.ts';
import type { TransitionCounts } from './transitions.ts';

/** Seeded PRNG (mulberry32): the same seed gives the same table on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function standardNormal(random: () => number): number {
  // Box–Muller; 1 - u keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Start latency of a task, lognormal through its p50 and p90 (z(0.9) = 1.2816). */
export interface StartLatency {
  p50Seconds: number;
  p90Seconds: number;
  /** Where the two figures come from, shown in the output. */
  source: string;
}

export function sampleLatency(latency: StartLatency, random: () => number): number {
  if (latency.p90Seconds <= latency.p50Seconds) return latency.p50Seconds;
  const sigma = Math.log(latency.p90Seconds / latency.p50Seconds) / 1.2816;
  return latency.p50Seconds * Math.exp(sigma * standardNormal(random));
}

export interface PlanModel {
  /** Records one converter task converts per second when it has the database to itself. */
  taskRowsPerSecond: number;
  /** Read throughput of the database, shared by every converting task; Infinity when not capped. */
  databaseRowsPerSecond: number;
  startLatency: StartLatency;
  /** Share of task starts that fail to provision (TaskFailedToStart and the like). */
  provisioningFailureRate: number;
  /** Simulated runs per setting. */
  replications: number;
  seed: number;
}

export interface PlanSetting {
  maxConcurrency: number;
  recordsPerBatch: number;
}

export interface SettingResult extends PlanSetting {
  batches: number;
  largestBatch: number;
  makespanP50: number;
  makespanP90: number;
  /** Mean cost of one run: Fargate (billed per task) + Step Functions transitions. */
  costPerRun: number;
  fargatePerRun: number;
  stepFunctionsPerRun: number;
  /** Mean provisioning retries per run. */
  retriesPerRun: number;
  failedBatchesPerRun: number;
}

interface RunOutcome {
  makespan: number;
  billedSeconds: number;
  retries: number;
  failedBatches: number;
}

interface Active {
  remaining: number;
  startedAt: number;
}

/**
 * One simulated run. Time 0 is when the Map starts its first iteration. Each slot takes
 * the next batch in order (as an inline Map does); a start either provisions after its
 * sampled latency or fails after it, then waits the job's retry pause and tries again.
 */
export function simulateRun(
  loads: readonly number[],
  maxConcurrency: number,
  model: PlanModel,
  retry: { maxAttempts: number; waits: readonly number[] },
  random: () => number,
): RunOutcome {
  let now = 0;
  let next = 0;
  let retries = 0;
  let failedBatches = 0;
  let billedSeconds = 0;
  // Pending starts: time the task is ready (or fails), its load and attempt.
  const starting: Array<{ at: number; load: number; attempt: number; fails: boolean; launchedAt: number }> =
    [];
  const converting: Active[] = [];
  const launch = (load: number, attempt: number, at: number) => {
    const latency = sampleLatency(model.startLatency, random);
    starting.push({
      at: at + latency,
      load,
      attempt,
      fails: random() < model.provisioningFailureRate,
      launchedAt: at,
    });
  };
  const slotsBusy = () => starting.length + converting.length;
  while (next < loads.length && slotsBusy() < maxConcurrency) launch(loads[next++] ?? 0, 1, now);

  while (starting.length > 0 || converting.length > 0) {
    const rate =
      converting.length === 0
        ? 0
        : Math.min(model.taskRowsPerSecond, model.databaseRowsPerSecond / converting.length);
    let finishIn = Number.POSITIVE_INFINITY;
    for (const task of converting) finishIn = Math.min(finishIn, task.remaining / rate);
    starting.sort((a, b) => a.at - b.at);
    const nextStart = starting[0];
    const startIn = nextStart === undefined ? Number.POSITIVE_INFINITY : nextStart.at - now;
    const step = Math.max(0, Math.min(finishIn, startIn));
    for (const task of converting) task.remaining -= rate * step;
    now += step;
    // Finished conversions free their slots.
    for (let index = converting.length - 1; index >= 0; index--) {
      const task = converting[index];
      if (task !== undefined && task.remaining <= 1e-6) {
        billedSeconds += Math.max(FARGATE_MINIMUM_SECONDS, Math.ceil(now - task.startedAt));
        converting.splice(index, 1);
      }
    }
    // Starts that are due: provisioned tasks begin converting; failed ones retry or give up.
    while (starting[0] !== undefined && starting[0].at <= now + 1e-9) {
      const due = starting.shift();
      if (due === undefined) break;
      if (!due.fails) {
        converting.push({ remaining: due.load, startedAt: due.launchedAt });
        continue;
      }
      if (due.attempt < retry.maxAttempts) {
        retries++;
        const wait = retry.waits[due.attempt] ?? 0;
        // The slot stays taken through the wait: the Map iteration is still running.
        const latency = sampleLatency(model.startLatency, random);
        starting.push({
          at: now + wait + latency,
          load: due.load,
          attempt: due.attempt + 1,
          fails: random() < model.provisioningFailureRate,
          launchedAt: now + wait,
        });
      } else {
        failedBatches++;
      }
    }
    while (next < loads.length && slotsBusy() < maxConcurrency) launch(loads[next++] ?? 0, 1, now);
  }
  return { makespan: now, billedSeconds, retries, failedBatches };
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? 0;
}

export interface PlanInput {
  job: JobSpec;
  /** Records per export target (one workspace × template for the period). */
  targets: ReadonlyArray<{ recordCount: number }>;
  settings: readonly PlanSetting[];
  model: PlanModel;
  book: PriceBook;
  transitions: TransitionCounts;
}

/** Simulates every setting; each setting gets its own stream from the seed, so adding one does not move the others. */
export function planSettings(input: PlanInput): SettingResult[] {
  const { job, model, book } = input;
  const vcpu = job.size.cpu / 1024;
  const memoryGb = job.size.memory / 1024;
  const spotFactor = job.spot ? 1 - book.prices.fargateSpotDiscount.value : 1;
  const perTaskSecond =
    ((vcpu * book.prices.fargateVcpuHour.value + memoryGb * book.prices.fargateGbHour.value) / 3600) *
    spotFactor;
  const perTransition = book.prices.stepFunctionsTransitionPer1000.value / 1000;
  const retry = { maxAttempts: job.retry.maxAttempts, waits: retryWaitSeconds(job) };
  return input.settings.map((setting, index) => {
    const batches = packBatches(input.targets, setting.recordsPerBatch).map((batch) =>
      batch.reduce((sum, target) => sum + target.recordCount, 0),
    );
    const random = seededRandom(model.seed + index * 7919);
    const outcomes: RunOutcome[] = [];
    for (let replication = 0; replication < model.replications; replication++) {
      outcomes.push(simulateRun(batches, setting.maxConcurrency, model, retry, random));
    }
    const makespans = outcomes.map((outcome) => outcome.makespan).sort((a, b) => a - b);
    const mean = (pick: (outcome: RunOutcome) => number) =>
      outcomes.reduce((sum, outcome) => sum + pick(outcome), 0) / Math.max(1, outcomes.length);
    const fargatePerRun = mean((outcome) => outcome.billedSeconds) * perTaskSecond;
    const retriesPerRun = mean((outcome) => outcome.retries);
    const transitions =
      input.transitions.perRun +
      input.transitions.perBatch * batches.length +
      input.transitions.perProvisioningRetry * retriesPerRun;
    const stepFunctionsPerRun = transitions * perTransition;
    return {
      ...setting,
      batches: batches.length,
      largestBatch: Math.max(0, ...batches),
      makespanP50: percentile(makespans, 0.5),
      makespanP90: percentile(makespans, 0.9),
      costPerRun: fargatePerRun + stepFunctionsPerRun,
      fargatePerRun,
      stepFunctionsPerRun,
      retriesPerRun,
      failedBatchesPerRun: mean((outcome) => outcome.failedBatches),
    };
  });
}

/**
 * The setting to pick for a deadline: the fewest concurrent tasks (the least load on the
 * database) whose p90 makespan meets it, the cheapest of those; undefined when none does.
 */
export function smallestMeetingDeadline(
  results: readonly SettingResult[],
  deadlineSeconds: number,
): SettingResult | undefined {
  return [...results]
    .filter((result) => result.makespanP90 <= deadlineSeconds && result.failedBatchesPerRun === 0)
    .sort((a, b) => a.maxConcurrency - b.maxConcurrency || a.costPerRun - b.costPerRun)[0];
}

/**
 * Targets of a synthetic data size: `records` spread over `count` targets with a skewed,
 * fixed-seed lognormal shape (σ = 1: a few big workspaces, many small), like real tenants.
 */
export function syntheticTargets(records: number, count: number, seed = 1): Array<{ recordCount: number }> {
  const random = seededRandom(seed);
  const weights = Array.from({ length: count }, () => Math.exp(standardNormal(random)));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const targets = weights.map((weight) => ({ recordCount: Math.floor((weight / total) * records) }));
  // Rounding leftovers go to the first target so the total is exact.
  const rest = records - targets.reduce((sum, target) => sum + target.recordCount, 0);
  if (targets[0]) targets[0].recordCount += rest;
  return targets;
}
