/**
 * The month-start burst that the month-start-burst and provisioning-storm scenarios share: a real
 * `npm start` child whose scheduler clock starts a few seconds before the 1st, 00:00 Asia/Tokyo,
 * on a demo database sized by SFN_BATCH_SEED_RECORDS / SFN_BATCH_SEED_TEMPLATES, and the readers
 * the checks need (executions and their histories, task logs, the database, the xlsx files).
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { type Database, openDatabase } from '../lib/db/index.ts';
import type { JobSpec } from '../lib/schedule/job-spec.ts';
import { loadScheduleCatalogue, REPO_ROOT } from '../lib/schedule/load.ts';
import { plannedRuns } from '../lib/schedule/runs.ts';
import { scheduledExecutionName } from '../local/scheduler.ts';
import { type OutputProcess, startNpmStart } from '../test/support/processes.ts';
import type { ScenarioSize } from './scenario.ts';

/** The instant of the burst: the 1st, 00:00 in Tokyo, the month start of the catalogue's monthly jobs. */
export const MONTH_START = new Date('2026-12-01T00:00:00+09:00');
/** The month the monthly export covers at MONTH_START (exportPeriod: the previous calendar month). */
export const EXPORTED_MONTH = '2026-11';
/** The scheduler's clock starts this long before MONTH_START, so the burst comes after start-up. */
const LEAD_MS = 5000;

export interface BurstSize {
  /** SFN_BATCH_SEED_RECORDS: records over the 3 months before the clock. */
  records: number;
  /** SFN_BATCH_SEED_TEMPLATES: at least this many checklist templates. */
  templates: number;
  /** How long npm start may take to serve, seeding included (generous: CI machines are shared). */
  startupTimeoutMs: number;
  /** How long the executions may take once npm start serves. */
  runTimeoutMs: number;
}

/**
 * Quick: what npm test can afford. Full: at least 300,000 records in the exported month, and
 * under its enabled exports (the seed spreads records over the 3 months before the clock, about a
 * quarter of them in November, and about a tenth of the export settings are disabled)
 * and at least 200 templates with a monthly export.
 */
export const BURST_SIZES: Record<ScenarioSize, BurstSize> = {
  quick: { records: 5000, templates: 20, startupTimeoutMs: 300_000, runTimeoutMs: 240_000 },
  // 1,400,000 gave 329,135 records in November but only 295,008 under enabled exports; 1,500,000 clears 300,000 for both.
  full: { records: 1_500_000, templates: 246, startupTimeoutMs: 3 * 3600_000, runTimeoutMs: 3 * 3600_000 },
};

/** Jobs of the catalogue whose schedule fires at `instant` (the cron library that `batchctl next` uses). */
export async function jobsDueAt(instant: Date): Promise<JobSpec[]> {
  const { jobs, problems } = await loadScheduleCatalogue();
  if (problems.length > 0)
    throw new Error(`schedules/ has problems: ${problems.map((p) => p.message).join('; ')}`);
  return jobs.filter((job) => {
    if (!job.enabled) return false;
    const { runs } = plannedRuns(job, new Date(instant.getTime() - 1000), 1, undefined);
    return runs[0]?.getTime() === instant.getTime();
  });
}

