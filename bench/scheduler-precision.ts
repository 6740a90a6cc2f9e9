/*
 * Scheduler precision: how late the local scheduler starts executions against their
 * scheduled instants, on the real wall clock.
 *
 *   node bench/scheduler-precision.ts [--jobs 12] [--minutes 9] [--job expire-share-links]
 *                                     [--database pglite|postgres] [--json]
 *   (--database postgres: npm start on a throw-away database of the server in DATABASE_URL)
 *
 * Writes a schedules folder of `--jobs` copies of a real job (schedules/<--job>.yml with
 * `_defaults.yml`), each firing every minute (`cron(* * * * ? *)`) in one of several time
 * zones, and runs `npm start --schedules <that folder> --port 0` as a child process: the real
 * scheduler, the real runtime, the real workflow and container of that job, the embedded
 * database. After `--minutes` minute instants it reads every execution back through
 * @aws-sdk/client-sfn and takes, per fire, the lateness: execution startDate minus the
 * scheduledTime in its input. Baseline in the same run: a bare setTimeout in this process
 * aimed at the same instants (as many timers per instant as there are jobs, re-armed each
 * minute as the scheduler re-arms), which is the timer jitter of this loaded machine.
 * Checks that every job fired exactly once per instant (none missed, none doubled).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  ListStateMachinesCommand,
  paginateListExecutions,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { parseDocument } from 'yaml';
import { REPO_ROOT } from '../lib/schedule/load.ts';
import { scheduledExecutionName } from '../local/scheduler.ts';
import { createThrowawayDatabase, type ThrowawayDatabase } from './throwaway-database.ts';

export interface LatenessSummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface SchedulerPrecisionResult {
  /** The records database npm start used. */
  database: 'pglite' | 'postgres';
  jobs: number;
  minutes: number;
  job: string;
  instants: string[];
  scheduler: LatenessSummary;
  baseline: LatenessSummary;
  /** Per job and instant: not started, or started more than once. */
  missed: string[];
  doubled: string[];
  loadAverage: { before: number[]; after: number[] };
  startedAt: string;
  seconds: number;
}

// Zones with different offsets (and DST rules) so the cron is evaluated in each.
const ZONES = ['Asia/Tokyo', 'Europe/London', 'America/New_York', 'Australia/Sydney', 'UTC', 'Asia/Kolkata'];
const MINUTE = 60_000;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? Number.NaN
  );
}

export function summarize(values: readonly number[]): LatenessSummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p90Ms: percentile(sorted, 0.9),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}

/** Writes `<root>/schedules`: _defaults.yml and `jobs` every-minute copies of schedules/<job>.yml. */
function writeSchedules(root: string, job: string, jobs: number): { dir: string; names: string[] } {
  const dir = join(root, 'schedules');
  mkdirSync(dir, { recursive: true });
  const source = join(REPO_ROOT, 'schedules');
  writeFileSync(join(dir, '_defaults.yml'), readFileSync(join(source, '_defaults.yml')));
  const text = readFileSync(join(source, `${job}.yml`), 'utf8');
  const names: string[] = [];
  for (let index = 0; index < jobs; index++) {
    const document = parseDocument(text);
    document.set('schedule', 'cron(* * * * ? *)');
    document.set('timezone', ZONES[index % ZONES.length]);
    const name = `precision-${String(index + 1).padStart(2, '0')}`;
    names.push(name);
    writeFileSync(join(dir, `${name}.yml`), document.toString());
  }
  return { dir, names };
}

/** `npm start` as a child; resolves with its API endpoint once the status block is printed. */
function startRuntime(
  schedulesDir: string,
  dataDir: string,
  databaseUrl: string | undefined,
): { child: ChildProcess; output: () => string; endpoint: Promise<string> } {
  const child = spawn(
    join(REPO_ROOT, 'node_modules', '.bin', 'node'),
    [join(REPO_ROOT, 'local', 'main.ts'), '--schedules', schedulesDir, '--port', '0'],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dataDir,
        SFN_BATCH_DATA_DIR: dataDir,
        SFN_BATCH_SEED_RECORDS: '500',
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const endpoint = new Promise<string>((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /Step Functions API {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) =>
      reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)),
    );
  });
  return { child, output: () => output, endpoint };
}

