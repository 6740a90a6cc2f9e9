import type { Writable } from 'node:stream';
import { z } from 'zod';
import type { ConvertBatchParams, ExportManifest, ExportTarget } from '#lib/contracts/export.ts';
import type { Database } from '#lib/db/index.ts';
import type { Logger } from '#lib/logger.ts';
import type { ObjectStorage, PendingPublish } from '#lib/storage/index.ts';
import { prefetch } from './prefetch.ts';
import { loadTemplateSheet, RECORDS_SQL, type RecordRow, toRawRows } from './template-sheet.ts';
import { writeXlsxSheet } from './xlsx-writer.ts';

/** Rows per cursor FETCH: big enough to amortise the round trip, small enough to keep memory flat. */
const FETCH_ROWS = 2000;

export interface ConvertDeps {
  db: Database;
  storage: ObjectStorage;
  logger: Logger;
  /** Aborted on SIGTERM: the current file is abandoned (nothing at its key) and the target stays not done. */
  signal: AbortSignal;
  /**
   * Tests only: runs after a file is published and before its target is marked done, to
   * crash the process in that window (main.ts wires it to SFN_BATCH_TEST_KILL_AFTER_PUBLISH).
   */
  afterPublish?: () => void;
}

export interface BatchSummary {
  converted: number;
  skipped: number;
  /** Published by an earlier attempt that died before marking them done; now marked done. */
  recovered: number;
  failed: { targetId: string; error: string }[];
}

/** The manifest or the batch named by the input cannot be used: a bad input, not a job failure. */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

const targetSchema = z.object({
  targetId: z.string().min(1),
  workspaceId: z.string().min(1),
  templateId: z.string().min(1),
  objectKey: z.string().min(1),
  recordCount: z.number().int().nonnegative(),
});
const manifestSchema = z.object({
  runId: z.string().min(1),
  job: z.string(),
  period: z.object({ label: z.string(), start: z.string(), end: z.string() }),
  createdAt: z.string(),
  batches: z.array(z.object({ batchIndex: z.number().int().nonnegative(), targets: z.array(targetSchema) })),
});

