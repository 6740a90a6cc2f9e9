import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '#lib/db/index.ts';
import { migrate, openDatabase } from '#lib/db/index.ts';
import type { ObjectStorage } from '#lib/storage/index.ts';
import { openStorage } from '#lib/storage/index.ts';
import { seedWorld, type World } from './fixtures.ts';

/** Admin URL of the PostgreSQL the suites create their databases on; override with TEST_POSTGRES_URL. */
const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NODE = join(process.cwd(), 'node_modules', '.bin', 'node');
const MAIN = join(process.cwd(), 'containers', 'batch-jobs', 'main.ts');

export interface JobWorld {
  db: Database;
  /** DATABASE_URL of this suite's own database. */
  url: string;
  /** SFN_BATCH_DATA_DIR of this suite: local storage lives in `<dataDir>/objects`. */
  dataDir: string;
  storage: ObjectStorage;
  dispose(): Promise<void>;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, migrated PostgreSQL database and a temporary storage folder for one suite. Real
 * PostgreSQL because the jobs run as child processes: an in-process PGlite cannot be shared.
 */
export async function openJobWorld(): Promise<JobWorld> {
  const name = `sfn_jobs_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString() });
  await migrate(db);
  const dataDir = await mkdtemp(join(tmpdir(), 'sfn-jobs-'));
  return {
    db,
    url: url.toString(),
    dataDir,
    storage: openStorage({ rootDir: join(dataDir, 'objects') }),
    async dispose() {
      await db.close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface JobRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Parsed JSON log lines (stdout and stderr, in arrival order per stream). */
  logs: Array<Record<string, unknown>>;
}

export interface RunOptions {
  scheduledTime: string;
  params?: Record<string, unknown>;
  /** Raw SFN_BATCH_INPUT instead of the one built from scheduledTime/params. */
  rawInput?: string;
  env?: Record<string, string>;
  /** Called with each stdout log line while the job runs (e.g. to send SIGTERM mid-run). */
  onLog?: (line: Record<string, unknown>, child: { kill(signal: NodeJS.Signals): boolean }) => void;
}

/** Runs `node containers/batch-jobs/main.ts <argv...>` as a child process, as the local ECS would. */
export function runContainer(world: Pick<JobWorld, 'url' | 'dataDir'>, argv: string[], options: RunOptions) {
  const input =
    options.rawInput ??
    JSON.stringify({
      job: `${argv[0] ?? 'job'}-test`,
      executionArn: `arn:aws:states:ap-northeast-1:123456789012:execution:sfn-batch-${argv[0] ?? 'job'}:test-${randomBytes(3).toString('hex')}`,
      scheduledTime: options.scheduledTime,
      params: options.params ?? {},
    });
  const child = spawn(NODE, [MAIN, ...argv], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: world.url,
      SFN_BATCH_DATA_DIR: world.dataDir,
      SFN_BATCH_INPUT: input,
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise<JobRun>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const logs: Array<Record<string, unknown>> = [];
    // Powertools writes WARN/ERROR lines to stderr and the rest to stdout; collect both.
    const collect = (stream: NodeJS.ReadableStream, append: (chunk: string) => void) => {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        append(chunk);
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.startsWith('{')) continue;
          const parsed = JSON.parse(line) as Record<string, unknown>;
          logs.push(parsed);
          options.onLog?.(parsed, child);
        }
      });
    };
    collect(child.stdout, (chunk) => {
      stdout += chunk;
    });
    collect(child.stderr, (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, logs }));
  });
}

/** Runs a job and fails with its output when it does not exit 0. */
export async function runOk(world: JobWorld, argv: string[], options: RunOptions): Promise<JobRun> {
  const run = await runContainer(world, argv, options);
  if (run.code !== 0) {
    throw new Error(`${argv.join(' ')} exited ${run.code}\nstderr: ${run.stderr}\nstdout: ${run.stdout}`);
  }
  return run;
}

/** The `result` the job logged on success. */
export function resultOf(run: JobRun): Record<string, unknown> {
  const done = run.logs.find((line) => line.message === 'job succeeded');
  return (done?.result as Record<string, unknown> | undefined) ?? {};
}

/** All rows of a table in a stable order, for before/after comparisons. */
export async function snapshot(db: Database, table: string, orderBy: string): Promise<unknown[]> {
  const { rows } = await db.query(`SELECT * FROM ${table} ORDER BY ${orderBy}`);
  return rows;
}

/** A suite's job world and fixture world; both exist from the suite's beforeAll on. */
export interface SeededJobSuite {
  readonly env: JobWorld;
  readonly world: World;
}

/**
 * Opens a job world and seeds the fixture world in beforeAll, and disposes of it in
 * afterAll, for the suite (describe block) that calls it.
 */
export function useSeededJobWorld(): SeededJobSuite {
  let env: JobWorld | undefined;
  let world: World | undefined;
  beforeAll(async () => {
    env = await openJobWorld();
    world = await seedWorld(env.db);
  });
  afterAll(() => env?.dispose());
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('the job world is opened in beforeAll; use it inside hooks and tests');
    return value;
  };
  return {
    get env() {
      return opened(env);
    },
    get world() {
      return opened(world);
    },
  };
}
