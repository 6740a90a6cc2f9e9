import { z } from 'zod';
import { PREVIOUS_LOCAL_PERIOD_SQL, type WorkspacePeriod } from '../batches.ts';
import { defineJob, type JobContext, type JobResult, throwIfStopped } from '../job-context.ts';
import { granularity } from '../params.ts';

export const aggregateRecordStatsParams = z.object({ granularity });
type Params = z.output<typeof aggregateRecordStatsParams>;

const UNIT = { daily: 'day', weekly: 'week', monthly: 'month' } as const;

// One statement per workspace: compute the period's groups, upsert only the rows whose
// numbers changed, and drop groups that no longer exist (e.g. all their records were
// deleted since the last run). A rerun therefore writes nothing.
const ROLL_UP_SQL = `
  WITH fresh AS (
    SELECT r.template_id, r.site_id,
           count(*)::integer AS submitted_count,
           count(*) FILTER (WHERE r.submitted_at <= batch_window_deadline(t.category, c.cadence, r.created_at, $5))::integer AS on_time_count,
           count(*) FILTER (WHERE r.submitted_at > batch_window_deadline(t.category, c.cadence, r.created_at, $5))::integer AS late_count,
           coalesce(sum((SELECT count(*) FROM template_fields f
                         WHERE f.template_id = r.template_id AND f.type = 'temperature'
                           AND jsonb_typeof(r."values" -> f.key) = 'number')), 0)::integer AS temperature_readings,
           coalesce(sum(batch_out_of_range_count(r.template_id, r."values")), 0)::integer AS out_of_range_count
    FROM records r
    JOIN form_templates t ON t.id = r.template_id
    CROSS JOIN LATERAL (SELECT batch_checklist_cadence(t.category, t.checklist_cadence) AS cadence) c
    WHERE r.workspace_id = $3 AND r.status = 'submitted' AND r.deleted_at IS NULL
      AND r.submitted_at >= $4 AND r.submitted_at < $6
    GROUP BY r.template_id, r.site_id
  ), upserted AS (
    INSERT INTO record_stats AS s (granularity, period_start, workspace_id, template_id, site_id, submitted_count,
                                   on_time_count, late_count, temperature_readings, out_of_range_count)
    SELECT $1, $2::date, $3, template_id, site_id, submitted_count, on_time_count, late_count,
           temperature_readings, out_of_range_count
    FROM fresh
    ON CONFLICT ON CONSTRAINT record_stats_key DO UPDATE
      SET submitted_count = EXCLUDED.submitted_count, on_time_count = EXCLUDED.on_time_count,
          late_count = EXCLUDED.late_count, temperature_readings = EXCLUDED.temperature_readings,
          out_of_range_count = EXCLUDED.out_of_range_count, computed_at = now()
      WHERE (s.submitted_count, s.on_time_count, s.late_count, s.temperature_readings, s.out_of_range_count)
            IS DISTINCT FROM (EXCLUDED.submitted_count, EXCLUDED.on_time_count, EXCLUDED.late_count,
                              EXCLUDED.temperature_readings, EXCLUDED.out_of_range_count)
    RETURNING 1
  ), removed AS (
    DELETE FROM record_stats s
    WHERE s.granularity = $1 AND s.period_start = $2::date AND s.workspace_id = $3
      AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.template_id = s.template_id AND f.site_id IS NOT DISTINCT FROM s.site_id)
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM fresh)::integer AS groups,
         (SELECT coalesce(sum(submitted_count), 0) FROM fresh)::integer AS records,
         (SELECT count(*) FROM upserted)::integer AS written,
         (SELECT count(*) FROM removed)::integer AS removed`;

/**
 * Rolls up the submitted records of the previous local day / ISO week / month (in each
 * workspace's time zone, relative to the scheduled time) per workspace, template and site:
 * counts, on-time vs late against the checklist deadline, temperature readings out of range.
 */
export async function aggregateRecordStats(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, scheduledTime, params, signal, logger } = ctx;
  const { rows: periods } = await db.query<WorkspacePeriod>(PREVIOUS_LOCAL_PERIOD_SQL, [
    scheduledTime,
    UNIT[params.granularity],
  ]);
  const totals = { workspaces: 0, groups: 0, records: 0, written: 0, removed: 0 };
  for (const period of periods) {
    throwIfStopped(signal);
    const { rows } = await db.transaction(async (tx) => {
      const result = await tx.query<{ groups: number; records: number; written: number; removed: number }>(
        ROLL_UP_SQL,
        [
          params.granularity,
          period.period_start,
          period.id,
          period.starts_at,
          period.time_zone,
          period.ends_at,
        ],
      );
      throwIfStopped(signal);
      return result;
    });
    const counts = rows[0] ?? { groups: 0, records: 0, written: 0, removed: 0 };
    logger.debug('workspace rolled up', {
      workspaceId: period.id,
      periodStart: period.period_start,
      ...counts,
    });
    totals.workspaces++;
    totals.groups += counts.groups;
    totals.records += counts.records;
    totals.written += counts.written;
    totals.removed += counts.removed;
  }
  return { granularity: params.granularity, ...totals };
}

export const aggregateRecordStatsJob = defineJob({
  command: 'aggregate-record-stats',
  description: 'Roll up submitted records per workspace, template and site for the previous local period',
  params: aggregateRecordStatsParams,
  example: 'aggregate-record-stats --granularity daily',
  run: aggregateRecordStats,
});