/** Bare setTimeout lateness at `perInstant` timers per instant, each instant armed from the previous one. */
async function baselineLateness(instants: readonly number[], perInstant: number): Promise<number[]> {
  const lateness: number[] = [];
  for (const instant of instants) {
    await Promise.all(
      Array.from(
        { length: perInstant },
        () =>
          new Promise<void>((resolve) => {
            setTimeout(
              () => {
                lateness.push(Date.now() - instant);
                resolve();
              },
              Math.max(0, instant - Date.now()),
            );
          }),
      ),
    );
  }
  return lateness;
}

export async function measureSchedulerPrecision(options: {
  jobs: number;
  minutes: number;
  job: string;
  /** PostgreSQL server for a throw-away records database; default: npm start's embedded PGlite. */
  postgresUrl?: string;
  log?: (line: string) => void;
}): Promise<SchedulerPrecisionResult> {
  const log = options.log ?? (() => undefined);
  const root = mkdtempSync(join(tmpdir(), 'sfn-batch-precision-'));
  const startedAt = new Date();
  const loadBefore = loadavg();
  const { dir, names } = writeSchedules(root, options.job, options.jobs);
  const throwaway: ThrowawayDatabase | undefined = options.postgresUrl
    ? await createThrowawayDatabase(options.postgresUrl, 'sfn_precision')
    : undefined;
  const runtime = startRuntime(dir, join(root, 'data'), throwaway?.url);
  try {
    const endpoint = await Promise.race([
      runtime.endpoint,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`npm start not ready after 180 s:\n${runtime.output()}`)), 180_000),
      ),
    ]);
    // Jobs seen for the first time may fire a run due within the last minute at start: measure
    // from the first instant at least 5 s after the scheduler is up.
    const first = Math.ceil((Date.now() + 5_000) / MINUTE) * MINUTE;
    const instants = Array.from({ length: options.minutes }, (_, index) => first + index * MINUTE);
    log(
      `npm start ready at ${endpoint}; ${names.length} jobs × ${instants.length} instants from ${new Date(first).toISOString()}`,
    );
    const baseline = await baselineLateness(instants, names.length);
    const sfn = new SFNClient({
      endpoint,
      region: 'ap-northeast-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const machines = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
    const executionsOf = async (stateMachineArn: string) => {
      const executions: ExecutionListItem[] = [];
      for await (const page of paginateListExecutions({ client: sfn }, { stateMachineArn, maxResults: 1000 }))
        executions.push(...(page.executions ?? []));
      return executions;
    };
    const arns = names.map((name) => {
      const arn = machines.find((candidate) => candidate.name?.endsWith(`-${name}`))?.stateMachineArn;
      if (!arn) throw new Error(`npm start lists no state machine for ${name}`);
      return arn;
    });
    // Wait (at most 30 s) until the last instant's starts have landed: every job and instant
    // has its deterministic execution name.
    const expected = names.flatMap((name) =>
      instants.map((instant) => scheduledExecutionName(name, new Date(instant))),
    );
    const settleBy = Date.now() + 30_000;
    for (;;) {
      const started = new Set((await Promise.all(arns.map(executionsOf))).flat().map((entry) => entry.name));
      if (expected.every((name) => started.has(name)) || Date.now() > settleBy) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }

    const lateness: number[] = [];
    const missed: string[] = [];
    const doubled: string[] = [];
    for (const [index, name] of names.entries()) {
      const executions = await executionsOf(arns[index] as string);
      const byInstant = new Map<number, Date[]>();
      for (const execution of executions) {
        const described = await sfn.send(
          new DescribeExecutionCommand({ executionArn: execution.executionArn }),
        );
        const input = JSON.parse(described.input ?? '{}') as { scheduledTime?: string };
        const scheduled = Date.parse(input.scheduledTime ?? '');
        if (!Number.isFinite(scheduled) || !described.startDate) continue;
        byInstant.set(scheduled, [...(byInstant.get(scheduled) ?? []), described.startDate]);
      }
      for (const instant of instants) {
        const starts = byInstant.get(instant) ?? [];
        const label = `${name} at ${new Date(instant).toISOString()}`;
        if (starts.length === 0) missed.push(label);
        if (starts.length > 1) doubled.push(label);
        for (const start of starts) lateness.push(start.getTime() - instant);
      }
    }
    return {
      database: options.postgresUrl ? 'postgres' : 'pglite',
      jobs: names.length,
      minutes: instants.length,
      job: options.job,
      instants: instants.map((instant) => new Date(instant).toISOString()),
      scheduler: summarize(lateness),
      baseline: summarize(baseline),
      missed,
      doubled,
      loadAverage: { before: loadBefore, after: loadavg() },
      startedAt: startedAt.toISOString(),
      seconds: (Date.now() - startedAt.getTime()) / 1000,
    };
  } finally {
    runtime.child.kill('SIGINT');
    await new Promise((resolve) => {
      if (runtime.child.exitCode !== null) resolve(undefined);
      runtime.child.once('exit', resolve);
      setTimeout(() => {
        runtime.child.kill('SIGKILL');
        resolve(undefined);
      }, 30_000).unref();
    });
    rmSync(root, { recursive: true, force: true });
    await throwaway?.drop();
  }
}

