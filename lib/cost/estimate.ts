/**
 * The monthly cost of a job and of the catalogue, service by service, and the always-on
 * hosts it is compared with. Pure arithmetic on typed inputs: runs from the cron engine,
 * durations from observed runs (or a declared assumption), transitions from the
 * synthesized definition, prices from the region's data file.
 */

import type { JobSpec } from '../schedule/job-spec.ts';
import { WORKFLOW_LAMBDAS } from '../workflows/names.ts';
import { type MonthRuns, runsInNextMonth } from './month-runs.ts';
import { type FigureSource, median, type ObservedRun } from './observed.ts';
import type { Price, PriceBook } from './prices.ts';
import { type TransitionCounts, transitionCounts } from './transitions.ts';

/**
 * The architectures the price files' rates are for: Fargate Linux/x86 (the task
 * definitions' RuntimePlatform) and Lambda arm64 (serverless.yml provider.architecture).
 * A test fails when the deployment moves away from them.
 */
export const PRICED_ARCHITECTURES = { fargate: 'X86_64', lambda: 'arm64' } as const;

/** Fargate bills per second with a one-minute minimum per task (https://aws.amazon.com/fargate/pricing/). */
export const FARGATE_MINIMUM_SECONDS = 60;

/**
 * Lambda run times are not observable locally in a way that matches AWS (the handlers run
 * in-process), so they are stated assumptions, shown as such.
 */
export const ASSUMED_LAMBDA_SECONDS = {
  checkDuplicateStart: 1,
  enqueueExports: 10,
  notifyFailure: 2,
} as const;
/** Log volume per task run when none was observed: an assumption, shown as such. */
export const ASSUMED_LOG_BYTES_PER_TASK = 20_000;

export interface Figure {
  value: number;
  source: FigureSource;
  /** Runs the figure is the median of (observed sources). */
  samples: number;
}

export interface JobUsage {
  /** Runs in the month counted (0 when the job is disabled). */
  runs: number;
  /** Fargate tasks per run (an export runs one per batch). */
  tasksPerRun: Figure;
  /** Median wall-clock seconds of one task. */
  taskSeconds: Figure;
  /** Billed seconds per run: every task rounded up to the second, at least a minute. */
  billedSecondsPerRun: number;
  provisioningRetriesPerRun: Figure;
  failureRate: Figure;
  logBytesPerRun: Figure;
  transitions: TransitionCounts;
}

export interface ServiceCosts {
  fargate: number;
  stepFunctions: number;
  lambda: number;
  scheduler: number;
  logs: number;
}

export interface Quantities {
  vcpuHours: number;
  gbHours: number;
  transitions: number;
  lambdaRequests: number;
  lambdaGbSeconds: number;
  schedulerInvocations: number;
  logsGb: number;
}

export interface JobEstimate {
  job: string;
  enabled: boolean;
  schedule: string;
  timezone: string;
  month: string;
  cpu: number;
  memory: number;
  spot: boolean;
  usage: JobUsage;
  quantities: Quantities;
  costs: ServiceCosts;
  total: number;
}

export interface DurationInputs {
  /** Observed finished runs of the job, newest first; empty when none. */
  runs: ObservedRun[];
  /** Where `runs` came from. */
  source: 'local' | 'stage' | 'api';
}

function vcpus(job: JobSpec): number {
  return job.size.cpu / 1024;
}

function memoryGb(job: JobSpec): number {
  return job.size.memory / 1024;
}

/** Billed seconds of one task: rounded up to the second, never under the one-minute minimum. */
export function billedTaskSeconds(seconds: number): number {
  return Math.max(FARGATE_MINIMUM_SECONDS, Math.ceil(seconds));
}

