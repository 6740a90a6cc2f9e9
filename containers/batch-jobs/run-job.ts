import type { Database, DatabaseConfig } from '#lib/db/index.ts';
import { DatabaseQueryError } from '#lib/db/index.ts';
import type { Logger } from '#lib/logger.ts';
import type { ObjectStorage } from '#lib/storage/index.ts';
import type { Invocation } from './command-line.ts';
import { JobInterruptedError } from './job-context.ts';

export interface RunDependencies {
  db: Database;
  storage: ObjectStorage;
  logger: Logger;
  signal: AbortSignal;
}

export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'interrupted';
  result?: Record<string, number | string>;
}

/** The database named by the config, without credentials, for messages and logs. */
export function describeDatabase(config: DatabaseConfig): string {
  if (config.url) {
    try {
      const url = new URL(config.url);
      return `PostgreSQL at ${url.hostname}:${url.port || '5432'}${url.pathname}`;
    } catch {
      return 'PostgreSQL (DATABASE_URL is not a valid URL)';
    }
  }
  return `embedded PGlite at ${config.dataDir ?? '.data/pglite'}`;
}

/** The database could not be reached: a clear message instead of a driver stack trace. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  constructor(config: DatabaseConfig, cause: unknown) {
    // openDatabase wraps the driver error in its own sentence; report the driver's reason once.
    const root = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
    const first = root instanceof AggregateError && root.errors[0] instanceof Error ? root.errors[0] : root;
    const reason = first instanceof Error ? first.message || first.name : String(first);
    const hint = config.url
      ? 'is it running? set DATABASE_URL to a reachable server'
      : 'is another process holding it? set DATABASE_URL to use PostgreSQL';
    super(`cannot connect to ${describeDatabase(config)}: ${reason} — ${hint}`, { cause });
  }
}

/**
 * Runs one job and records the attempt in `batch_job_runs` (the job-run ledger). The ledger is
 * bookkeeping only: idempotence comes from each job's own keys, so a run that dies before it
 * updates its ledger row is still safe to repeat.
 */
export async function runJob(invocation: Invocation, deps: RunDependencies): Promise<RunOutcome> {
  const { definition, input, params } = invocation;
  const { db, logger } = deps;
  const ledger = await db
    .query<{ id: string }>(
      `INSERT INTO batch_job_runs (command, job, execution_arn, scheduled_time, params, status)
       VALUES ($1, $2, $3, $4, $5, 'running') RETURNING id::text AS id`,
      [definition.command, input.job, input.executionArn, input.scheduledTime, JSON.stringify(params)],
    )
    .catch((error: unknown) => {
      if (error instanceof DatabaseQueryError && error.code === '42P01') {
        throw new Error(
          'the database is not migrated (table batch_job_runs is missing): apply lib/db/migrations with migrate() ' +
            '(npm start does it for the embedded database) before running jobs',
          { cause: error },
        );
      }
      throw error;
    });
  const runId = ledger.rows[0]?.id;
  const finish = async (status: RunOutcome['status'], result: unknown, error: string | null) => {
    await db.query(
      `UPDATE batch_job_runs SET status = $2, result = $3, error = $4, finished_at = now() WHERE id = $1`,
      [runId, status, result === null ? null : JSON.stringify(result), error],
    );
  };
  const started = performance.now();
  try {
    const result = await definition.run({
      db,
      storage: deps.storage,
      logger,
      scheduledTime: new Date(input.scheduledTime),
      params,
      signal: deps.signal,
    });
    const durationMs = Math.round(performance.now() - started);
    await finish('succeeded', result, null);
    logger.info('job succeeded', { result, durationMs });
    return { status: 'succeeded', result };
  } catch (error) {
    const durationMs = Math.round(performance.now() - started);
    if (error instanceof JobInterruptedError) {
      await finish('interrupted', null, error.message).catch((ledgerError: unknown) =>
        logger.warn('could not record the interruption in batch_job_runs', { error: ledgerError }),
      );
      logger.warn('job interrupted', { reason: error.message, durationMs });
      return { status: 'interrupted' };
    }
    const message = error instanceof Error ? error.message : String(error);
    await finish('failed', null, message).catch((ledgerError: unknown) =>
      logger.error('could not record the failure in batch_job_runs', { error: ledgerError }),
    );
    logger.error('job failed', { error, durationMs });
    return { status: 'failed' };
  }
}
