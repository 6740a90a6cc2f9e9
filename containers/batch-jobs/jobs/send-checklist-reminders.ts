import { z } from 'zod';
import { defineJob, type JobContext, type JobResult, throwIfStopped } from '../job-context.ts';

const shift = z.enum(['opening', 'closing', 'weekly', 'monthly'], {
  error: 'expected one of opening, closing, weekly, monthly',
});

const localHours = z
  .string()
  .regex(/^\d{1,2}-\d{1,2}$/, { error: 'expected local hours as FROM-TO, e.g. 6-12' })
  .transform((value) => value.split('-').map(Number) as [number, number])
  .refine(([from, to]) => from < to && to <= 24, { error: 'expected FROM < TO <= 24, e.g. 18-24' });

/**
 * Daily shifts remind a workspace only while the scheduled time falls in these local hours,
 * so the one job can be scheduled per region (Tokyo 10:30, London 22:30, ...) without
 * reminding another region's stores in the middle of their night or before they open.
 */
const DEFAULT_LOCAL_HOURS = { opening: '6-12', closing: '18-24', weekly: '0-24', monthly: '0-24' } as const;

export const sendChecklistRemindersParams = z
  .object({ shift, localHours: z.string().optional() })
  .transform((params, ctx) => {
    const parsed = localHours.safeParse(params.localHours ?? DEFAULT_LOCAL_HOURS[params.shift]);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        ctx.addIssue({ code: 'custom', message: issue.message, path: ['localHours'] });
      return z.NEVER;
    }
    return { shift: params.shift, localHours: parsed.data };
  });
type Params = z.output<typeof sendChecklistRemindersParams>;

// Which templates a shift reminds about: daily opening / closing checklists by category,
// weekly and monthly checklists by cadence (see batch_checklist_cadence in 0100_batch_jobs.sql).
const SHIFT_FILTER = {
  opening: `c.cadence = 'daily' AND t.category = 'opening'`,
  closing: `c.cadence = 'daily' AND t.category = 'closing'`,
  weekly: `c.cadence = 'weekly'`,
  monthly: `c.cadence = 'monthly'`,
} as const;

// The due window is the local day / ISO week / month containing the scheduled time. A
// (template, site) pair is reminded when no record was submitted in that window up to the
// scheduled time; the dedupe key (template, site, window) makes a rerun enqueue nothing.
function reminderSql(shift: Params['shift']): string {
  return `
    WITH due AS (
      SELECT w.id AS workspace_id, w.locale, t.id AS template_id, t.name AS template_name, t.category,
             s.id AS site_id, s.name AS site_name, c.cadence,
             batch_window_start(c.cadence, $2, w.time_zone) AS window_start,
             batch_window_deadline(t.category, c.cadence, $2, w.time_zone) AS deadline
      FROM form_templates t
      JOIN workspaces w ON w.id = t.workspace_id AND w.deleted_at IS NULL
      JOIN sites s ON s.workspace_id = w.id AND s.deleted_at IS NULL
      CROSS JOIN LATERAL (SELECT batch_checklist_cadence(t.category, t.checklist_cadence) AS cadence) c
      WHERE t.workspace_id = $1 AND t.active AND t.deleted_at IS NULL AND ${SHIFT_FILTER[shift]}
        AND extract(hour FROM $2::timestamptz AT TIME ZONE w.time_zone) >= $4
        AND extract(hour FROM $2::timestamptz AT TIME ZONE w.time_zone) < $5
    ), missing AS (
      SELECT d.* FROM due d
      WHERE NOT EXISTS (
        SELECT 1 FROM records r
        WHERE r.template_id = d.template_id AND r.site_id = d.site_id AND r.status = 'submitted'
          AND r.deleted_at IS NULL AND r.submitted_at >= d.window_start AND r.submitted_at <= $2)
    ), inserted AS (
      INSERT INTO notification_outbox (dedupe_key, kind, workspace_id, recipient_ids, payload)
      SELECT 'checklist-reminder:' || m.template_id || ':' || m.site_id || ':' || to_char(m.window_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"'),
             'checklist-reminder', m.workspace_id, rcpt.ids,
             jsonb_build_object('shift', $3::text, 'templateId', m.template_id, 'templateName', m.template_name,
                                'siteId', m.site_id, 'siteName', m.site_name, 'cadence', m.cadence,
                                'windowStart', m.window_start, 'deadline', m.deadline, 'locale', m.locale)
      FROM missing m
      CROSS JOIN LATERAL (
        SELECT coalesce(array_agg(u.id ORDER BY u.id), '{}') AS ids FROM users u
        WHERE u.workspace_id = m.workspace_id AND u.deactivated_at IS NULL AND u.role IN ('manager', 'staff')
      ) rcpt
      ON CONFLICT (dedupe_key) DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM due)::integer AS due, (SELECT count(*) FROM missing)::integer AS missing,
           (SELECT count(*) FROM inserted)::integer AS enqueued`;
}

/**
 * Enqueues one reminder per (template, site, due window) for checklists of the shift that
 * have no submitted record in the window containing the scheduled time, for workspaces whose
 * local time is within the shift's reminder hours.
 */
export async function sendChecklistReminders(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, scheduledTime, params, signal } = ctx;
  const sql = reminderSql(params.shift);
  const { rows: workspaces } = await db.query<{ id: number }>(
    'SELECT id FROM workspaces WHERE deleted_at IS NULL ORDER BY id',
  );
  const totals = { workspaces: 0, due: 0, missing: 0, enqueued: 0 };
  for (const workspace of workspaces) {
    throwIfStopped(signal);
    const counts = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ due: number; missing: number; enqueued: number }>(sql, [
        workspace.id,
        scheduledTime,
        params.shift,
        params.localHours[0],
        params.localHours[1],
      ]);
      throwIfStopped(signal);
      return rows[0];
    });
    totals.workspaces++;
    totals.due += counts?.due ?? 0;
    totals.missing += counts?.missing ?? 0;
    totals.enqueued += counts?.enqueued ?? 0;
  }
  return { shift: params.shift, localHours: params.localHours.join('-'), ...totals };
}

export const sendChecklistRemindersJob = defineJob({
  command: 'send-checklist-reminders',
  description: 'Enqueue reminders for checklists of a shift not yet submitted in their due window',
  params: sendChecklistRemindersParams,
  example: 'send-checklist-reminders --shift closing --local-hours 18-24',
  run: sendChecklistReminders,
});
