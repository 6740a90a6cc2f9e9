/**
 * Process wiring of the xlsx converter: `convert-batch` + SFN_BATCH_INPUT → one
 * batch of the export manifest. Exit codes: 0 all targets done, 1 a target failed
 * (the others are still converted), 2 bad input, 143 stopped by SIGTERM (the
 * current file is abandoned: nothing at its key, target not done).
 */
import { z } from 'zod';
import { TASK_INPUT_ENV } from '#lib/contracts/execution-input.ts';
import type { Database } from '#lib/db/index.ts';
import { databaseConfigFromEnv, openDatabase } from '#lib/db/index.ts';
import { createLogger } from '#lib/logger.ts';
import type { ObjectStorage } from '#lib/storage/index.ts';
import { openStorage, storageConfigFromEnv } from '#lib/storage/index.ts';
import { describeZodIssues } from '#lib/zod-issues.ts';
import { convertBatch, loadBatchTargets, ManifestError } from './convert-batch.ts';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_SIGTERM = 143;
/** Fargate sends SIGKILL 30 s after SIGTERM by default (stopTimeout); give up a little earlier. */
const STOP_GRACE_MS = 25_000;
const KILL_AFTER_PUBLISH_ENV = 'SFN_BATCH_TEST_KILL_AFTER_PUBLISH';

const taskInputSchema = z.object({
  job: z.string().min(1),
  executionArn: z.string().min(1),
  scheduledTime: z.string().min(1),
  params: z.object({
    runId: z.string().min(1),
    manifestKey: z.string().min(1),
    batchIndex: z.coerce.number().int().nonnegative(),
  }),
});
const INPUT_EXAMPLE =
  '{"job":"export-monthly","executionArn":"arn:aws:states:...","scheduledTime":"2026-11-01T01:00:00+09:00",' +
  '"params":{"runId":"export-monthly-2026-10-0a1b2c3d4e5f","manifestKey":"manifests/export-monthly-2026-10-0a1b2c3d4e5f.json","batchIndex":0}}';

function usage(message: string): number {
  process.stderr.write(`xlsx-converter: ${message}\n`);
  return EXIT_USAGE;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv[0] !== 'convert-batch' || argv.length !== 1) {
    return usage(`unknown command "${argv.join(' ')}"; the only command is: convert-batch`);
  }
  const raw = process.env[TASK_INPUT_ENV];
  if (!raw) return usage(`${TASK_INPUT_ENV} is not set; it must hold JSON like ${INPUT_EXAMPLE}`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return usage(`${TASK_INPUT_ENV} is not valid JSON; expected e.g. ${INPUT_EXAMPLE}`);
  }
  const parsed = taskInputSchema.safeParse(json);
  if (!parsed.success) {
    const problems = describeZodIssues(parsed.error);
    return usage(`${TASK_INPUT_ENV} is invalid (${problems}); expected e.g. ${INPUT_EXAMPLE}`);
  }
  const input = parsed.data;
  // Tests only (README, "Testing the converter's crash window"): die by SIGKILL right after
  // the first publish, before its target is marked done.
  const killAfterPublish = process.env[KILL_AFTER_PUBLISH_ENV] === '1';
  const logger = createLogger('xlsx-converter', { job: input.job, executionArn: input.executionArn });

  const controller = new AbortController();
  let stopped = false;
  process.on('SIGTERM', () => {
    if (stopped) return;
    stopped = true;
    logger.warn('SIGTERM: abandoning the current file; its target stays not done', {
      graceMs: STOP_GRACE_MS,
    });
    controller.abort(new Error('stopped by SIGTERM'));
    setTimeout(() => process.exit(EXIT_SIGTERM), STOP_GRACE_MS).unref();
  });

  let storage: ObjectStorage;
  let db: Database;
  try {
    storage = openStorage(storageConfigFromEnv(process.env));
    db = await openDatabase(databaseConfigFromEnv(process.env));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.error('cannot open storage or database', { error: message });
    process.stderr.write(`xlsx-converter: ${message}\n`);
    return EXIT_FAILED;
  }
  try {
    const targets = await loadBatchTargets(storage, input.params);
    logger.info('batch starting', {
      ...input.params,
      targetCount: targets.length,
      storage: storage.description,
    });
    const summary = await convertBatch(targets, {
      db,
      storage,
      logger,
      signal: controller.signal,
      ...(killAfterPublish ? { afterPublish: () => process.kill(process.pid, 'SIGKILL') } : {}),
    });
    logger.info('batch finished', {
      ...input.params,
      ...summary,
      failedCount: summary.failed.length,
      storage: storage.description,
    });
    return summary.failed.length > 0 ? EXIT_FAILED : 0;
  } catch (error) {
    if (controller.signal.aborted) {
      logger.warn('batch stopped by SIGTERM', input.params);
      return EXIT_SIGTERM;
    }
    if (error instanceof ManifestError) {
      logger.error(error.message);
      return usage(error.message);
    }
    throw error;
  } finally {
    await db.close().catch(() => undefined);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `xlsx-converter: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = EXIT_FAILED;
  },
);
