import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  type EnqueueExportsInput,
  type EnqueueExportsOutput,
  EXPORTS_PREFIX,
  type ExportBatchDescriptor,
  type ExportManifest,
  type ExportTarget,
} from '#lib/contracts/export.ts';
import { isValidTimeZone } from '#lib/cron/index.ts';
import type { Database } from '#lib/db/index.ts';
import type { Logger } from '#lib/logger.ts';
import type { ObjectStorage } from '#lib/storage/index.ts';
import { describeZodIssues } from '#lib/zod-issues.ts';
import { packBatches } from './pack-batches.ts';
import { exportPeriod } from './period.ts';

export interface EnqueueExportsDeps {
  db: Database;
  storage: ObjectStorage;
  logger: Logger;
  /** Clock for the manifest's createdAt only; the period never depends on it. */
  now?: () => Date;
}

/** Stable error name: the state machine fails with it, and it is not worth a retry. */
export class InvalidEnqueueInputError extends Error {
  override name = 'InvalidEnqueueInput';
}

const inputSchema = z.object({
  job: z.string().min(1),
  executionArn: z.string().min(1),
  scheduledTime: z.iso.datetime({ offset: true }),
  timezone: z.string().refine(isValidTimeZone, 'must be an IANA time zone such as Asia/Tokyo'),
  frequency: z.enum(['daily', 'weekly', 'monthly']),
  // Synthesis may hand numbers over as strings; both mean the same.
  recordsPerBatch: z.coerce.number().int().positive(),
});

export function parseEnqueueInput(event: unknown): EnqueueExportsInput {
  const parsed = inputSchema.safeParse(event);
  if (!parsed.success) {
    const problems = describeZodIssues(parsed.error);
    throw new InvalidEnqueueInputError(
      `Enqueue input is invalid (${problems}). Expected e.g. {"job":"export-monthly","executionArn":"arn:...",` +
        '"scheduledTime":"2026-11-01T01:00:00+09:00","timezone":"Asia/Tokyo","frequency":"monthly","recordsPerBatch":200000}.',
    );
  }
  return parsed.data;
}

/** Run id: one per execution, so a Lambda retry reuses it and a rerun gets its own manifest. */
export function exportRunId(job: string, periodLabel: string, executionArn: string): string {
  const hash = createHash('sha256').update(executionArn).digest('hex').slice(0, 12);
  return `${job}-${periodLabel}-${hash}`;
}

// Settings due for a run: this frequency, enabled, workspace and template alive (also read by the planner, lib/cost).
export const DUE_SETTINGS = `
  SELECT s.workspace_id, s.template_id
  FROM export_settings s
  JOIN workspaces w ON w.id = s.workspace_id AND w.deleted_at IS NULL
  JOIN form_templates t ON t.id = s.template_id AND t.deleted_at IS NULL
  WHERE s.frequency = $1 AND s.enabled`;

interface TargetRow extends Record<string, unknown> {
  target_id: number | string;
  workspace_id: number | string;
  template_id: number | string;
  object_key: string;
  record_count: number;
  status: 'pending' | 'done' | 'failed';
}

/**
 * Enqueues one export run: computes the period from the scheduled time, records
 * one target per due template and period (idempotent: a rerun re-counts targets
 * not done yet and never duplicates or reopens done ones), packs the targets not
 * done into batches balanced by record count, writes the manifest to storage and
 * returns small batch descriptors.
 */
export async function enqueueExports(
  event: unknown,
  deps: EnqueueExportsDeps,
): Promise<EnqueueExportsOutput> {
  const input = parseEnqueueInput(event);
  const { db, storage, logger } = deps;
  const period = exportPeriod(input.frequency, new Date(input.scheduledTime), input.timezone);
  const runId = exportRunId(input.job, period.label, input.executionArn);
  const manifestKey = `manifests/${runId}.json`;

  const targets = await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO export_runs (run_id, job, frequency, period_label, period_start, period_end, manifest_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (run_id) DO UPDATE SET manifest_key = EXCLUDED.manifest_key`,
      [runId, input.job, input.frequency, period.label, period.start, period.end, manifestKey],
    );
    await tx.query(
      `INSERT INTO export_targets
         (run_id, workspace_id, template_id, period_label, period_start, period_end, object_key, record_count)
       SELECT $2, due.workspace_id, due.template_id, $3, $4, $5,
              '${EXPORTS_PREFIX}' || due.workspace_id || '/' || due.template_id || '/' || $3 || '.xlsx',
              (SELECT count(*) FROM records r
                WHERE r.template_id = due.template_id AND r.status = 'submitted' AND r.deleted_at IS NULL
                  AND r.submitted_at >= $4 AND r.submitted_at < $5)
       FROM (${DUE_SETTINGS}) due
       ON CONFLICT (workspace_id, template_id, period_label) DO UPDATE
         SET run_id = EXCLUDED.run_id, record_count = EXCLUDED.record_count,
             status = 'pending', error = NULL, updated_at = now()
         WHERE export_targets.status <> 'done'`,
      [input.frequency, runId, period.label, period.start, period.end],
    );
    const result = await tx.query<TargetRow>(
      `SELECT e.target_id, e.workspace_id, e.template_id, e.object_key, e.record_count, e.status
       FROM export_targets e
       JOIN (${DUE_SETTINGS}) due ON due.workspace_id = e.workspace_id AND due.template_id = e.template_id
       WHERE e.period_label = $2
       ORDER BY e.target_id`,
      [input.frequency, period.label],
    );
    return result.rows;
  });

  const pending: ExportTarget[] = targets
    .filter((row) => row.status !== 'done')
    .map((row) => ({
      targetId: String(row.target_id),
      workspaceId: String(row.workspace_id),
      templateId: String(row.template_id),
      objectKey: row.object_key,
      recordCount: Number(row.record_count),
    }));
  const packed = packBatches(pending, input.recordsPerBatch);
  const manifest: ExportManifest = {
    runId,
    job: input.job,
    period,
    createdAt: (deps.now?.() ?? new Date()).toISOString(),
    batches: packed.map((batch, batchIndex) => ({ batchIndex, targets: batch })),
  };
  await storage.putObject(manifestKey, JSON.stringify(manifest));

  const batches: ExportBatchDescriptor[] = manifest.batches.map((batch) => ({
    runId,
    manifestKey,
    batchIndex: batch.batchIndex,
    targetCount: batch.targets.length,
    recordCount: batch.targets.reduce((sum, target) => sum + target.recordCount, 0),
  }));
  const output: EnqueueExportsOutput = {
    runId,
    period,
    manifestKey,
    targetCount: targets.length,
    pendingTargetCount: pending.length,
    recordCount: pending.reduce((sum, target) => sum + target.recordCount, 0),
    batches,
    files: {
      storage: storage.description,
      prefix: EXPORTS_PREFIX,
      keyPattern: `${EXPORTS_PREFIX}<workspace>/<template>/${period.label}.xlsx`,
      count: pending.length,
      periodTotal: targets.length,
    },
  };
  logger.info('export targets enqueued', {
    runId,
    period,
    targetCount: output.targetCount,
    pendingTargetCount: output.pendingTargetCount,
    doneTargetCount: targets.length - pending.length,
    recordCount: output.recordCount,
    batchCount: batches.length,
    manifestKey,
  });
  return output;
}
