/*
 * One database of the month-start makespan bench (bench/makespan.ts): this process is the
 * runtime process of `npm start`. It seeds a realistic month into a throw-away database
 * (PostgreSQL: a database created on DATABASE_URL's server and dropped at the end; PGlite:
 * on disk in the work folder, opened, seeded and served over the wire by npm start's own
 * database process, local/database/, so the runtime here is as small as npm start's),
 * starts the real local runtime on the real xlsx-export job (synthesised from
 * statemachines/xlsx-export.asl.yml) once per Map MaxConcurrency, and runs the export end to
 * end through @aws-sdk/client-sfn: StartExecution → SUCCEEDED. Between runs the month's
 * export targets are deleted so every run converts the whole month again. Runs alternate
 * between the concurrencies (and swap their order every round) so load drifts hit both.
 *   node bench/makespan-child.ts <postgres|pglite-wire> <work dir> <options as JSON>
 * Prints one JSON line (MakespanChildResult) last.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  type HistoryEvent,
  paginateGetExecutionHistory,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type Database, migrate, openDatabase } from '../lib/db/index.ts';
import type { JobSpec } from '../lib/schedule/job-spec.ts';
import { loadScheduleCatalogue } from '../lib/schedule/load.ts';
import { seedDemoData } from '../lib/seed/index.ts';
import { type DatabaseProcess, startDatabaseProcess } from '../local/database/start-database-process.ts';
import { startLocalRuntime } from '../local/runtime.ts';
import { createThrowawayDatabase, type ThrowawayDatabase } from './throwaway-database.ts';

export type MakespanDatabase = 'postgres' | 'pglite-wire';

export interface MakespanChildOptions {
  /** Demo records to seed (spread over `months` months before `seedNow`). */
  records: number;
  months: number;
  /** The job's recordsPerBatch for the bench (the production value packs a bench month into one batch). */
  recordsPerBatch: number;
  concurrencies: number[];
  rounds: number;
  /** The schedule file whose job is measured (default: export-monthly-records). */
  job: string;
  /** Admin URL of the PostgreSQL server (postgres only). */
  postgresUrl?: string;
}

export interface MakespanRun {
  concurrency: number;
  round: number;
  /** StartExecution sent → DescribeExecution first said SUCCEEDED (client side, polled every 250 ms). */
  wallSeconds: number;
  /** The execution's own startDate → stopDate. */
  executionSeconds: number;
  /** MapStateEntered → MapStateExited of "Convert batches". */
  mapSeconds: number;
  /** Execution start → Map entered (guard + enqueue Lambdas). */
  beforeMapSeconds: number;
  /** Sum over the converter tasks of TaskScheduled → TaskSucceeded (process start included). */
  taskSecondsSum: number;
  /** taskSecondsSum / mapSeconds: how many converter tasks ran at once on average. */
  meanTasksRunning: number;
  /** CPU seconds of the converter processes (reaped children of this process, /proc/self/stat). */
  converterCpuSeconds: number;
  /** CPU seconds of this process: the runtime and the in-process Lambdas. */
  runtimeCpuSeconds: number;
  /** CPU seconds of the database: the PostgreSQL backends of the bench database, or the PGlite database process. */
  databaseCpuSeconds: number;
  batches: number;
  targets: number;
  rows: number;
  files: number;
  loadAverage1m: number;
}

export interface MakespanChildResult {
  database: MakespanDatabase;
  seeded: {
    records: number;
    templates: number;
    monthlyTargets: number;
    monthRecords: number;
    seconds: number;
  };
  runs: MakespanRun[];
}

const SCHEDULED_TIME = '2026-11-01T00:00:00+09:00';
// The seed's clock: records up to here, so the month before SCHEDULED_TIME (October, Tokyo) is complete.
const SEED_NOW = new Date('2026-11-01T00:00:00Z');
const MONTH = { start: '2026-09-30T15:00:00Z', end: '2026-10-31T15:00:00Z' };

const [kindText, workRoot, optionsText] = process.argv.slice(2);
if ((kindText !== 'postgres' && kindText !== 'pglite-wire') || !workRoot || !optionsText) {
  console.error('usage: node bench/makespan-child.ts <postgres|pglite-wire> <work dir> <options JSON>');
  process.exit(2);
}
const kind: MakespanDatabase = kindText;
const options = JSON.parse(optionsText) as MakespanChildOptions;
const workDir = mkdtempSync(join(workRoot, `makespan-${kind}-`));
const dataDir = join(workDir, 'data');
mkdirSync(dataDir);
const log = (line: string) => process.stderr.write(`[makespan ${kind}] ${line}\n`);