/** Usage figures of one job, from observed runs when there are any, else its declared `expectedDuration`. */
export function jobUsage(
  job: JobSpec,
  month: MonthRuns,
  observed: DurationInputs,
  transitions: TransitionCounts,
): JobUsage {
  const runs = job.enabled ? month.runs.length : 0;
  const withTasks = observed.runs.filter((run) => run.taskSeconds.length > 0);
  if (withTasks.length > 0) {
    const samples = withTasks.length;
    const perRunBilled = withTasks.map((run) =>
      run.taskSeconds.reduce((sum, s) => sum + billedTaskSeconds(s), 0),
    );
    const logged = withTasks.filter((run) => run.logBytes !== undefined);
    const source = observed.source;
    return {
      runs,
      tasksPerRun: { value: median(withTasks.map((run) => run.taskSeconds.length)), source, samples },
      taskSeconds: { value: median(withTasks.flatMap((run) => run.taskSeconds)), source, samples },
      billedSecondsPerRun: median(perRunBilled),
      provisioningRetriesPerRun: {
        value: observed.runs.reduce((sum, run) => sum + run.provisioningFailures, 0) / observed.runs.length,
        source,
        samples: observed.runs.length,
      },
      failureRate: {
        value: observed.runs.filter((run) => run.status !== 'SUCCEEDED').length / observed.runs.length,
        source,
        samples: observed.runs.length,
      },
      logBytesPerRun:
        logged.length > 0
          ? { value: median(logged.map((run) => run.logBytes ?? 0)), source, samples: logged.length }
          : {
              value: ASSUMED_LOG_BYTES_PER_TASK * median(withTasks.map((run) => run.taskSeconds.length)),
              source: 'none',
              samples: 0,
            },
      transitions,
    };
  }
  const declared = job.expectedDurationSeconds;
  const seconds: Figure =
    declared === undefined
      ? { value: 0, source: 'none', samples: 0 }
      : { value: declared, source: 'declared', samples: 0 };
  return {
    runs,
    tasksPerRun: { value: 1, source: declared === undefined ? 'none' : 'declared', samples: 0 },
    taskSeconds: seconds,
    billedSecondsPerRun: billedTaskSeconds(seconds.value),
    provisioningRetriesPerRun: { value: 0, source: 'none', samples: 0 },
    failureRate: { value: 0, source: 'none', samples: 0 },
    logBytesPerRun: { value: ASSUMED_LOG_BYTES_PER_TASK, source: 'none', samples: 0 },
    transitions,
  };
}

/** Quantities and costs of one job for the month, before any free tier. */
export function priceJob(job: JobSpec, month: MonthRuns, usage: JobUsage, book: PriceBook): JobEstimate {
  const p = book.prices;
  const runs = usage.runs;
  const taskHours = (runs * usage.billedSecondsPerRun) / 3600;
  const spotFactor = job.spot ? 1 - p.fargateSpotDiscount.value : 1;
  const vcpuHours = taskHours * vcpus(job);
  const gbHours = taskHours * memoryGb(job);
  const fargate = (vcpuHours * p.fargateVcpuHour.value + gbHours * p.fargateGbHour.value) * spotFactor;

  const batches = job.workflow === 'xlsx-export' ? usage.tasksPerRun.value : 0;
  const transitionsPerRun =
    usage.transitions.perRun +
    usage.transitions.perBatch * batches +
    usage.transitions.perProvisioningRetry * usage.provisioningRetriesPerRun.value;
  const transitions = runs * transitionsPerRun;
  const stepFunctions = (transitions / 1000) * p.stepFunctionsTransitionPer1000.value;

  const lambdaMemoryGb = (key: keyof typeof WORKFLOW_LAMBDAS) => WORKFLOW_LAMBDAS[key].memorySize / 1024;
  const notifies = runs * usage.failureRate.value;
  const enqueues = job.workflow === 'xlsx-export' ? runs : 0;
  const lambdaRequests = runs + enqueues + notifies;
  const lambdaGbSeconds =
    runs * lambdaMemoryGb('checkDuplicateStart') * ASSUMED_LAMBDA_SECONDS.checkDuplicateStart +
    enqueues * lambdaMemoryGb('enqueueExports') * ASSUMED_LAMBDA_SECONDS.enqueueExports +
    notifies * lambdaMemoryGb('notifyFailure') * ASSUMED_LAMBDA_SECONDS.notifyFailure;
  const lambda =
    (lambdaRequests / 1e6) * p.lambdaRequestPerMillion.value + lambdaGbSeconds * p.lambdaArmGbSecond.value;

  const schedulerInvocations = runs;
  const scheduler = (schedulerInvocations / 1e6) * p.schedulerInvocationPerMillion.value;
  const logsGb = (runs * usage.logBytesPerRun.value) / 1e9;
  const logs = logsGb * p.logsIngestionGb.value;

  const costs = { fargate, stepFunctions, lambda, scheduler, logs };
  return {
    job: job.name,
    enabled: job.enabled,
    schedule: job.schedule,
    timezone: job.timezone,
    month: month.month,
    cpu: job.size.cpu,
    memory: job.size.memory,
    spot: job.spot,
    usage,
    quantities: {
      vcpuHours,
      gbHours,
      transitions,
      lambdaRequests,
      lambdaGbSeconds,
      schedulerInvocations,
      logsGb,
    },
    costs,
    total: fargate + stepFunctions + lambda + scheduler + logs,
  };
}

export interface FreeTierLine {
  /** Key in the price file's `freeTiers`. */
  key: string;
  service: string;
  allowance: number;
  used: number;
  /** Dollars the allowance would take off the total if the account has it to spare. */
  saving: number;
  price: Price;
}

