import { z } from 'zod';
import { defineJob, type JobContext, type JobResult, throwIfStopped } from '../job-context.ts';
import { days } from '../params.ts';

export const computeComplianceScoresParams = z.object({ windowDays: days() });
type Params = z.output<typeof computeComplianceScoresParams>;

// For one workspace: the window is the `windowDays` local days before the local day of the
// scheduled time. Expected = due windows of each active checklist (daily: each day; weekly:
// each ISO week; monthly: each month) that lie wholly inside it, per site. A due window is
// met on time when a record started in it was submitted by its deadline, late when its
// records were all submitted after the deadline.
const SCORE_SQL = `
  WITH bounds AS (
    SELECT w.id AS workspace_id, w.time_zone,
           date_trunc('day', $2::timestamptz AT TIME ZONE w.time_zone) AS local_end,
           date_trunc('day', $2::timestamptz AT TIME ZONE w.time_zone) - make_interval(days => $3) AS local_start
    FROM workspaces w WHERE w.id = $1
  ), checklists AS (
    SELECT t.id AS template_id, t.category, batch_checklist_cadence(t.category, t.checklist_cadence) AS cadence
    FROM form_templates t WHERE t.workspace_id = $1 AND t.active AND t.deleted_at IS NULL
  ), windows AS (
    SELECT c.template_id, c.cadence, g.local_window
    FROM checklists c CROSS JOIN bounds b
    CROSS JOIN LATERAL generate_series(
      CASE c.cadence WHEN 'daily' THEN b.local_start
                     WHEN 'weekly' THEN date_trunc('week', b.local_start - interval '1 day') + interval '1 week'
                     ELSE date_trunc('month', b.local_start - interval '1 day') + interval '1 month' END,
      b.local_end - CASE c.cadence WHEN 'daily' THEN interval '1 day' WHEN 'weekly' THEN interval '1 week' ELSE interval '1 month' END,
      CASE c.cadence WHEN 'daily' THEN interval '1 day' WHEN 'weekly' THEN interval '1 week' ELSE interval '1 month' END
    ) AS g(local_window)
  ), expected AS (
    SELECT s.id AS site_id, w.template_id, w.local_window AT TIME ZONE b.time_zone AS window_start
    FROM windows w CROSS JOIN bounds b
    JOIN sites s ON s.workspace_id = b.workspace_id AND s.deleted_at IS NULL
  ), met AS (
    SELECT r.site_id, r.template_id, batch_window_start(c.cadence, r.created_at, b.time_zone) AS window_start,
           bool_or(r.submitted_at <= batch_window_deadline(c.category, c.cadence, r.created_at, b.time_zone)) AS on_time
    FROM records r JOIN checklists c ON c.template_id = r.template_id CROSS JOIN bounds b
    WHERE r.workspace_id = $1 AND r.status = 'submitted' AND r.deleted_at IS NULL AND r.site_id IS NOT NULL
      AND r.created_at >= b.local_start AT TIME ZONE b.time_zone AND r.created_at < b.local_end AT TIME ZONE b.time_zone
    GROUP BY 1, 2, 3
  ), scores AS (
    SELECT s.id AS site_id, b.local_end::date AS window_end,
           count(e.window_start)::integer AS expected,
           count(*) FILTER (WHERE m.on_time)::integer AS on_time,
           count(*) FILTER (WHERE m.on_time = false)::integer AS late
    FROM sites s CROSS JOIN bounds b
    LEFT JOIN expected e ON e.site_id = s.id
    LEFT JOIN met m ON m.site_id = e.site_id AND m.template_id = e.template_id AND m.window_start = e.window_start
    WHERE s.workspace_id = $1 AND s.deleted_at IS NULL
    GROUP BY s.id, b.local_end
  ), written AS (
    INSERT INTO compliance_scores AS c (site_id, workspace_id, window_end, window_days, expected, submitted_on_time,
                                        submitted_late, score)
    SELECT site_id, $1, window_end, $3, expected, on_time, late,
           CASE WHEN expected > 0 THEN round(on_time::numeric / expected, 4) END
    FROM scores
    ON CONFLICT (site_id, window_end, window_days) DO UPDATE
      SET expected = EXCLUDED.expected, submitted_on_time = EXCLUDED.submitted_on_time,
          submitted_late = EXCLUDED.submitted_late, score = EXCLUDED.score, computed_at = now()
      WHERE (c.expected, c.submitted_on_time, c.submitted_late) IS DISTINCT FROM
            (EXCLUDED.expected, EXCLUDED.submitted_on_time, EXCLUDED.submitted_late)
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM scores)::integer AS sites, (SELECT count(*) FROM written)::integer AS written`;

/** Computes per site: checklist windows met on time / windows expected over the last N local days. */
export async function computeComplianceScores(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, scheduledTime, params, signal } = ctx;
  const { rows: workspaces } = await db.query<{ id: number }>(
    'SELECT id FROM workspaces WHERE deleted_at IS NULL ORDER BY id',
  );
  const totals = { workspaces: 0, sites: 0, written: 0 };
  for (const workspace of workspaces) {
    throwIfStopped(signal);
    const counts = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ sites: number; written: number }>(SCORE_SQL, [
        workspace.id,
        scheduledTime,
        params.windowDays,
      ]);
      throwIfStopped(signal);
      return rows[0];
    });
    totals.workspaces++;
    totals.sites += counts?.sites ?? 0;
    totals.written += counts?.written ?? 0;
  }
  return { windowDays: params.windowDays, ...totals };
}

export const computeComplianceScoresJob = defineJob({
  command: 'compute-compliance-scores',
  description: 'Per site: checklist windows submitted on time / expected over the last N days',
  params: computeComplianceScoresParams,
  example: 'compute-compliance-scores --window-days 30',
  run: computeComplianceScores,
});
