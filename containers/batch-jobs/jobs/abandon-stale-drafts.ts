import { z } from 'zod';
import { before, inBatches } from '../batches.ts';
import { defineJob, type JobContext, type JobResult } from '../job-context.ts';
import { batchSize, days } from '../params.ts';

export const abandonStaleDraftsParams = z.object({ olderThanDays: days(), batchSize: batchSize() });
type Params = z.output<typeof abandonStaleDraftsParams>;

/** Marks drafts untouched for `olderThanDays` before the scheduled time as abandoned (`abandoned_at`). */
export async function abandonStaleDrafts(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, scheduledTime, params, signal, logger } = ctx;
  const cutoff = before(scheduledTime, { days: params.olderThanDays });
  const abandoned = await inBatches(
    { db, signal, logger, batchSize: params.batchSize, label: 'abandon-stale-drafts' },
    async (tx) => {
      const result = await tx.query(
        `UPDATE records SET abandoned_at = $2
         WHERE id IN (SELECT id FROM records
                      WHERE status = 'draft' AND deleted_at IS NULL AND abandoned_at IS NULL AND updated_at < $1
                      ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)`,
        [cutoff, scheduledTime, params.batchSize],
      );
      return result.rowCount;
    },
  );
  return { untouchedSince: cutoff.toISOString(), abandoned };
}

export const abandonStaleDraftsJob = defineJob({
  command: 'abandon-stale-drafts',
  description: 'Mark drafts not updated for N days as abandoned',
  params: abandonStaleDraftsParams,
  example: 'abandon-stale-drafts --older-than-days 14',
  run: abandonStaleDrafts,
});
