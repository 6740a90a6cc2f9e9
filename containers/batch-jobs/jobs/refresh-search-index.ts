import { z } from 'zod';
import { inBatches } from '../batches.ts';
import { defineJob, type JobContext, type JobResult, throwIfStopped } from '../job-context.ts';
import { batchSize } from '../params.ts';

export const refreshSearchIndexParams = z.object({ batchSize: batchSize() });
type Params = z.output<typeof refreshSearchIndexParams>;

const WATERMARK = 'record-search';

// One batch: the next records after the watermark (by updated_at, then id) changed up to the
// scheduled time. Submitted, live records are (re)indexed; drafts and deleted ones leave the
// index. The watermark moves in the same transaction, so a stop never skips or repeats work.
// The 'simple' configuration: PostgreSQL has no Japanese parser, and 'simple' keeps words
// as written; search_text also serves substring (ILIKE) search for Japanese.
const REFRESH_SQL = `
  WITH mark AS (
    SELECT coalesce((SELECT position_at FROM batch_watermarks WHERE name = $3), '-infinity'::timestamptz) AS at,
           coalesce((SELECT position_id FROM batch_watermarks WHERE name = $3), 0) AS id
  ), changed AS (
    SELECT r.id, r.workspace_id, r.template_id, r.updated_at, r.status, r.deleted_at, r."values",
           t.name AS template_name, s.name AS site_name, u.name AS user_name
    FROM records r CROSS JOIN mark
    JOIN form_templates t ON t.id = r.template_id
    LEFT JOIN sites s ON s.id = r.site_id
    LEFT JOIN users u ON u.id = r.submitted_by
    WHERE (r.updated_at, r.id) > (mark.at, mark.id) AND r.updated_at <= $1
    ORDER BY r.updated_at, r.id
    LIMIT $2
  ), documents AS (
    SELECT c.id, c.workspace_id, c.template_id,
           concat_ws(' ', c.template_name, c.site_name, c.user_name, (
             SELECT string_agg(
                      CASE WHEN f.type = 'multi_choice' AND jsonb_typeof(c."values" -> f.key) = 'array'
                           THEN (SELECT string_agg(x, ' ') FROM jsonb_array_elements_text(c."values" -> f.key) x)
                           ELSE c."values" ->> f.key END, ' ' ORDER BY f.position)
             FROM template_fields f
             WHERE f.template_id = c.template_id AND f.type IN ('text', 'single_choice', 'multi_choice')
           )) AS search_text
    FROM changed c WHERE c.status = 'submitted' AND c.deleted_at IS NULL
  ), indexed AS (
    INSERT INTO record_search AS rs (record_id, workspace_id, template_id, search_text, document)
    SELECT id, workspace_id, template_id, search_text, to_tsvector('simple', search_text) FROM documents
    ON CONFLICT (record_id) DO UPDATE
      SET search_text = EXCLUDED.search_text, document = EXCLUDED.document, indexed_at = now()
      WHERE rs.search_text IS DISTINCT FROM EXCLUDED.search_text
    RETURNING 1
  ), removed AS (
    DELETE FROM record_search rs USING changed c
    WHERE rs.record_id = c.id AND (c.status <> 'submitted' OR c.deleted_at IS NOT NULL)
    RETURNING 1
  ), last AS (
    SELECT updated_at, id FROM changed ORDER BY updated_at DESC, id DESC LIMIT 1
  ), moved AS (
    INSERT INTO batch_watermarks (name, position_at, position_id)
    SELECT $3, updated_at, id FROM last
    ON CONFLICT (name) DO UPDATE SET position_at = EXCLUDED.position_at, position_id = EXCLUDED.position_id,
                                     updated_at = now()
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM changed)::integer AS changed, (SELECT count(*) FROM indexed)::integer AS indexed,
         (SELECT count(*) FROM removed)::integer AS removed`;

/** Brings `record_search` up to date with records changed since the last run's watermark. */
export async function refreshSearchIndex(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, scheduledTime, params, signal, logger } = ctx;
  const totals = { indexed: 0, removed: 0 };
  const changed = await inBatches(
    { db, signal, logger, batchSize: params.batchSize, label: 'refresh-search-index' },
    async (tx) => {
      const { rows } = await tx.query<{ changed: number; indexed: number; removed: number }>(REFRESH_SQL, [
        scheduledTime,
        params.batchSize,
        WATERMARK,
      ]);
      totals.indexed += rows[0]?.indexed ?? 0;
      totals.removed += rows[0]?.removed ?? 0;
      return rows[0]?.changed ?? 0;
    },
  );
  // Soft deletion may not touch updated_at, so the watermark cannot see it: sweep the index
  // for records deleted since (the partial index on records.deleted_at keeps this cheap).
  throwIfStopped(signal);
  const swept = await db.query(
    `DELETE FROM record_search rs USING records r
     WHERE r.id = rs.record_id AND r.deleted_at IS NOT NULL AND r.deleted_at <= $1`,
    [scheduledTime],
  );
  totals.removed += swept.rowCount;
  return { changedUpTo: scheduledTime.toISOString(), changed, ...totals };
}

export const refreshSearchIndexJob = defineJob({
  command: 'refresh-search-index',
  description: 'Index records changed since the last run (watermark) for full-text search',
  params: refreshSearchIndexParams,
  example: 'refresh-search-index --batch-size 5000',
  run: refreshSearchIndex,
});