/** CPU seconds of this process's reaped children (cutime + cstime of /proc/self/stat). */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the ")" that closes the command name; cutime and cstime are fields 16 and 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]);
  return ticks / 100;
}

/**
 * CPU seconds the PostgreSQL backends serving one database use during a run, found by their
 * process title ("postgres: … <user> <database> …"). Sampled every 200 ms; a backend alive when
 * the run starts counts from its CPU time then (the seeding connection has used a lot before),
 * a backend that exits counts up to its last sample (< 200 ms lost).
 */
class BackendCpuSampler {
  /** CPU seconds per backend (pid and start time, so a reused pid is another process). */
  private readonly seen = new Map<string, number>();
  private readonly atStart = new Map<string, number>();
  private readonly others = new Set<string>();
  private starting = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** CPU seconds this sampler itself used in this process (taken out of the runtime's figure). */
  ownCpuSeconds = 0;
  private readonly database: string;
  constructor(database: string) {
    this.database = database;
  }
  start(): void {
    this.seen.clear();
    this.atStart.clear();
    this.ownCpuSeconds = 0;
    this.starting = true;
    this.sample();
    this.starting = false;
    this.timer = setInterval(() => this.sample(), 200);
  }
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    let total = 0;
    for (const [backend, seconds] of this.seen) total += seconds - (this.atStart.get(backend) ?? 0);
    return total;
  }
  private sample(): void {
    const before = process.cpuUsage();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // Fields after the ")" that closes the command name: utime, stime are fields 14 and 15, starttime 22.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const backend = `${entry}:${fields[19]}`;
        if (this.others.has(backend)) continue;
        if (!this.seen.has(backend)) {
          const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
          // Not PostgreSQL: never again. A backend shows its database only once it has one: look again.
          if (!title.startsWith('postgres')) this.others.add(backend);
          if (!title.includes(` ${this.database} `)) continue;
        }
        const seconds = (Number(fields[11]) + Number(fields[12])) / 100;
        if (this.starting) this.atStart.set(backend, seconds);
        this.seen.set(backend, seconds);
      } catch {
        // The process ended between the listing and the read.
      }
    }
    const used = process.cpuUsage(before);
    this.ownCpuSeconds += (used.user + used.system) / 1e6;
  }
}