const format = (ms: number) => `${ms.toLocaleString('en', { maximumFractionDigits: 0 })} ms`;

/** Markdown table and notes of a result. */
export function formatSchedulerPrecision(result: SchedulerPrecisionResult): string {
  const row = (label: string, summary: LatenessSummary) =>
    `| ${label} | ${summary.count} | ${format(summary.p50Ms)} | ${format(summary.p90Ms)} | ${format(summary.p99Ms)} | ${format(summary.maxMs)} |`;
  return [
    '| lateness against the scheduled instant | fires | p50 | p90 | p99 | max |',
    '|---|---:|---:|---:|---:|---:|',
    row(
      `local scheduler → execution startDate (npm start on ${result.database === 'postgres' ? 'PostgreSQL' : 'embedded PGlite'}, ${result.jobs} copies of ${result.job} every minute)`,
      result.scheduler,
    ),
    row('bare setTimeout in the bench process to the same instants (baseline)', result.baseline),
    '',
    `- p99 ratio scheduler / baseline: ${(result.scheduler.p99Ms / result.baseline.p99Ms).toFixed(1)}; goal p99 < 500 ms: ${result.scheduler.p99Ms < 500 ? 'met' : 'NOT met'}`,
    `- instants: ${result.instants[0]} … ${result.instants.at(-1)} (${result.minutes}); missed: ${result.missed.length === 0 ? 'none' : result.missed.join(', ')}; doubled: ${result.doubled.length === 0 ? 'none' : result.doubled.join(', ')}`,
    `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; load average ${result.loadAverage.before.map((n) => n.toFixed(1)).join('/')} before, ${result.loadAverage.after.map((n) => n.toFixed(1)).join('/')} after; started ${result.startedAt}, took ${result.seconds.toFixed(0)} s`,
  ].join('\n');
}

/**
 * Full size by default: 108 fires, 12 at each instant (the catalogue's busiest instant, the
 * month start, has 6 jobs); `quick` (6 fires) is a smoke test.
 */
export const PRECISION_SIZES = {
  full: { jobs: 12, minutes: 9 },
  quick: { jobs: 6, minutes: 1 },
} as const;

/** The `scheduler-precision` suite of `npm run bench`; returns its section of the report. */
export async function schedulerPrecisionSuite(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<string> {
  const size = options.quick ? PRECISION_SIZES.quick : PRECISION_SIZES.full;
  const result = await measureSchedulerPrecision({ ...size, job: 'expire-share-links', log: options.log });
  if (result.missed.length > 0 || result.doubled.length > 0) process.exitCode = 1;
  return `## scheduler precision (${result.scheduler.count} fires)\n\n${formatSchedulerPrecision(result)}`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      jobs: { type: 'string', default: String(PRECISION_SIZES.full.jobs) },
      minutes: { type: 'string', default: String(PRECISION_SIZES.full.minutes) },
      job: { type: 'string', default: 'expire-share-links' },
      database: { type: 'string', default: 'pglite' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.database !== 'pglite' && values.database !== 'postgres') {
    console.error(
      `--database must be pglite (npm start's default) or postgres (needs DATABASE_URL), got "${values.database}"`,
    );
    process.exit(2);
  }
  const postgresUrl = values.database === 'postgres' ? process.env.DATABASE_URL : undefined;
  if (values.database === 'postgres' && !postgresUrl) {
    console.error('--database postgres needs DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/test');
    process.exit(2);
  }
  const jobs = Number(values.jobs);
  const minutes = Number(values.minutes);
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 99 || !Number.isInteger(minutes) || minutes < 1) {
    console.error('--jobs must be a whole number from 1 to 99 and --minutes a whole number of at least 1');
    process.exit(2);
  }
  const result = await measureSchedulerPrecision({
    jobs,
    minutes,
    job: values.job,
    ...(postgresUrl ? { postgresUrl } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(values.json ? JSON.stringify(result) : formatSchedulerPrecision(result));
  if (result.missed.length > 0 || result.doubled.length > 0) process.exitCode = 1;
}
