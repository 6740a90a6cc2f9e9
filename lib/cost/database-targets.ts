/**
 * The export targets a run would get, counted read-only from the records database: the
 * same due settings and record filter as the enqueue Lambda, without recording anything.
 */
import { DUE_SETTINGS } from '../../functions/enqueue-exports/enqueue-exports.ts';
import { exportPeriod } from '../../functions/enqueue-exports/period.ts';
import type { Database } from '../db/index.ts';
import type { ExportSettings } from '../schedule/job-spec.ts';

export interface DatabaseTargets {
  period: string;
  targets: Array<{ recordCount: number }>;
}

/** Record counts per due workspace × template for the period that a run at `scheduledTime` exports. */
export async function targetsInDatabase(
  db: Database,
  settings: Pick<ExportSettings, 'frequency'>,
  scheduledTime: Date,
  timezone: string,
): Promise<DatabaseTargets> {
  const period = exportPeriod(settings.frequency, scheduledTime, timezone);
  const result = await db.query<{ record_count: number | string }>(
    `SELECT (SELECT count(*) FROM records r
              WHERE r.template_id = due.template_id AND r.status = 'submitted' AND r.deleted_at IS NULL
                AND r.submitted_at >= $2 AND r.submitted_at < $3) AS record_count
     FROM (${DUE_SETTINGS}) due`,
    [settings.frequency, period.start, period.end],
  );
  return {
    period: period.label,
    targets: result.rows.map((row) => ({ recordCount: Number(row.record_count) })),
  };
}
