import type { Database } from '#lib/db/index.ts';
import type { Logger } from '#lib/logger.ts';
import { throwIfStopped } from './job-context.ts';

export interface BatchLoop {
  db: Database;
  signal: AbortSignal;
  logger: Logger;
  batchSize: number;
  /** Names the loop in the per-batch log lines. */
  label: string;
}

/**
 * Runs `step` in one transaction per batch until it handles fewer rows than the batch
 * size. The stop signal is checked before each batch and again just before COMMIT, so a
 * SIGTERM rolls back the open batch and keeps the committed ones: data stays consistent.
 */
export async function inBatches(loop: BatchLoop, step: (tx: Database) => Promise<number>): Promise<number> {
  let total = 0;
  for (let batch = 1; ; batch++) {
    throwIfStopped(loop.signal);
    const handled = await loop.db.transaction(async (tx) => {
      const rows = await step(tx);
      throwIfStopped(loop.signal);
      return rows;
    });
    total += handled;
    loop.logger.debug('batch committed', { loop: loop.label, batch, rows: handled, total });
    if (handled < loop.batchSize) return total;
  }
}

/** `scheduledTime` minus a whole number of days, hours or minutes. */
export function before(
  scheduledTime: Date,
  amount: { days?: number; hours?: number; minutes?: number },
): Date {
  const ms = ((amount.days ?? 0) * 24 * 60 + (amount.hours ?? 0) * 60 + (amount.minutes ?? 0)) * 60_000;
  return new Date(scheduledTime.getTime() - ms);
}

/**
 * SQL selecting, for every live workspace, the local calendar period (`day` | `week` |
 * `month`, ISO weeks start on Monday) that ended last before `$1` (the scheduled time), in
 * the workspace's own time zone: `id`, `time_zone`, `period_start` (local date),
 * `starts_at` and `ends_at` (instants). Parameters: $1 scheduled time, $2 unit.
 */
export const PREVIOUS_LOCAL_PERIOD_SQL = `
  SELECT w.id, w.time_zone,
         (p.local_end - ('1 ' || $2)::interval)::date AS period_start,
         (p.local_end - ('1 ' || $2)::interval) AT TIME ZONE w.time_zone AS starts_at,
         p.local_end AT TIME ZONE w.time_zone AS ends_at
  FROM workspaces w
  CROSS JOIN LATERAL (SELECT date_trunc($2, $1::timestamptz AT TIME ZONE w.time_zone) AS local_end) p
  WHERE w.deleted_at IS NULL
  ORDER BY w.id`;

export interface WorkspacePeriod extends Record<string, unknown> {
  id: number;
  time_zone: string;
  period_start: string;
  starts_at: Date;
  ends_at: Date;
}