export interface Burst {
  dataDir: string;
  runtime: OutputProcess;
  endpoint: string;
  client: SFNClient;
  /** The jobs due at MONTH_START and the name of each one's scheduled execution. */
  due: Array<{ job: JobSpec; name: string; arn: string }>;
  /** Seconds from the clock's start to the start of the last due execution. */
  close(): Promise<number | null>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A seeded database folder for `size`, made once by `npm start` itself (the env seed, at the
 * burst's clock) and copied for each scenario: a full-size seed takes many minutes. The cache
 * key covers the seed's and the migrations' sources, so a change to either seeds again.
 */
function seededDatabase(size: BurstSize, log: (line: string) => void): Promise<string> | undefined {
  if (size.records < 100_000) return undefined;
  const sources = ['lib/seed', 'lib/db/migrations'].flatMap((dir) =>
    readdirSync(path.join(REPO_ROOT, dir))
      .sort()
      .map((file) => readFileSync(path.join(REPO_ROOT, dir, file))),
  );
  const hash = createHash('sha256');
  for (const source of sources) hash.update(source);
  hash.update(`${size.records}/${size.templates}/${clockStart().toISOString()}`);
  const cacheDir = path.join(tmpdir(), 'sfn-batch-soak-cache', hash.digest('hex').slice(0, 16));
  const complete = path.join(cacheDir, 'seeded');
  return (async () => {
    if (existsSync(complete)) {
      log(`reusing the database seeded earlier in ${cacheDir} (delete that folder to seed again)`);
      return path.join(cacheDir, 'pglite');
    }
    rmSync(cacheDir, { recursive: true, force: true });
    mkdirSync(cacheDir, { recursive: true });
    log(
      `seeding ${size.records} records / ${size.templates} templates once into ${cacheDir} (npm start's seed)`,
    );
    const seeding = startNpmStart(
      cacheDir,
      ['--no-schedule', '--port', '0', '--at', clockStart().toISOString()],
      {
        SFN_BATCH_SEED_RECORDS: String(size.records),
        SFN_BATCH_SEED_TEMPLATES: String(size.templates),
      },
    );
    try {
      await seeding.waitForOutput('Run a job now', size.startupTimeoutMs);
    } finally {
      if (seeding.child.exitCode === null) seeding.child.kill('SIGINT');
      await seeding.exit;
    }
    const seeded = /database: seeded [^\n]*/.exec(seeding.output)?.[0];
    log(seeded ?? 'seeded');
    writeFileSync(complete, `${seeded ?? ''}\n`);
    return path.join(cacheDir, 'pglite');
  })();
}

const clockStart = () => new Date(MONTH_START.getTime() - LEAD_MS);

/**
 * Starts `npm start` at the burst's clock in a fresh data folder, with `variables` added to its
 * environment, and resolves once it serves. The due executions start LEAD_MS later.
 */
export async function startBurst(
  size: BurstSize,
  log: (line: string) => void,
  variables: Record<string, string> = {},
): Promise<Burst> {
  const due = await jobsDueAt(MONTH_START);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-soak-'));
  const seeded = await seededDatabase(size, log);
  if (seeded !== undefined) cpSync(seeded, path.join(dataDir, 'pglite'), { recursive: true });
  const runtime = startNpmStart(dataDir, ['--port', '0', '--at', clockStart().toISOString()], {
    SFN_BATCH_SEED_RECORDS: String(size.records),
    SFN_BATCH_SEED_TEMPLATES: String(size.templates),
    ...variables,
  });
  const close = async () => {
    if (runtime.child.exitCode === null) runtime.child.kill('SIGINT');
    const code = await runtime.exit;
    return code;
  };
  try {
    await runtime.waitForOutput('Run a job now', size.startupTimeoutMs);
  } catch (error) {
    await close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const endpoint = /Step Functions API {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(runtime.output)?.[1] ?? '';
  const client = new SFNClient({
    endpoint,
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'soak', secretAccessKey: 'soak' },
  });
  const arnOf = (job: string, name: string) =>
    `arn:aws:states:ap-northeast-1:000000000000:execution:sfn-batch-local-${job}:${name}`;
  return {
    dataDir,
    runtime,
    endpoint,
    client,
    due: due.map((job) => {
      const name = scheduledExecutionName(job.name, MONTH_START);
      return { job, name, arn: arnOf(job.name, name) };
    }),
    close,
  };
}

/**
 * Waits until each execution exists and has left RUNNING; throws naming the ones still
 * missing or running when `timeoutMs` passes or npm start exits.
 */
export async function waitForEnd(
  burst: Burst,
  arns: string[],
  timeoutMs: number,
): Promise<Map<string, DescribeExecutionCommandOutput>> {
  const ended = new Map<string, DescribeExecutionCommandOutput>();
  const deadline = Date.now() + timeoutMs;
  while (ended.size < arns.length) {
    for (const arn of arns) {
      if (ended.has(arn)) continue;
      try {
        const described = await burst.client.send(new DescribeExecutionCommand({ executionArn: arn }));
        if (described.status !== 'RUNNING') ended.set(arn, described);
      } catch (error) {
        if (!(error instanceof ExecutionDoesNotExist)) throw error;
      }
    }
    if (ended.size === arns.length) break;
    const pending = arns.filter((arn) => !ended.has(arn)).map((arn) => arn.split(':').pop());
    if (burst.runtime.child.exitCode !== null)
      throw new Error(
        `npm start exited while ${pending.join(', ')} had not ended:\n${burst.runtime.output.slice(-4000)}`,
      );
    if (Date.now() > deadline)
      throw new Error(`${pending.join(', ')} had not ended within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(500);
  }
  return ended;
}

/** Every history event of an execution, all pages. */
export async function executionHistory(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

export interface LoggedTask {
  taskArn: string;
  startedAt: string | null;
  stopCode: string | null;
  lines: Array<{ text: string }>;
}

/** The runtime's record of an execution's tasks and their log lines (GET /_local/logs). */
export async function loggedTasks(endpoint: string, executionArn: string): Promise<LoggedTask[]> {
  const response = await fetch(`${endpoint}/_local/logs?executionArn=${encodeURIComponent(executionArn)}`);
  if (!response.ok) throw new Error(`/_local/logs for ${executionArn}: HTTP ${response.status}`);
  return ((await response.json()) as { tasks: LoggedTask[] }).tasks;
}

/** Object keys of the JSON log lines with `message`, over these tasks (a key twice if logged twice). */
export function loggedObjectKeys(tasks: LoggedTask[], message: string): string[] {
  return tasks.flatMap((task) =>
    task.lines.flatMap((line) => {
      try {
        const parsed = JSON.parse(line.text) as { message?: string; objectKey?: string };
        return parsed.message === message && parsed.objectKey !== undefined ? [parsed.objectKey] : [];
      } catch {
        return [];
      }
    }),
  );
}

export interface TargetRow {
  object_key: string;
  status: string;
  row_count: number | null;
  /** Submitted, not deleted records of the template in the period: what the file must hold. */
  records: number;
}

/** Opens the embedded database of a stopped runtime's data folder. */
export function openBurstDatabase(dataDir: string): Promise<Database> {
  return openDatabase({ dataDir: path.join(dataDir, 'pglite') });
}

/** The monthly export's targets of EXPORTED_MONTH with the database's own record count for each. */
export async function monthTargets(db: Database): Promise<TargetRow[]> {
  const { rows } = await db.query<
    Omit<TargetRow, 'records'> & { records: string; [column: string]: unknown }
  >(
    `SELECT t.object_key, t.status, t.row_count,
            (SELECT count(*) FROM records r
              WHERE r.template_id = t.template_id AND r.status = 'submitted' AND r.deleted_at IS NULL
                AND r.submitted_at >= t.period_start AND r.submitted_at < t.period_end) AS records
       FROM export_targets t WHERE t.period_label = $1 ORDER BY t.object_key`,
    [EXPORTED_MONTH],
  );
  return rows.map((row) => ({ ...row, records: Number(row.records) }));
}

/** The xlsx files at final keys of EXPORTED_MONTH, as object keys (temporary files are hidden dot files). */
export function exportedFiles(dataDir: string): string[] {
  const root = path.join(dataDir, 'objects', 'exports');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true })
    .map(String)
    .filter((entry) => path.basename(entry) === `${EXPORTED_MONTH}.xlsx`)
    .map((entry) => `exports/${entry}`)
    .sort();
}

/** Groups history events by Map iteration (index) by following previousEventId; -1 for the execution's own thread. */
export function eventsByIteration(events: HistoryEvent[]): Map<number, HistoryEvent[]> {
  const byId = new Map(events.map((event) => [event.id ?? 0, event]));
  const iterationOf = new Map<number, number>();
  const find = (event: HistoryEvent): number => {
    const id = event.id ?? 0;
    const known = iterationOf.get(id);
    if (known !== undefined) return known;
    let result = -1;
    if (event.type === 'MapIterationStarted') result = event.mapIterationStartedEventDetails?.index ?? -1;
    else {
      const previous = byId.get(event.previousEventId ?? 0);
      if (
        previous !== undefined &&
        previous.type !== 'MapIterationSucceeded' &&
        previous.type !== 'MapIterationFailed'
      )
        result = find(previous);
    }
    iterationOf.set(id, result);
    return result;
  };
  const groups = new Map<number, HistoryEvent[]>();
  for (const event of [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
    const type = event.type ?? '';
    const iteration = type.startsWith('MapIteration') || type.startsWith('MapState') ? -1 : find(event);
    const group = groups.get(iteration) ?? [];
    group.push(event);
    groups.set(iteration, group);
  }
  return groups;
}

/** Removes a burst's data folder (after its runtime has stopped). */
export function removeBurst(burst: Burst): void {
  rmSync(burst.dataDir, { recursive: true, force: true });
}
