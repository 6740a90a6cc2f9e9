import { z } from 'zod';
import { inBatches } from '../batches.ts';
import { defineJob, type JobContext, type JobResult } from '../job-context.ts';
import { batchSize } from '../params.ts';

export const expireShareLinksParams = z.object({ batchSize: batchSize() });
type Params = z.output<typeof expireShareLinksParams>;

/** Revokes share links whose `expires_at` has passed at the scheduled time. */
export async function expireShareLinks(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, scheduledTime, params, signal, logger } = ctx;
  const revoked = await inBatches(
    { db, signal, logger, batchSize: params.batchSize, label: 'expire-share-links' },
    async (tx) => {
      const result = await tx.query(
        `UPDATE share_links SET revoked_at = $1
         WHERE id IN (SELECT id FROM share_links WHERE revoked_at IS NULL AND expires_at <= $1
                      ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [scheduledTime, params.batchSize],
      );
      return result.rowCount;
    },
  );
  return { expiredBy: scheduledTime.toISOString(), revoked };
}

export const expireShareLinksJob = defineJob({
  command: 'expire-share-links',
  description: 'Revoke share links past their expiry',
  params: expireShareLinksParams,
  example: 'expire-share-links',
  run: expireShareLinks,
});
