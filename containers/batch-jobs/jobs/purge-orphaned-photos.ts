import { z } from 'zod';
import { before } from '../batches.ts';
import { defineJob, type JobContext, type JobResult, throwIfStopped } from '../job-context.ts';
import { batchSize, days } from '../params.ts';

export const purgeOrphanedPhotosParams = z.object({
  graceDays: days(),
  batchSize: batchSize(),
  /** Storage prefix under which photo objects live; objects there with no photo row are orphans. */
  prefix: z
    .string()
    .regex(/^[a-z0-9][a-z0-9/_-]*\/$/, { error: 'expected a storage prefix ending in "/", e.g. photos/' })
    .default('photos/'),
});
type Params = z.output<typeof purgeOrphanedPhotosParams>;

/**
 * Removes photos nobody can see any more, after a grace period counted back from the
 * scheduled time:
 * 1. photo rows deleted, or whose record was soft-deleted, before the cutoff: the object
 *    is deleted first, then the row (a crash in between leaves a row whose object is
 *    already gone, and deleting it again is harmless);
 * 2. objects under the prefix older than the cutoff with no photo row at all (their record
 *    was purged, or an upload never got its row).
 */
export async function purgeOrphanedPhotos(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, storage, scheduledTime, params, signal, logger } = ctx;
  const cutoff = before(scheduledTime, { days: params.graceDays });
  let rowsDeleted = 0;
  let lastId = 0;
  for (;;) {
    throwIfStopped(signal);
    const { rows } = await db.query<{ id: number; object_key: string }>(
      `SELECT p.id, p.object_key FROM record_photos p JOIN records r ON r.id = p.record_id
       WHERE p.id > $3 AND (p.deleted_at < $1 OR r.deleted_at < $1)
       ORDER BY p.id LIMIT $2`,
      [cutoff, params.batchSize, lastId],
    );
    if (rows.length === 0) break;
    for (const row of rows) await storage.deleteObject(row.object_key);
    const deleted = await db.transaction(async (tx) => {
      const result = await tx.query(
        `DELETE FROM record_photos p USING records r
         WHERE r.id = p.record_id AND p.id = ANY($1::bigint[]) AND (p.deleted_at < $2 OR r.deleted_at < $2)`,
        [rows.map((row) => row.id), cutoff],
      );
      throwIfStopped(signal);
      return result.rowCount;
    });
    rowsDeleted += deleted;
    lastId = rows[rows.length - 1]?.id ?? lastId;
    logger.debug('batch committed', { loop: 'photo rows', rows: deleted, total: rowsDeleted });
    if (rows.length < params.batchSize) break;
  }

  const objects = (await storage.list(params.prefix)).filter((object) => object.lastModified < cutoff);
  let orphanObjects = 0;
  for (let start = 0; start < objects.length; start += params.batchSize) {
    throwIfStopped(signal);
    const keys = objects.slice(start, start + params.batchSize).map((object) => object.key);
    const { rows: known } = await db.query<{ object_key: string }>(
      'SELECT object_key FROM record_photos WHERE object_key = ANY($1::text[])',
      [keys],
    );
    const referenced = new Set(known.map((row) => row.object_key));
    for (const key of keys) {
      if (referenced.has(key)) continue;
      await storage.deleteObject(key);
      orphanObjects++;
    }
  }
  return {
    deletedBefore: cutoff.toISOString(),
    photoRows: rowsDeleted,
    orphanObjects,
    objectsScanned: objects.length,
  };
}

export const purgeOrphanedPhotosJob = defineJob({
  command: 'purge-orphaned-photos',
  description: 'Delete photo objects (and rows) whose photo or record was deleted before the grace period',
  params: purgeOrphanedPhotosParams,
  example: 'purge-orphaned-photos --grace-days 7',
  run: purgeOrphanedPhotos,
});
