import { z } from 'zod';
import { before } from '../batches.ts';
import { defineJob, type JobContext, type JobResult, throwIfStopped } from '../job-context.ts';
import { batchSize, days } from '../params.ts';

export const cleanupExpiredExportsParams = z.object({ retentionDays: days(), batchSize: batchSize() });
type Params = z.output<typeof cleanupExpiredExportsParams>;

/**
 * Deletes export files produced before `scheduledTime - retentionDays` and marks their
 * targets expired (`expired_at`). The object goes first: a crash before the mark leaves a
 * target whose file is already gone, and the rerun deletes nothing twice.
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
  return { producedBefore: cutoff.toISOString(), expiredTargets: expired, bytesFreed: bytes };
}

export const cleanupExpiredExportsJob = defineJob({
  command: 'cleanup-expired-exports',
  description: 'Delete export files older than the retention period and mark their targets expired',
  params: cleanupExpiredExportsParams,
  example: 'cleanup-expired-exports --retention-days 90',
  run: cleanupExpiredExports,
});
