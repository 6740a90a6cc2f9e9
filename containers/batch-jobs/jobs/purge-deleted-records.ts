import { z } from 'zod';
import { before, inBatches } from '../batches.ts';
import { defineJob, type JobContext, type JobResult } from '../job-context.ts';
import { batchSize, days } from '../params.ts';

export const purgeDeletedRecordsParams = z.object({ retentionDays: days(), batchSize: batchSize() });
type Params = z.output<typeof purgeDeletedRecordsParams>;

/**
 * Hard-deletes records soft-deleted before `scheduledTime - retentionDays`, with their photo
 * rows, corrective actions and share links, one transaction per batch. Each batch writes one
 * audit entry per workspace listing the purged ids, so a rerun (which finds nothing) writes
 * none. Photo objects left in storage are removed by purge-orphaned-photos.
 */
export async function purgeDeletedRecords(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, scheduledTime, params, signal, logger } = ctx;
  const cutoff = before(scheduledTime, { days: params.retentionDays });
  const totals = { records: 0, photos: 0, correctiveActions: 0, shareLinks: 0 };
  const purged = await inBatches(
    { db, signal, logger, batchSize: params.batchSize, label: 'purge-deleted-records' },
    async (tx) => {
      const { rows } = await tx.query<{ id: number; workspace_id: number }>(
        `SELECT id, workspace_id FROM records WHERE deleted_at < $1
         ORDER BY deleted_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [cutoff, params.batchSize],
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((row) => row.id);
      const photos = await tx.query('DELETE FROM record_photos WHERE record_id = ANY($1::bigint[])', [ids]);
      const actions = await tx.query('DELETE FROM corrective_actions WHERE record_id = ANY($1::bigint[])', [
        ids,
      ]);
      const links = await tx.query('DELETE FROM share_links WHERE record_id = ANY($1::bigint[])', [ids]);
      await tx.query('DELETE FROM records WHERE id = ANY($1::bigint[])', [ids]);
      await tx.query(
        `INSERT INTO audit_logs (workspace_id, actor_id, action, entity_type, entity_id, detail)
         SELECT workspace_id, NULL, 'records.purged', 'record', NULL,
                jsonb_build_object('recordIds', jsonb_agg(id ORDER BY id), 'count', count(*),
                                   'retentionDays', $3::integer, 'deletedBefore', $4::timestamptz,
                                   'scheduledTime', $5::timestamptz)
         FROM unnest($1::bigint[], $2::bigint[]) AS purged(id, workspace_id)
         GROUP BY workspace_id`,
        [ids, rows.map((row) => row.workspace_id), params.retentionDays, cutoff, scheduledTime],
      );
      totals.photos += photos.rowCount;
      totals.correctiveActions += actions.rowCount;
      totals.shareLinks += links.rowCount;
      return rows.length;
    },
  );
  totals.records = purged;
  return { deletedBefore: cutoff.toISOString(), ...totals };
}

export const purgeDeletedRecordsJob = defineJob({
  command: 'purge-deleted-records',
  description: 'Hard-delete records soft-deleted longer ago than the retention period',
  params: purgeDeletedRecordsParams,
  example: 'purge-deleted-records --retention-days 30 --batch-size 1000',
  run: purgeDeletedRecords,
});