export interface BaselineHost {
  kind: 'ec2' | 'codebuild';
  /** EC2 instance type, or the CodeBuild compute type. */
  name: string;
  monthly: number;
  /** EC2: size and the hours of the month it runs; CodeBuild: the build minutes billed. */
  vcpu?: number | undefined;
  memoryGiB?: number | undefined;
  hours?: number;
  minutes?: number;
  price: Price;
  /** EC2: false when the chosen instance is smaller than the catalogue's peak. */
  fitsPeak: boolean;
}

export interface CatalogueEstimate {
  region: string;
  month: string;
  jobs: JobEstimate[];
  totals: ServiceCosts & { total: number };
  quantities: Quantities;
  freeTiers: FreeTierLine[];
  peak: { vcpu: number; memoryGiB: number; at: string | undefined };
  baselines: BaselineHost[];
  /** Prices used, with sources; unconfirmed ones are flagged in every rendering. */
  prices: Array<{ key: string } & Price>;
}

/** Options for {@link estimateCatalogue}. */
export interface EstimateOptions {
  now: Date;
  book: PriceBook;
  /** Observed runs per job name; a job missing here has none. */
  observed: ReadonlyMap<string, DurationInputs>;
  /** EC2 instance type of the always-on baseline; default: the cheapest one in the price file that fits the peak. */
  instanceType?: string | undefined;
}

/** Estimates every job of the catalogue for the calendar month after `now`, and the baselines. */
export async function estimateCatalogue(
  jobs: readonly JobSpec[],
  options: EstimateOptions,
): Promise<CatalogueEstimate> {
  const estimates: JobEstimate[] = [];
  const intervals: Array<{ start: number; end: number; vcpu: number; memoryGiB: number }> = [];
  for (const job of jobs) {
    const month = runsInNextMonth(job, options.now);
    const usage = jobUsage(
      job,
      month,
      options.observed.get(job.name) ?? { runs: [], source: 'local' },
      await transitionCounts(job),
    );
    const estimate = priceJob(job, month, usage, options.book);
    estimates.push(estimate);
    if (!job.enabled) continue;
    // Tasks of one export run side by side, at most maxConcurrency at once.
    const parallel = Math.min(usage.tasksPerRun.value, job.export?.maxConcurrency ?? 1);
    const waves = Math.ceil(usage.tasksPerRun.value / Math.max(1, parallel));
    const seconds = Math.max(FARGATE_MINIMUM_SECONDS, usage.taskSeconds.value) * waves;
    for (const run of month.runs) {
      intervals.push({
        start: run.getTime(),
        end: run.getTime() + seconds * 1000,
        vcpu: vcpus(job) * parallel,
        memoryGiB: memoryGb(job) * parallel,
      });
    }
  }
  const totals = sumCosts(estimates);
  const quantities = sumQuantities(estimates);
  const peak = peakConcurrency(intervals);
  const month = estimates[0]?.month ?? '';
  return {
    region: options.book.region,
    month,
    jobs: estimates,
    totals,
    quantities,
    freeTiers: freeTierLines(quantities, options.book),
    peak,
    baselines: baselines(estimates, peak, month, options),
    prices: [
      ...Object.entries(options.book.prices).map(([key, price]) => ({ key, ...price })),
      ...Object.entries(options.book.freeTiers).map(([key, price]) => ({ key: `freeTier:${key}`, ...price })),
    ],
  };
}

export function sumCosts(estimates: readonly JobEstimate[]): ServiceCosts & { total: number } {
  const totals = { fargate: 0, stepFunctions: 0, lambda: 0, scheduler: 0, logs: 0, total: 0 };
  for (const e of estimates) {
    totals.fargate += e.costs.fargate;
    totals.stepFunctions += e.costs.stepFunctions;
    totals.lambda += e.costs.lambda;
    totals.scheduler += e.costs.scheduler;
    totals.logs += e.costs.logs;
    totals.total += e.total;
  }
  return totals;
}

function sumQuantities(estimates: readonly JobEstimate[]): Quantities {
  const sum: Quantities = {
    vcpuHours: 0,
    gbHours: 0,
    transitions: 0,
    lambdaRequests: 0,
    lambdaGbSeconds: 0,
    schedulerInvocations: 0,
    logsGb: 0,
  };
  for (const e of estimates)
    for (const key of Object.keys(sum) as Array<keyof Quantities>) sum[key] += e.quantities[key];
  return sum;
}

