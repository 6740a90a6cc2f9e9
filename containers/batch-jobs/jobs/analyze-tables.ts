import { z } from 'zod';
import { defineJob, type JobContext, type JobResult, throwIfStopped } from '../job-context.ts';

export const analyzeTablesParams = z.object({});
type Params = z.output<typeof analyzeTablesParams>;

/** The tables that grow with usage; names are fixed here, never taken from input. */
export const ANALYZED_TABLES = [
  'records',
  'record_photos',
  'corrective_actions',
  'audit_logs',
  'share_links',
  'export_targets',
  'notification_outbox',
  'record_search',
  'record_stats',
  'usage_meter',
] as const;

/**
 * Refreshes planner statistics (ANALYZE) of the big tables and records their size and row
 * estimate per scheduled time, so growth can be charted from `table_stats`.
 */
export async function analyzeTables(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, scheduledTime, signal, logger } = ctx;
  let totalBytes = 0;
  for (const table of ANALYZED_TABLES) {
    throwIfStopped(signal);
    await db.query(`ANALYZE ${table}`);
    const { rows } = await db.query<{ total_bytes: number; row_estimate: number }>(
      `INSERT INTO table_stats (captured_for, table_name, total_bytes, row_estimate)
       SELECT $1, $2, pg_total_relation_size(c.oid), greatest(c.reltuples, 0)::bigint
       FROM pg_class c WHERE c.oid = to_regclass($2)
       ON CONFLICT (captured_for, table_name) DO UPDATE
         SET total_bytes = EXCLUDED.total_bytes, row_estimate = EXCLUDED.row_estimate, captured_at = now()
       RETURNING total_bytes, row_estimate`,
      [scheduledTime, table],
    );
    logger.debug('table analyzed', { table, ...rows[0] });
    totalBytes += rows[0]?.total_bytes ?? 0;
  }
  return { tables: ANALYZED_TABLES.length, totalBytes };
}

export const analyzeTablesJob = defineJob({
  command: 'analyze-tables',
  description: 'ANALYZE the big tables and record their sizes and row estimates',
  params: analyzeTablesParams,
  example: 'analyze-tables',
  run: analyzeTables,
});
