/*
 * Month-start makespan of the monthly xlsx export, run locally end to end, at Map
 * MaxConcurrency 1 against 2 (this machine has 2 cores), on PostgreSQL and on the embedded
 * database (PGlite served over the wire, as `npm start` runs it).
 *
 *   node bench/makespan.ts [--records 220000] [--records-per-batch 10000] [--rounds 3]
 *                          [--databases postgres,pglite-wire] [--json]
 *   (postgres needs DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/test)
 *
 * Each database runs in its own child process (bench/makespan-child.ts), which seeds the
 * demo data of two months (October 2026 complete), starts the local runtime and runs the real
 * export job (schedules/export-monthly-records.yml, its Map MaxConcurrency set per run the way
 * its schedule file sets it) through StartExecution until SUCCEEDED. The figures: T1 and T2
 * (median execution time at MaxConcurrency 1 and 2), speed-up T1/T2 and scaling efficiency
 * speed-up/2, with the CPU seconds each part used, which say why the speed-up is what it is.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type {
  MakespanChildOptions,
  MakespanChildResult,
  MakespanDatabase,
  MakespanRun,
} from './makespan-child.ts';

export interface MakespanSummary {
  database: MakespanDatabase;
  seeded: MakespanChildResult['seeded'];
  /** Median execution seconds (startDate → stopDate) per MaxConcurrency. */
  medianSeconds: Record<number, number>;
  speedUp: number;
  efficiency: number;
  /** Speed-up of each round (its T1 / its T2), to show the spread. */
  roundSpeedUps: number[];
  runs: MakespanRun[];
}

export interface MakespanResult {
  summaries: MakespanSummary[];
  failures: string[];
  loadAverage: { before: number[]; after: number[] };
  startedAt: string;
  seconds: number;
}

const DATABASES: readonly MakespanDatabase[] = ['postgres', 'pglite-wire'];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

