import { z } from 'zod';
import { before } from '../batches.ts';
import { defineJob, type JobContext, type JobResult, throwIfStopped } from '../job-context.ts';
import { batchSize, days } from '../params.ts';

export const cleanupExpiredExportsParams = z.object({ retentionDays: days(), batchSize: batchSize() });
type Params = z.output<typeof cleanupExpiredExportsParams>;

/**
 * Abandoned writes (temp files / incomplete multipart uploads of a converter killed mid-write)
 * are removed once they are this old. A write still running must never be touched — removing
 * it would fail an export that is about to succeed — and the longest task timeout in schedules/
 * is a few hours, after which the state machine has stopped the task; 24 h leaves a wide margin
 * (and a live local writer keeps refreshing its temp file's mtime anyway).
 */
const ABANDONED_WRITE_AGE_HOURS = 24;

/**
 * Deletes export files produced before `scheduledTime - retentionDays` and marks their
 * targets expired (`expired_at`). The object goes first: a crash before the mark leaves a
 * target whose file is already gone, and the rerun deletes nothing twice. Then removes
 * abandoned writes under `exports/` older than ABANDONED_WRITE_AGE_HOURS.
 */
export async function cleanupExpiredExports(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, storage, scheduledTime, params, signal, logger } = ctx;
  const cutoff = before(scheduledTime, { days: params.retentionDays });
  let expired = 0;
  let bytes = 0;
  for (;;) {
    throwIfStopped(signal);
    const { rows } = await db.query<{ target_id: number; object_key: string; bytes: number | null }>(
      `SELECT target_id, object_key, bytes FROM export_targets
       WHERE status = 'done' AND expired_at IS NULL AND updated_at < $1
       ORDER BY target_id LIMIT $2`,
      [cutoff, params.batchSize],
    );
    if (rows.length === 0) break;
    for (const row of rows) await storage.deleteObject(row.object_key);
    const marked = await db.transaction(async (tx) => {
      const result = await tx.query(
        'UPDATE export_targets SET expired_at = $2 WHERE target_id = ANY($1::bigint[]) AND expired_at IS NULL',
        [rows.map((row) => row.target_id), scheduledTime],
      );
      throwIfStopped(signal);
      return result.rowCount;
    });
    expired += marked;
    bytes += rows.reduce((sum, row) => sum + (row.bytes ?? 0), 0);
    logger.debug('batch committed', { loop: 'expired exports', rows: marked, total: expired });
    if (rows.length < params.batchSize) break;
  }
  throwIfStopped(signal);
  // The earlier of scheduledTime and now: a manual run given a future scheduledTime must not
  // bring the cutoff close to writes that are running right now.
  const startedBefore = before(new Date(Math.min(scheduledTime.getTime(), Date.now())), {
    hours: ABANDONED_WRITE_AGE_HOURS,
  });
  // Best effort: the expired exports above are already done, and on S3 the bucket's
  // AbortIncompleteMultipartUpload lifecycle rule is the backstop; so a failure here (e.g. a
  // missing s3:ListBucketMultipartUploads permission) is logged as a warning, not a failed job.
  const abandoned: JobResult = { abandonedWritesBefore: startedBefore.toISOString() };
  try {
    const abandonedWritesRemoved = await storage.removeAbandonedWrites('exports/', startedBefore);
    abandoned.abandonedWritesRemoved = abandonedWritesRemoved;
    logger.info('abandoned writes removed', {
      prefix: 'exports/',
      startedBefore: startedBefore.toISOString(),
      removed: abandonedWritesRemoved,
    });
  } catch (error) {
    logger.warn('could not remove abandoned writes; check the storage permissions', {
      prefix: 'exports/',
      storage: storage.description,
      error,
    });
    abandoned.abandonedWritesError = error instanceof Error ? error.message : String(error);
  }
  return {
    producedBefore: cutoff.toISOString(),
    expiredTargets: expired,
    bytesFreed: bytes,
    ...abandoned,
  };
}

export const cleanupExpiredExportsJob = defineJob({
  command: 'cleanup-expired-exports',
  description: 'Delete export files older than the retention period and mark their targets expired',
  params: cleanupExpiredExportsParams,
  example: 'cleanup-expired-exports --retention-days 90',
  run: cleanupExpiredExports,
});
