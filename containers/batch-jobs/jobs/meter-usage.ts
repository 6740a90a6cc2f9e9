import { z } from 'zod';
import type { Database } from '#lib/db/index.ts';
import { PREVIOUS_LOCAL_PERIOD_SQL, type WorkspacePeriod } from '../batches.ts';
import { defineJob, type JobContext, type JobResult, throwIfStopped } from '../job-context.ts';

export const meterUsageParams = z.object({
  granularity: z.enum(['daily', 'monthly'], { error: 'expected one of daily, monthly' }),
});
type Params = z.output<typeof meterUsageParams>;

const UNIT = { daily: 'day', monthly: 'month' } as const;

// Usage of one workspace in [$3, $4): records submitted, photos uploaded, active users
// (submitted a record or logged in), and storage held at the end of the period (photos
// not yet deleted plus export files not yet expired).
const USAGE_SQL = `
  SELECT
    (SELECT count(*) FROM records WHERE workspace_id = $1 AND status = 'submitted'
       AND submitted_at >= $3 AND submitted_at < $4)::integer AS records_submitted,
    (SELECT count(*) FROM record_photos WHERE workspace_id = $1 AND created_at >= $3 AND created_at < $4)::integer AS photos_uploaded,
    ((SELECT coalesce(sum(bytes), 0) FROM record_photos WHERE workspace_id = $1 AND created_at < $4
        AND (deleted_at IS NULL OR deleted_at >= $4))
     + (SELECT coalesce(sum(bytes), 0) FROM export_targets WHERE workspace_id = $1 AND status = 'done'
        AND updated_at < $4 AND (expired_at IS NULL OR expired_at >= $4)))::bigint AS storage_bytes,
    (SELECT count(*) FROM (
       SELECT submitted_by FROM records WHERE workspace_id = $1 AND status = 'submitted'
         AND submitted_at >= $3 AND submitted_at < $4 AND submitted_by IS NOT NULL
       UNION
       SELECT id FROM users WHERE workspace_id = $1 AND last_login_at >= $3 AND last_login_at < $4) active
    )::integer AS active_users`;

/**
 * Meters one workspace for one period. `overwrite: false` keeps an existing row (invoices
 * use that, so an issued invoice and its meter row never disagree).
 */
export async function meterWorkspace(
  db: Database,
  granularity: Params['granularity'],
  period: WorkspacePeriod,
  options: { overwrite: boolean },
): Promise<number> {
  const conflict = options.overwrite
    ? `DO UPDATE SET records_submitted = EXCLUDED.records_submitted, photos_uploaded = EXCLUDED.photos_uploaded,
         storage_bytes = EXCLUDED.storage_bytes, active_users = EXCLUDED.active_users, computed_at = now()
       WHERE (u.records_submitted, u.photos_uploaded, u.storage_bytes, u.active_users)
             IS DISTINCT FROM (EXCLUDED.records_submitted, EXCLUDED.photos_uploaded, EXCLUDED.storage_bytes, EXCLUDED.active_users)`
    : 'DO NOTHING';
  const result = await db.query(
    `INSERT INTO usage_meter AS u (granularity, period_start, workspace_id, records_submitted, photos_uploaded,
                                   storage_bytes, active_users)
     SELECT $2, $5::date, $1, records_submitted, photos_uploaded, storage_bytes, active_users FROM (${USAGE_SQL}) usage
     ON CONFLICT (granularity, period_start, workspace_id) ${conflict}`,
    [period.id, granularity, period.starts_at, period.ends_at, period.period_start],
  );
  return result.rowCount;
}

/** Periods that ended last before the scheduled time, per workspace in its own time zone. */
export async function previousPeriods(
  db: Database,
  scheduledTime: Date,
  granularity: Params['granularity'],
): Promise<WorkspacePeriod[]> {
  const { rows } = await db.query<WorkspacePeriod>(PREVIOUS_LOCAL_PERIOD_SQL, [
    scheduledTime,
    UNIT[granularity],
  ]);
  return rows;
}

/** Meters usage per workspace for the previous local day or month and upserts it. */
export async function meterUsage(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, scheduledTime, params, signal } = ctx;
  const periods = await previousPeriods(db, scheduledTime, params.granularity);
  let written = 0;
  for (const period of periods) {
    throwIfStopped(signal);
    written += await db.transaction(async (tx) => {
      const count = await meterWorkspace(tx, params.granularity, period, { overwrite: true });
      throwIfStopped(signal);
      return count;
    });
  }
  return { granularity: params.granularity, workspaces: periods.length, written };
}

export const meterUsageJob = defineJob({
  command: 'meter-usage',
  description:
    'Meter usage (records, photos, storage, active users) per workspace for the previous day or month',
  params: meterUsageParams,
  example: 'meter-usage --granularity daily',
  run: meterUsage,
});
