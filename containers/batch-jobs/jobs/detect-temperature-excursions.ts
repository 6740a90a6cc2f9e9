import { z } from 'zod';
import { before } from '../batches.ts';
import { defineJob, type JobContext, type JobResult } from '../job-context.ts';
import { hours, minutes } from '../params.ts';

export const detectTemperatureExcursionsParams = z.object({
  lookbackMinutes: minutes(),
  /** Time allowed to resolve the corrective action, from the record's submission. */
  dueHours: hours().default(24),
});
type Params = z.output<typeof detectTemperatureExcursionsParams>;

// The unique index on (record_id, field_key) makes the insert idempotent, so overlapping
// lookback windows (a run every 15 minutes looking back 30) create each action once.
const DETECT_SQL = `
  INSERT INTO corrective_actions (record_id, workspace_id, description, due_at, field_key)
  SELECT r.id, r.workspace_id,
         CASE w.locale
           WHEN 'ja' THEN format('温度逸脱: %s が %s%s（許容範囲 %s〜%s）', f.label, r."values" ->> f.key,
                                 coalesce(f.unit, '℃'), coalesce(f.min_value::text, '-∞'), coalesce(f.max_value::text, '∞'))
           ELSE format('Temperature excursion: %s is %s%s (allowed %s to %s)', f.label, r."values" ->> f.key,
                       coalesce(f.unit, '°C'), coalesce(f.min_value::text, '-inf'), coalesce(f.max_value::text, 'inf'))
         END,
         r.submitted_at + make_interval(hours => $3), f.key
  FROM records r
  JOIN workspaces w ON w.id = r.workspace_id
  JOIN template_fields f ON f.template_id = r.template_id AND f.type = 'temperature'
  WHERE r.status = 'submitted' AND r.deleted_at IS NULL
    AND r.submitted_at >= $1 AND r.submitted_at < $2
    AND jsonb_typeof(r."values" -> f.key) = 'number'
    AND ((f.min_value IS NOT NULL AND (r."values" ->> f.key)::numeric < f.min_value)
      OR (f.max_value IS NOT NULL AND (r."values" ->> f.key)::numeric > f.max_value))
  ON CONFLICT (record_id, field_key) WHERE field_key IS NOT NULL DO NOTHING`;

/**
 * Opens a corrective action for every temperature reading out of its allowed range in
 * records submitted during the lookback window before the scheduled time.
 */
export async function detectTemperatureExcursions(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, scheduledTime, params } = ctx;
  const from = before(scheduledTime, { minutes: params.lookbackMinutes });
  const result = await db.query(DETECT_SQL, [from, scheduledTime, params.dueHours]);
  return {
    windowStart: from.toISOString(),
    windowEnd: scheduledTime.toISOString(),
    created: result.rowCount,
  };
}

export const detectTemperatureExcursionsJob = defineJob({
  command: 'detect-temperature-excursions',
  description: 'Open corrective actions for out-of-range temperatures in recently submitted records',
  params: detectTemperatureExcursionsParams,
  example: 'detect-temperature-excursions --lookback-minutes 30',
  run: detectTemperatureExcursions,
});
