import { z } from 'zod';
import { before, inBatches } from '../batches.ts';
import { defineJob, type JobContext, type JobResult } from '../job-context.ts';
import { batchSize, hours } from '../params.ts';

export const escalateCorrectiveActionsParams = z.object({ overdueHours: hours(), batchSize: batchSize() });
type Params = z.output<typeof escalateCorrectiveActionsParams>;

// Marks a batch escalated and enqueues one escalation per action to the workspace's owners,
// admins and managers, in the same transaction: either both happen or neither.
const ESCALATE_SQL = `
  WITH due AS (
    SELECT id FROM corrective_actions
    WHERE resolved_at IS NULL AND escalated_at IS NULL AND due_at < $1
    ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
  ), escalated AS (
    UPDATE corrective_actions c SET escalated_at = $3 FROM due WHERE c.id = due.id
    RETURNING c.id, c.workspace_id, c.record_id, c.description, c.due_at, c.assignee_id
  ), enqueued AS (
    INSERT INTO notification_outbox (dedupe_key, kind, workspace_id, recipient_ids, payload)
    SELECT 'corrective-action-escalation:' || e.id, 'corrective-action-escalation', e.workspace_id, rcpt.ids,
           jsonb_build_object('correctiveActionId', e.id, 'recordId', e.record_id, 'description', e.description,
                              'dueAt', e.due_at, 'assigneeId', e.assignee_id, 'overdueHours', $4::integer)
    FROM escalated e
    CROSS JOIN LATERAL (
      SELECT coalesce(array_agg(u.id ORDER BY u.id), '{}') AS ids FROM users u
      WHERE u.workspace_id = e.workspace_id AND u.deactivated_at IS NULL AND u.role IN ('owner', 'admin', 'manager')
    ) rcpt
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM escalated)::integer AS escalated, (SELECT count(*) FROM enqueued)::integer AS enqueued`;

/** Escalates (once) unresolved corrective actions more than `overdueHours` past due at the scheduled time. */
export async function escalateCorrectiveActions(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, scheduledTime, params, signal, logger } = ctx;
  const cutoff = before(scheduledTime, { hours: params.overdueHours });
  let notifications = 0;
  const escalated = await inBatches(
    { db, signal, logger, batchSize: params.batchSize, label: 'escalate-corrective-actions' },
    async (tx) => {
      const { rows } = await tx.query<{ escalated: number; enqueued: number }>(ESCALATE_SQL, [
        cutoff,
        params.batchSize,
        scheduledTime,
        params.overdueHours,
      ]);
      notifications += rows[0]?.enqueued ?? 0;
      return rows[0]?.escalated ?? 0;
    },
  );
  return { dueBefore: cutoff.toISOString(), escalated, notifications };
}

export const escalateCorrectiveActionsJob = defineJob({
  command: 'escalate-corrective-actions',
  description: 'Escalate unresolved corrective actions overdue by N hours, once, with a notification',
  params: escalateCorrectiveActionsParams,
  example: 'escalate-corrective-actions --overdue-hours 24',
  run: escalateCorrectiveActions,
});