/** CPU seconds (utime + stime) a live process has used so far, from /proc/<pid>/stat. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

// PostgreSQL: the bench database; PGlite: the URL its database process serves. The bench's
// own queries (counts, deleting the month's targets between runs) go over the wire too.
let url = '';
let db: Database;
let throwaway: ThrowawayDatabase | undefined;
let databaseProcess: DatabaseProcess | undefined;
const seedStarted = performance.now();
if (kind === 'postgres') {
  if (!options.postgresUrl) throw new Error('the postgres case needs postgresUrl (DATABASE_URL)');
  throwaway = await createThrowawayDatabase(options.postgresUrl, 'sfn_makespan');
  url = throwaway.url;
  db = await openDatabase({ url });
} else {
  // Its lines ("database: seeded …") go to stderr: this process's stdout carries the result only.
  databaseProcess = await startDatabaseProcess({
    pgliteDir: join(dataDir, 'pglite'),
    seed: { records: options.records, months: options.months, now: SEED_NOW },
    stdout: 'stderr',
  });
  url = databaseProcess.url;
  db = await openDatabase({ url });
}
const closeDatabaseProcess = async () => {
  await databaseProcess?.close();
  databaseProcess = undefined;
};

try {
  const summary =
    kind === 'postgres'
      ? await (async () => {
          await migrate(db);
          return seedDemoData(db, { records: options.records, months: options.months, now: SEED_NOW });
        })()
      : await seededCounts(db);
  // Bulk-loaded tables: vacuum and analyze now, so autovacuum does not run during the first measured run.
  await db.query('VACUUM ANALYZE');
  const month = (
    await db.query<{ targets: string; records: string }>(
      `SELECT count(*) AS targets, coalesce(sum(n), 0) AS records FROM (
         SELECT (SELECT count(*) FROM records r
                  WHERE r.template_id = s.template_id AND r.status = 'submitted' AND r.deleted_at IS NULL
                    AND r.submitted_at >= $1 AND r.submitted_at < $2) AS n
         FROM export_settings s
         JOIN workspaces w ON w.id = s.workspace_id AND w.deleted_at IS NULL
         JOIN form_templates t ON t.id = s.template_id AND t.deleted_at IS NULL
         WHERE s.frequency = 'monthly' AND s.enabled) due`,
      [MONTH.start, MONTH.end],
    )
  ).rows[0];
  const seeded = {
    records: summary.records,
    templates: summary.templates,
    monthlyTargets: Number(month?.targets ?? 0),
    monthRecords: Number(month?.records ?? 0),
    seconds: (performance.now() - seedStarted) / 1000,
  };
  log(
    `seeded ${seeded.records} records, ${seeded.templates} templates in ${seeded.seconds.toFixed(0)} s; October: ${seeded.monthlyTargets} targets, ${seeded.monthRecords} records`,
  );

  // The real job, with only the Map's MaxConcurrency (and the bench month's batch size) changed.
  const catalogue = await loadScheduleCatalogue();
  const job = catalogue.jobs.find((candidate) => candidate.name === options.job);
  if (!job?.export) throw new Error(`schedules/${options.job}.yml is not an xlsx-export job`);
  const baseExport = job.export;
  const variants = new Map<number, JobSpec>(
    options.concurrencies.map((concurrency) => [
      concurrency,
      {
        ...job,
        name: `${job.name}-c${concurrency}`,
        export: { ...baseExport, maxConcurrency: concurrency, recordsPerBatch: options.recordsPerBatch },
      },
    ]),
  );
  const shared = { DATABASE_URL: url, SFN_BATCH_DATA_DIR: dataDir };
  const runtime = await startLocalRuntime({
    jobs: [...variants.values()],
    dataDir,
    port: 0,
    stage: 'local',
    taskEnvironment: shared,
    lambdaEnvironment: { POWERTOOLS_LOG_LEVEL: 'WARN', ...shared },
    notifyLambda: false,
    warn: (message) => log(`runtime: ${message}`),
  });
  const sfn = new SFNClient({
    endpoint: runtime.endpoint,
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

  const history = async (executionArn: string): Promise<HistoryEvent[]> => {
    const events: HistoryEvent[] = [];
    for await (const page of paginateGetExecutionHistory({ client: sfn }, { executionArn, maxResults: 1000 }))
      events.push(...(page.events ?? []));
    return events;
  };

  const backends = kind === 'postgres' ? new BackendCpuSampler(throwaway?.name ?? '') : undefined;
  const runs: MakespanRun[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const order = round % 2 === 1 ? options.concurrencies : [...options.concurrencies].reverse();
    for (const concurrency of order) {
      const variant = variants.get(concurrency) as JobSpec;
      await db.query('DELETE FROM export_targets');
      await db.query('DELETE FROM export_runs');
      rmSync(join(dataDir, 'objects', 'exports'), { recursive: true, force: true });
      backends?.start();
      const databasePid = databaseProcess?.pid;
      const cpuBefore = {
        converters: childrenCpuSeconds(),
        runtime: ownCpuSeconds(),
        database: databasePid === undefined ? 0 : processCpuSeconds(databasePid),
      };
      const sent = performance.now();
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: runtime.stateMachineArn(variant.name),
          name: `makespan-r${round}-c${concurrency}`,
          input: JSON.stringify({ scheduledTime: SCHEDULED_TIME, trigger: 'manual' }),
        }),
      );
      if (!executionArn) throw new Error('StartExecution returned no executionArn');
      let described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      while (described.status === 'RUNNING') {
        await new Promise((resolve) => setTimeout(resolve, 250));
        described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      }
      const wallSeconds = (performance.now() - sent) / 1000;
      const cpu = { converters: childrenCpuSeconds(), runtime: ownCpuSeconds() };
      const databaseCpuSeconds =
        backends?.stop() ??
        (databasePid === undefined ? 0 : processCpuSeconds(databasePid) - cpuBefore.database);
      if (described.status !== 'SUCCEEDED') {
        throw new Error(
          `${executionArn} ended ${described.status}: ${described.error ?? ''} ${described.cause ?? ''}`,
        );
      }
      const events = await history(executionArn);
      const at = (event: HistoryEvent | undefined) => event?.timestamp?.getTime() ?? Number.NaN;
      const mapEntered = events.find((event) => event.type === 'MapStateEntered');
      const mapExited = events.find((event) => event.type === 'MapStateExited');
      // Each converter task: TaskScheduled → … → TaskSucceeded, linked through previousEventId.
      const byId = new Map(events.map((event) => [event.id, event]));
      let taskSeconds = 0;
      for (const event of events) {
        if (event.type !== 'TaskSucceeded' || event.taskSucceededEventDetails?.resourceType !== 'ecs')
          continue;
        let previous = byId.get(event.previousEventId);
        while (previous && previous.type !== 'TaskScheduled') previous = byId.get(previous.previousEventId);
        if (previous) taskSeconds += (at(event) - at(previous)) / 1000;
      }
      const output = JSON.parse(described.output ?? '{}') as {
        targetCount?: number;
        convertedBatches?: number;
        files?: { count?: number };
      };
      const done = (
        await db.query<{ targets: string; rows: string }>(
          `SELECT count(*) AS targets, coalesce(sum(row_count), 0) AS rows FROM export_targets
            WHERE period_label = '2026-10' AND status = 'done'`,
        )
      ).rows[0];
      const files = readdirSync(join(dataDir, 'objects', 'exports'), { recursive: true }).filter((file) =>
        String(file).endsWith('.xlsx'),
      ).length;
      const run: MakespanRun = {
        concurrency,
        round,
        wallSeconds,
        executionSeconds:
          ((described.stopDate?.getTime() ?? Number.NaN) - (described.startDate?.getTime() ?? Number.NaN)) /
          1000,
        mapSeconds: (at(mapExited) - at(mapEntered)) / 1000,
        beforeMapSeconds: (at(mapEntered) - (described.startDate?.getTime() ?? Number.NaN)) / 1000,
        taskSecondsSum: taskSeconds,
        meanTasksRunning: taskSeconds / ((at(mapExited) - at(mapEntered)) / 1000),
        converterCpuSeconds: cpu.converters - cpuBefore.converters,
        runtimeCpuSeconds: cpu.runtime - cpuBefore.runtime - (backends?.ownCpuSeconds ?? 0),
        databaseCpuSeconds,
        batches: output.convertedBatches ?? 0,
        targets: Number(done?.targets ?? 0),
        rows: Number(done?.rows ?? 0),
        files,
        loadAverage1m: loadavg()[0] ?? 0,
      };
      // Every target converted exactly once into one file, with every record of the month.
      if (
        run.targets !== seeded.monthlyTargets ||
        run.rows !== seeded.monthRecords ||
        run.files !== seeded.monthlyTargets ||
        output.targetCount !== seeded.monthlyTargets
      ) {
        throw new Error(
          `run ${round} at MaxConcurrency ${concurrency} converted ${run.targets} targets / ${run.rows} rows into ${run.files} files; the month has ${seeded.monthlyTargets} targets / ${seeded.monthRecords} records`,
        );
      }
      log(
        `round ${round} MaxConcurrency ${concurrency}: ${run.wallSeconds.toFixed(2)} s (map ${run.mapSeconds.toFixed(2)} s, ${run.batches} batches, ${run.meanTasksRunning.toFixed(2)} tasks at once, converters ${run.converterCpuSeconds.toFixed(1)} CPU s, runtime ${run.runtimeCpuSeconds.toFixed(1)} CPU s, database ${run.databaseCpuSeconds.toFixed(1)} CPU s), load ${run.loadAverage1m.toFixed(1)}`,
      );
      runs.push(run);
    }
  }
  await runtime.close();
  const result: MakespanChildResult = { database: kind, seeded, runs };
  await db.close();
  await closeDatabaseProcess();
  await throwaway?.drop();
  rmSync(workDir, { recursive: true, force: true });
  console.log(JSON.stringify(result));
} catch (error) {
  await db.close().catch(() => undefined);
  await closeDatabaseProcess().catch(() => undefined);
  await throwaway?.drop().catch(() => undefined);
  rmSync(workDir, { recursive: true, force: true });
  throw error;
}

/** What the database process seeded (it printed the same figures to stderr). */
async function seededCounts(database: Database): Promise<{ records: number; templates: number }> {
  const counts = (
    await database.query<{ records: string; templates: string }>(
      'SELECT (SELECT count(*) FROM records) AS records, (SELECT count(*) FROM form_templates) AS templates',
    )
  ).rows[0];
  return { records: Number(counts?.records ?? 0), templates: Number(counts?.templates ?? 0) };
}
