import { z } from 'zod';
import { PREVIOUS_LOCAL_PERIOD_SQL, type WorkspacePeriod } from '../batches.ts';
import { defineJob, type JobContext, type JobResult, throwIfStopped } from '../job-context.ts';

export const sendWeeklyDigestParams = z.object({});
type Params = z.output<typeof sendWeeklyDigestParams>;

// One digest per workspace and ISO week (dedupe key), to its active owners and admins.
const DIGEST_SQL = `
  WITH submitted AS (
    SELECT r.*, t.category, batch_checklist_cadence(t.category, t.checklist_cadence) AS cadence
    FROM records r JOIN form_templates t ON t.id = r.template_id
    WHERE r.workspace_id = $1 AND r.status = 'submitted' AND r.deleted_at IS NULL
      AND r.submitted_at >= $2 AND r.submitted_at < $3
  ), summary AS (
    SELECT
      (SELECT count(*) FROM submitted)::integer AS records_submitted,
      (SELECT count(*) FROM submitted s WHERE s.submitted_at > batch_window_deadline(s.category, s.cadence, s.created_at, $4))::integer AS late,
      (SELECT coalesce(sum(batch_out_of_range_count(s.template_id, s."values")), 0) FROM submitted s)::integer AS out_of_range,
      (SELECT count(*) FROM corrective_actions WHERE workspace_id = $1 AND created_at >= $2 AND created_at < $3)::integer AS actions_opened,
      (SELECT count(*) FROM corrective_actions WHERE workspace_id = $1 AND resolved_at IS NULL AND due_at < $3)::integer AS actions_overdue,
      (SELECT coalesce(jsonb_agg(jsonb_build_object('siteId', x.site_id, 'siteName', x.name, 'records', x.n) ORDER BY x.n DESC, x.site_id), '[]')
       FROM (SELECT s.site_id, st.name, count(*) AS n FROM submitted s JOIN sites st ON st.id = s.site_id
             GROUP BY s.site_id, st.name) x) AS sites
  ), inserted AS (
    INSERT INTO notification_outbox (dedupe_key, kind, workspace_id, recipient_ids, payload)
    SELECT 'weekly-digest:' || $1::bigint || ':' || $5::date, 'weekly-digest', $1, rcpt.ids,
           jsonb_build_object('weekStart', $5::date, 'recordsSubmitted', s.records_submitted, 'late', s.late,
                              'outOfRangeTemperatures', s.out_of_range, 'correctiveActionsOpened', s.actions_opened,
                              'correctiveActionsOverdue', s.actions_overdue, 'sites', s.sites)
    FROM summary s
    CROSS JOIN LATERAL (
      SELECT coalesce(array_agg(u.id ORDER BY u.id), '{}') AS ids FROM users u
      WHERE u.workspace_id = $1 AND u.deactivated_at IS NULL AND u.role IN ('owner', 'admin')
    ) rcpt
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING 1
  )
  SELECT count(*)::integer AS enqueued FROM inserted`;

/** Enqueues a digest of the previous local ISO week per workspace, once per week. */
export async function sendWeeklyDigest(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, scheduledTime, signal } = ctx;
  const { rows: periods } = await db.query<WorkspacePeriod>(PREVIOUS_LOCAL_PERIOD_SQL, [
    scheduledTime,
    'week',
  ]);
  let enqueued = 0;
  for (const period of periods) {
    throwIfStopped(signal);
    enqueued += await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ enqueued: number }>(DIGEST_SQL, [
        period.id,
        period.starts_at,
        period.ends_at,
        period.time_zone,
        period.period_start,
      ]);
      throwIfStopped(signal);
      return rows[0]?.enqueued ?? 0;
    });
  }
  return { workspaces: periods.length, enqueued };
}

export const sendWeeklyDigestJob = defineJob({
  command: 'send-weekly-digest',
  description: 'Enqueue a digest of the previous ISO week per workspace (once per week)',
  params: sendWeeklyDigestParams,
  example: 'send-weekly-digest',
  run: sendWeeklyDigest,
});