function runChild(
  database: MakespanDatabase,
  workDir: string,
  options: MakespanChildOptions,
  log: (line: string) => void,
): Promise<MakespanChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'makespan-child.ts'), database, workDir, JSON.stringify(options)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
    });
    child.stderr.on('data', (data: Buffer) => {
      const text = data.toString();
      stderr += text;
      for (const line of text.split('\n')) if (line.startsWith('[makespan')) log(line);
    });
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as MakespanChildResult);
      else reject(new Error(`${database}: exit ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

export function summarizeRuns(
  result: MakespanChildResult,
  concurrencies: readonly number[],
): MakespanSummary {
  const medianSeconds: Record<number, number> = {};
  for (const concurrency of concurrencies) {
    medianSeconds[concurrency] = median(
      result.runs.filter((run) => run.concurrency === concurrency).map((run) => run.executionSeconds),
    );
  }
  const [low, high] = [concurrencies[0] ?? 1, concurrencies.at(-1) ?? 2];
  const speedUp = (medianSeconds[low] ?? Number.NaN) / (medianSeconds[high] ?? Number.NaN);
  const rounds = [...new Set(result.runs.map((run) => run.round))];
  const roundSpeedUps = rounds.map((round) => {
    const of = (concurrency: number) =>
      result.runs.find((run) => run.round === round && run.concurrency === concurrency)?.executionSeconds ??
      Number.NaN;
    return of(low) / of(high);
  });
  return {
    database: result.database,
    seeded: result.seeded,
    medianSeconds,
    speedUp,
    efficiency: speedUp / (high / low),
    roundSpeedUps,
    runs: result.runs,
  };
}

export async function measureMakespan(options: {
  databases: readonly MakespanDatabase[];
  child: MakespanChildOptions;
  log?: (line: string) => void;
}): Promise<MakespanResult> {
  const log = options.log ?? (() => undefined);
  const workDir = mkdtempSync(join(tmpdir(), 'sfn-batch-makespan-'));
  const startedAt = new Date();
  const loadBefore = loadavg();
  const summaries: MakespanSummary[] = [];
  const failures: string[] = [];
  try {
    for (const database of options.databases) {
      try {
        const result = await runChild(database, workDir, options.child, log);
        summaries.push(summarizeRuns(result, options.child.concurrencies));
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return {
    summaries,
    failures,
    loadAverage: { before: loadBefore, after: loadavg() },
    startedAt: startedAt.toISOString(),
    seconds: (Date.now() - startedAt.getTime()) / 1000,
  };
}

const fixed = (value: number, digits = 1) =>
  value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Markdown table and notes of a result. */
export function formatMakespan(result: MakespanResult, concurrencies: readonly number[]): string {
  const [low, high] = [concurrencies[0] ?? 1, concurrencies.at(-1) ?? 2];
  const lines = [
    `| database | templates / targets / records in the month | batches | T${low} s | T${high} s | speed-up T${low}/T${high} | scaling efficiency | speed-up per round |`,
    '|---|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const summary of result.summaries) {
    const label = summary.database === 'postgres' ? 'PostgreSQL' : 'PGlite served over the wire (npm start)';
    lines.push(
      `| ${label} | ${summary.seeded.templates} / ${summary.seeded.monthlyTargets} / ${summary.seeded.monthRecords.toLocaleString('en')} | ${summary.runs[0]?.batches ?? 0} | ${fixed(summary.medianSeconds[low] ?? Number.NaN)} | ${fixed(summary.medianSeconds[high] ?? Number.NaN)} | **${fixed(summary.speedUp, 2)}** | ${fixed(summary.efficiency, 2)} | ${summary.roundSpeedUps.map((value) => fixed(value, 2)).join(', ')} |`,
    );
  }
  lines.push(
    '',
    '| database | MaxConcurrency | round | execution s | Map s | before Map s | tasks at once | converter CPU s | runtime CPU s | database CPU s | CPU s per execution s | load (1 min) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const summary of result.summaries) {
    for (const run of summary.runs) {
      const cpu = run.converterCpuSeconds + run.runtimeCpuSeconds + run.databaseCpuSeconds;
      lines.push(
        `| ${summary.database} | ${run.concurrency} | ${run.round} | ${fixed(run.executionSeconds)} | ${fixed(run.mapSeconds)} | ${fixed(run.beforeMapSeconds)} | ${fixed(run.meanTasksRunning, 2)} | ${fixed(run.converterCpuSeconds)} | ${fixed(run.runtimeCpuSeconds)} | ${fixed(run.databaseCpuSeconds)} | ${fixed(cpu / run.executionSeconds, 2)} | ${fixed(run.loadAverage1m)} |`,
      );
    }
  }
  lines.push('');
  for (const failure of result.failures) lines.push(`- FAILED: ${failure}`);
  lines.push(
    `- machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; load average ${result.loadAverage.before.map((n) => n.toFixed(1)).join('/')} before, ${result.loadAverage.after.map((n) => n.toFixed(1)).join('/')} after; started ${result.startedAt}, took ${result.seconds.toFixed(0)} s`,
  );
  return lines.join('\n');
}

/** Full size by default; `quick` is a smoke test of a few minutes whose figures mean little. */
export const MAKESPAN_SIZES = {
  full: { records: 220_000, months: 2, recordsPerBatch: 10_000, rounds: 3 },
  quick: { records: 20_000, months: 2, recordsPerBatch: 1_500, rounds: 1 },
} as const;

/**
 * The `makespan` suite of `npm run bench`: PostgreSQL when DATABASE_URL is set (a throw-away
 * database on that server) and PGlite over the wire; returns its section of the report.
 */
export async function makespanSuite(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<string> {
  const size = options.quick ? MAKESPAN_SIZES.quick : MAKESPAN_SIZES.full;
  const postgresUrl = process.env.DATABASE_URL;
  const concurrencies = [1, 2];
  const result = await measureMakespan({
    databases: postgresUrl ? DATABASES : ['pglite-wire'],
    child: {
      ...size,
      concurrencies,
      job: 'export-monthly-records',
      ...(postgresUrl ? { postgresUrl } : {}),
    },
    log: options.log,
  });
  if (result.failures.length > 0) process.exitCode = 1;
  const skipped = postgresUrl
    ? ''
    : '\n- PostgreSQL skipped: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)';
  return `## month-start makespan, MaxConcurrency 1 vs 2 (${size.records.toLocaleString('en')} demo records seeded, ${size.rounds} round${size.rounds === 1 ? '' : 's'})\n\n${formatMakespan(result, concurrencies)}${skipped}`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: String(MAKESPAN_SIZES.full.records) },
      months: { type: 'string', default: String(MAKESPAN_SIZES.full.months) },
      'records-per-batch': { type: 'string', default: String(MAKESPAN_SIZES.full.recordsPerBatch) },
      rounds: { type: 'string', default: String(MAKESPAN_SIZES.full.rounds) },
      databases: { type: 'string', default: DATABASES.join(',') },
      job: { type: 'string', default: 'export-monthly-records' },
      json: { type: 'boolean', default: false },
    },
  });
  const integer = (text: string, name: string, min: number) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) {
      console.error(`--${name} must be a whole number of at least ${min}, got "${text}"`);
      process.exit(2);
    }
    return value;
  };
  const databases = values.databases.split(',').filter((name) => name !== '');
  for (const name of databases) {
    if (!DATABASES.includes(name as MakespanDatabase)) {
      console.error(`--databases: unknown "${name}"; use a comma list of ${DATABASES.join(', ')}`);
      process.exit(2);
    }
  }
  const postgresUrl = process.env.DATABASE_URL;
  if (databases.includes('postgres') && !postgresUrl) {
    console.error(
      'the postgres case needs DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test), or --databases pglite-wire',
    );
    process.exit(2);
  }
  const concurrencies = [1, 2];
  const result = await measureMakespan({
    databases: databases as MakespanDatabase[],
    child: {
      records: integer(values.records, 'records', 1),
      months: integer(values.months, 'months', 2),
      recordsPerBatch: integer(values['records-per-batch'], 'records-per-batch', 1),
      concurrencies,
      rounds: integer(values.rounds, 'rounds', 1),
      job: values.job,
      ...(postgresUrl ? { postgresUrl } : {}),
    },
    log: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(values.json ? JSON.stringify(result) : formatMakespan(result, concurrencies));
  if (result.failures.length > 0) process.exitCode = 1;
}