/** Loads the manifest and returns the targets of the batch `params` names. */
export async function loadBatchTargets(
  storage: ObjectStorage,
  params: ConvertBatchParams,
): Promise<ExportTarget[]> {
  let text: string;
  try {
    text = (await storage.getObject(params.manifestKey)).toString('utf8');
  } catch (error) {
    if (error instanceof Error && error.name === 'ObjectNotFoundError') {
      throw new ManifestError(
        `manifest ${params.manifestKey} does not exist in ${storage.description}; rerun the export so enqueue writes it`,
      );
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ManifestError(`manifest ${params.manifestKey} is not JSON`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new ManifestError(
      `manifest ${params.manifestKey} is malformed: ${parsed.error.issues[0]?.message}`,
    );
  }
  const manifest: ExportManifest = parsed.data;
  if (manifest.runId !== params.runId) {
    throw new ManifestError(
      `manifest ${params.manifestKey} belongs to run ${manifest.runId}, not ${params.runId}`,
    );
  }
  const batch = manifest.batches.find((candidate) => candidate.batchIndex === params.batchIndex);
  if (!batch) {
    throw new ManifestError(
      `manifest ${params.manifestKey} has no batch ${params.batchIndex} (it has ${manifest.batches.length})`,
    );
  }
  return batch.targets;
}

interface TargetStateRow extends Record<string, unknown> {
  status: string;
  publish_version: string | null;
  template_id: number | string;
  object_key: string;
  period_label: string;
  period_start: Date | string;
  period_end: Date | string;
}

const errorText = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * Converts each target of a batch that is not done yet: streams its records with a
 * cursor into the xlsx writer, records the file's version, row count and bytes, publishes
 * atomically at the target's key and marks it done. A target whose recorded version is
 * already at its key (the last attempt died between publish and mark-done) is marked done
 * without converting it again. A failing target is marked failed and
 * the others go on. An abort (SIGTERM) stops at once and rethrows.
 */
export async function convertBatch(
  targets: readonly ExportTarget[],
  deps: ConvertDeps,
): Promise<BatchSummary> {
  const { db, storage, logger, signal } = deps;
  const summary: BatchSummary = { converted: 0, skipped: 0, recovered: 0, failed: [] };
  for (const target of targets) {
    signal.throwIfAborted();
    const state = (
      await db.query<TargetStateRow>(
        `SELECT status, publish_version, template_id, object_key, period_label, period_start, period_end
         FROM export_targets WHERE target_id = $1`,
        [target.targetId],
      )
    ).rows[0];
    if (!state) {
      const error = `export target ${target.targetId} is in the manifest but not in export_targets`;
      logger.error('export target missing', { targetId: target.targetId });
      summary.failed.push({ targetId: target.targetId, error });
      continue;
    }
    if (state.status === 'done') {
      logger.info('export target already done; skipped', {
        targetId: target.targetId,
        objectKey: state.object_key,
      });
      summary.skipped++;
      continue;
    }
    // An earlier attempt recorded this version just before publishing and died before marking
    // the target done: if its file is at the key, that file is this target's export.
    if (
      state.publish_version !== null &&
      (await storage.versionOf(state.object_key)) === state.publish_version
    ) {
      await db.query(
        `UPDATE export_targets SET status = 'done', error = NULL, updated_at = now() WHERE target_id = $1`,
        [target.targetId],
      );
      logger.info('export target already published; marked done', {
        targetId: target.targetId,
        objectKey: state.object_key,
      });
      summary.recovered++;
      continue;
    }
    const started = Date.now();
    try {
      const sheet = await loadTemplateSheet(db, String(state.template_id));
      let rowCount = 0;
      const recordPendingPublish = async ({ bytes, version }: PendingPublish) => {
        await db.query(
          `UPDATE export_targets SET publish_version = $2, row_count = $3, bytes = $4, duration_ms = $5
           WHERE target_id = $1`,
          [target.targetId, version, rowCount, bytes, Date.now() - started],
        );
      };
      const write = async (sink: Writable) => {
        const chunks = db.cursor<RecordRow>(
          RECORDS_SQL,
          [state.template_id, state.period_start, state.period_end],
          FETCH_ROWS,
        );
        const rows = (async function* () {
          for await (const chunk of prefetch(chunks)) yield toRawRows(sheet, chunk);
        })();
        const result = await writeXlsxSheet(
          sink,
          {
            sheetName: `${sheet.templateName} ${state.period_label}`,
            columns: sheet.columns,
            timeZone: sheet.timeZone,
          },
          rows,
          signal,
        );
        rowCount = result.rowCount;
      };
      const { bytes } = await storage.writeAtomically(state.object_key, write, {
        beforePublish: recordPendingPublish,
      });
      deps.afterPublish?.();
      const durationMs = Date.now() - started;
      await db.query(
        `UPDATE export_targets
         SET status = 'done', row_count = $2, bytes = $3, duration_ms = $4, error = NULL, updated_at = now()
         WHERE target_id = $1`,
        [target.targetId, rowCount, bytes, durationMs],
      );
      summary.converted++;
      logger.info('export target converted', {
        targetId: target.targetId,
        objectKey: state.object_key,
        rowCount,
        bytes,
        durationMs,
        rowsPerSecond: Math.round(rowCount / Math.max(durationMs / 1000, 0.001)),
      });
    } catch (error) {
      if (signal.aborted) throw error;
      const message = errorText(error);
      logger.error('export target failed', {
        targetId: target.targetId,
        objectKey: state.object_key,
        error: message,
      });
      await db.query(
        `UPDATE export_targets SET status = 'failed', error = $2, updated_at = now() WHERE target_id = $1`,
        [target.targetId, message.slice(0, 2000)],
      );
      summary.failed.push({ targetId: target.targetId, error: message });
    }
  }
  return summary;
}
