import { z } from 'zod';
import { before, inBatches } from '../batches.ts';
import { defineJob, type JobContext, type JobResult } from '../job-context.ts';
import { batchSize, days } from '../params.ts';

export const deactivateDormantUsersParams = z.object({ inactiveDays: days(), batchSize: batchSize() });
type Params = z.output<typeof deactivateDormantUsersParams>;

// Only managers and staff are ever deactivated: owners and admins are the people who can
// reactivate others, so removing them could lock a workspace out of its own account.
const DEACTIVATE_SQL = `
  WITH dormant AS (
    SELECT id FROM users
    WHERE deactivated_at IS NULL AND role IN ('manager', 'staff') AND coalesce(last_login_at, created_at) < $1
    ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
  ), deactivated AS (
    UPDATE users u SET deactivated_at = $3 FROM dormant WHERE u.id = dormant.id
    RETURNING u.id, u.workspace_id, u.role, u.last_login_at
  ), audited AS (
    INSERT INTO audit_logs (workspace_id, actor_id, action, entity_type, entity_id, detail)
    SELECT workspace_id, NULL, 'user.deactivated', 'user', id::text,
           jsonb_build_object('reason', 'dormant', 'inactiveDays', $4::integer, 'role', role,
                              'lastLoginAt', last_login_at, 'scheduledTime', $3::timestamptz)
    FROM deactivated
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM deactivated)::integer AS deactivated, (SELECT count(*) FROM audited)::integer AS audited`;

/**
 * Deactivates managers and staff with no login (or, never logged in, no account creation)
 * within `inactiveDays` before the scheduled time, with one audit entry per user.
 */
export async function deactivateDormantUsers(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, scheduledTime, params, signal, logger } = ctx;
  const cutoff = before(scheduledTime, { days: params.inactiveDays });
  const deactivated = await inBatches(
    { db, signal, logger, batchSize: params.batchSize, label: 'deactivate-dormant-users' },
    async (tx) => {
      const { rows } = await tx.query<{ deactivated: number }>(DEACTIVATE_SQL, [
        cutoff,
        params.batchSize,
        scheduledTime,
        params.inactiveDays,
      ]);
      return rows[0]?.deactivated ?? 0;
    },
  );
  return { inactiveSince: cutoff.toISOString(), deactivated };
}

export const deactivateDormantUsersJob = defineJob({
  command: 'deactivate-dormant-users',
  description:
    'Deactivate managers and staff with no login for N days (never owners or admins), audit-logged',
  params: deactivateDormantUsersParams,
  example: 'deactivate-dormant-users --inactive-days 90',
  run: deactivateDormantUsers,
});