/** Free tiers, each as the dollars it would save; the totals never include them. */
export function freeTierLines(quantities: Quantities, book: PriceBook): FreeTierLine[] {
  const p = book.prices;
  const f = book.freeTiers;
  const line = (
    key: string,
    service: string,
    allowance: Price,
    used: number,
    unitPrice: number,
  ): FreeTierLine => ({
    key,
    service,
    allowance: allowance.value,
    used,
    saving: Math.min(used, allowance.value) * unitPrice,
    price: allowance,
  });
  return [
    line(
      'stepFunctionsTransitions',
      'Step Functions transitions',
      f.stepFunctionsTransitions,
      quantities.transitions,
      p.stepFunctionsTransitionPer1000.value / 1000,
    ),
    line(
      'lambdaRequests',
      'Lambda requests',
      f.lambdaRequests,
      quantities.lambdaRequests,
      p.lambdaRequestPerMillion.value / 1e6,
    ),
    line(
      'lambdaGbSeconds',
      'Lambda GB-seconds',
      f.lambdaGbSeconds,
      quantities.lambdaGbSeconds,
      p.lambdaArmGbSecond.value,
    ),
    line(
      'schedulerInvocations',
      'EventBridge Scheduler invocations',
      f.schedulerInvocations,
      quantities.schedulerInvocations,
      p.schedulerInvocationPerMillion.value / 1e6,
    ),
    line(
      'logsIngestionGb',
      'CloudWatch Logs ingestion (GB)',
      f.logsIngestionGb,
      quantities.logsGb,
      p.logsIngestionGb.value,
    ),
  ];
}

/** Highest simultaneous vCPU and memory of the month's runs (a sweep over start/end instants). */
export function peakConcurrency(
  intervals: ReadonlyArray<{ start: number; end: number; vcpu: number; memoryGiB: number }>,
): {
  vcpu: number;
  memoryGiB: number;
  at: string | undefined;
} {
  const edges: Array<{ at: number; vcpu: number; memoryGiB: number }> = [];
  for (const i of intervals) {
    edges.push({ at: i.start, vcpu: i.vcpu, memoryGiB: i.memoryGiB });
    edges.push({ at: i.end, vcpu: -i.vcpu, memoryGiB: -i.memoryGiB });
  }
  // Ends before starts at the same instant: back-to-back runs do not overlap.
  edges.sort((a, b) => a.at - b.at || a.vcpu - b.vcpu);
  let vcpu = 0;
  let memory = 0;
  let peak = { vcpu: 0, memoryGiB: 0, at: undefined as string | undefined };
  for (const edge of edges) {
    vcpu += edge.vcpu;
    memory += edge.memoryGiB;
    if (vcpu > peak.vcpu || (vcpu === peak.vcpu && memory > peak.memoryGiB)) {
      peak = { vcpu, memoryGiB: memory, at: new Date(edge.at).toISOString() };
    }
  }
  return peak;
}

/** Hours in the calendar month `YYYY-MM` (UTC days; a DST month differs by one hour at most). */
export function hoursInMonth(month: string): number {
  const [year = 0, monthNumber = 1] = month.split('-').map(Number);
  return new Date(Date.UTC(year, monthNumber, 0)).getUTCDate() * 24;
}

function baselines(
  estimates: readonly JobEstimate[],
  peak: { vcpu: number; memoryGiB: number },
  month: string,
  options: EstimateOptions,
): BaselineHost[] {
  const hosts: BaselineHost[] = [];
  const instances = Object.entries(options.book.instances);
  const fits = ([, price]: [string, Price]) =>
    (price.vcpu ?? 0) >= peak.vcpu && (price.memoryGiB ?? 0) >= peak.memoryGiB;
  let chosen: [string, Price] | undefined;
  if (options.instanceType !== undefined) {
    const price = options.book.instances[options.instanceType];
    if (price === undefined) {
      throw new RangeError(
        `no price for EC2 instance type "${options.instanceType}" in ${options.book.file} (priced: ${instances.map(([name]) => name).join(', ')})`,
      );
    }
    chosen = [options.instanceType, price];
  } else {
    chosen =
      [...instances].filter(fits).sort((a, b) => a[1].value - b[1].value)[0] ??
      [...instances].sort((a, b) => b[1].value - a[1].value)[0];
  }
  if (chosen !== undefined) {
    const [name, price] = chosen;
    const hours = hoursInMonth(month);
    hosts.push({
      kind: 'ec2',
      name,
      monthly: price.value * hours,
      vcpu: price.vcpu,
      memoryGiB: price.memoryGiB,
      hours,
      price,
      fitsPeak: fits(chosen),
    });
  }
  // A build server runs each task as one build, billed by the started minute.
  let minutes = 0;
  for (const e of estimates) {
    minutes +=
      e.usage.runs * e.usage.tasksPerRun.value * Math.ceil(Math.max(1, e.usage.taskSeconds.value) / 60);
  }
  const codebuild = options.book.prices.codebuildGeneral1MediumMinute;
  hosts.push({
    kind: 'codebuild',
    name: 'BUILD_GENERAL1_MEDIUM',
    monthly: minutes * codebuild.value,
    minutes,
    price: codebuild,
    fitsPeak: true,
  });
  return hosts;
}
