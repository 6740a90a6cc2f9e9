/**
 * Process wiring of the batch-jobs container: argv + SFN_BATCH_INPUT → one job of the catalogue,
 * logger, database and storage from the environment, SIGTERM handling and exit codes
 * (0 done, 1 job failed, 2 bad input, 143 stopped by SIGTERM).
 */
import type { Database, DatabaseConfig } from '#lib/db/index.ts';
import { databaseConfigFromEnv, openDatabase } from '#lib/db/index.ts';
import { createLogger } from '#lib/logger.ts';
import type { ObjectStorage } from '#lib/storage/index.ts';
import { openStorage, storageConfigFromEnv } from '#lib/storage/index.ts';
import { catalogue } from './catalogue.ts';
import { resolveInvocation, UsageError } from './command-line.ts';
import { DatabaseUnavailableError, describeDatabase, runJob } from './run-job.ts';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_SIGTERM = 143;
const EXIT_SIGINT = 130;
/** Fargate sends SIGKILL 30 s after SIGTERM by default (stopTimeout); give up a little earlier. */
const STOP_GRACE_MS = stopGraceFromEnv(process.env.SFN_BATCH_STOP_GRACE_MS);

function stopGraceFromEnv(value: string | undefined): number {
  const parsed = Number(value);
  return value !== undefined && Number.isInteger(parsed) && parsed > 0 ? parsed : 25_000;
}

async function main(): Promise<number> {
  let invocation: ReturnType<typeof resolveInvocation>;
  try {
    invocation = resolveInvocation(process.argv.slice(2), process.env.SFN_BATCH_INPUT, catalogue);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`batch-jobs: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  const { definition, input } = invocation;
  const logger = createLogger('batch-jobs', {
    job: input.job,
    command: definition.command,
    executionArn: input.executionArn,
  });

  const controller = new AbortController();
  let stopExitCode: number | undefined;
  const onSignal = (signal: NodeJS.Signals, exitCode: number) => {
    if (stopExitCode !== undefined) return;
    stopExitCode = exitCode;
    logger.warn('stop requested: finishing at the next batch boundary', { signal, graceMs: STOP_GRACE_MS });
    controller.abort(new Error(signal));
    // A job stuck in one long statement must not outlive the stop timeout; the server rolls
    // back the open transaction when the connection drops.
    setTimeout(() => {
      logger.error('job did not stop within the grace period; exiting', { graceMs: STOP_GRACE_MS });
      process.exit(exitCode);
    }, STOP_GRACE_MS).unref();
  };
  process.on('SIGTERM', () => onSignal('SIGTERM', EXIT_SIGTERM));
  process.on('SIGINT', () => onSignal('SIGINT', EXIT_SIGINT));

  let databaseConfig: DatabaseConfig;
  let storage: ObjectStorage;
  try {
    databaseConfig = databaseConfigFromEnv(process.env);
    storage = openStorage(storageConfigFromEnv(process.env));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.error('invalid configuration', { error: message });
    process.stderr.write(`batch-jobs: ${message}\n`);
    return EXIT_USAGE;
  }
  let db: Database;
  try {
    db = await openDatabase(databaseConfig);
    await db.query('SELECT 1');
  } catch (error) {
    const cause = new DatabaseUnavailableError(databaseConfig, error);
    logger.error(cause.message);
    process.stderr.write(`batch-jobs: ${cause.message}\n`);
    return EXIT_FAILED;
  }
  logger.info('job starting', {
    scheduledTime: input.scheduledTime,
    params: invocation.params,
    database: describeDatabase(databaseConfig),
    storage: storage.description,
  });

  try {
    const outcome = await runJob(invocation, { db, storage, logger, signal: controller.signal });
    if (outcome.status === 'interrupted') return stopExitCode ?? EXIT_SIGTERM;
    return outcome.status === 'succeeded' ? 0 : EXIT_FAILED;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.error('job could not run', { error: message });
    process.stderr.write(`batch-jobs: ${message}\n`);
    return EXIT_FAILED;
  } finally {
    await db.close().catch((error: unknown) => logger.warn('closing the database failed', { error }));
  }
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(
    `batch-jobs: unexpected failure: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  return EXIT_FAILED;
});
