import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gunzipSync } from 'node:zlib';
import { z } from 'zod';
import type { Database } from '#lib/db/index.ts';
import type { ObjectStorage } from '#lib/storage/index.ts';
import { before } from '../batches.ts';
import { defineJob, type JobContext, type JobResult, throwIfStopped } from '../job-context.ts';
import { batchSize, days } from '../params.ts';

export const archiveAuditLogsParams = z.object({ olderThanDays: days(), batchSize: batchSize() });
type Params = z.output<typeof archiveAuditLogsParams>;

interface AuditRow extends Record<string, unknown> {
  id: number;
  workspace_id: number;
  actor_id: number | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  at: Date;
  detail: unknown;
}

/** Object key of one UTC day's archive. */
export function auditArchiveKey(day: Date): string {
  const iso = day.toISOString();
  return `audit-archive/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}.jsonl.gz`;
}

function toLine(row: AuditRow): string {
  return `${JSON.stringify({
    id: row.id,
    workspaceId: row.workspace_id,
    actorId: row.actor_id,
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    at: row.at.toISOString(),
    detail: row.detail,
  })}\n`;
}

/** Lines already archived for the day (a previous run may have died before deleting the rows). */
async function readExisting(
  storage: ObjectStorage,
  key: string,
): Promise<{ lines: string[]; ids: Set<number> }> {
  if (!(await storage.exists(key))) return { lines: [], ids: new Set() };
  const text = gunzipSync(await storage.getObject(key)).toString('utf8');
  const lines = text.split('\n').filter((line) => line.length > 0);
  const ids = new Set<number>();
  for (const line of lines) {
    const id: unknown = (JSON.parse(line) as { id?: unknown }).id;
    if (typeof id !== 'number')
      throw new Error(`archive ${key} has a line without a numeric id; fix or move the object`);
    ids.add(id);
  }
  return { lines: lines.map((line) => `${line}\n`), ids };
}

async function archiveDay(
  db: Database,
  storage: ObjectStorage,
  dayStart: Date,
  chunk: number,
  signal: AbortSignal,
) {
  const dayEnd = new Date(dayStart.getTime() + 86_400_000);
  const key = auditArchiveKey(dayStart);
  const existing = await readExisting(storage, key);
  const seen: number[] = [];
  let lineCount = existing.lines.length;
  async function* lines() {
    yield* existing.lines;
    for await (const rows of db.cursor<AuditRow>(
      `SELECT id, workspace_id, actor_id, action, entity_type, entity_id, at, detail
       FROM audit_logs WHERE at >= $1 AND at < $2 ORDER BY at, id`,
      [dayStart, dayEnd],
      chunk,
    )) {
      throwIfStopped(signal);
      for (const row of rows) {
        seen.push(row.id);
        if (existing.ids.has(row.id)) continue;
        lineCount++;
        yield toLine(row);
      }
    }
  }
  // Published atomically: readers (and a rerun) see the old complete file or the new one.
  const { bytes } = await storage.writeAtomically(key, (sink) =>
    pipeline(Readable.from(lines()), createGzip(), sink),
  );
  return { key, bytes, lineCount, ids: seen };
}

/**
 * Moves audit log entries older than `olderThanDays` (whole UTC days before the scheduled
 * time) to storage as gzip JSON lines, one object per day, then deletes them. An existing
 * day object is merged by entry id, so a rerun after a crash never duplicates a line.
 */
export async function archiveAuditLogs(ctx: JobContext<Params>): Promise<JobResult> {
  const { db, storage, scheduledTime, params, signal, logger } = ctx;
  const limit = before(scheduledTime, { days: params.olderThanDays });
  const cutoff = new Date(Date.UTC(limit.getUTCFullYear(), limit.getUTCMonth(), limit.getUTCDate()));
  const totals = { days: 0, lines: 0, deleted: 0, bytes: 0 };
  for (;;) {
    throwIfStopped(signal);
    const { rows } = await db.query<{ first: Date | null }>(
      'SELECT min(at) AS first FROM audit_logs WHERE at < $1',
      [cutoff],
    );
    const first = rows[0]?.first;
    if (!first) break;
    const dayStart = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate()));
    const day = await archiveDay(db, storage, dayStart, params.batchSize, signal);
    for (let start = 0; start < day.ids.length; start += params.batchSize) {
      throwIfStopped(signal);
      const ids = day.ids.slice(start, start + params.batchSize);
      await db.transaction(async (tx) => {
        const result = await tx.query('DELETE FROM audit_logs WHERE id = ANY($1::bigint[])', [ids]);
        throwIfStopped(signal);
        totals.deleted += result.rowCount;
      });
    }
    await db.query(
      `INSERT INTO audit_log_archives (day, object_key, line_count, bytes) VALUES ($1::date, $2, $3, $4)
       ON CONFLICT (day) DO UPDATE SET line_count = EXCLUDED.line_count, bytes = EXCLUDED.bytes, archived_at = now()`,
      [dayStart.toISOString().slice(0, 10), day.key, day.lineCount, day.bytes],
    );
    logger.info('audit day archived', { key: day.key, lines: day.lineCount, deleted: day.ids.length });
    totals.days++;
    totals.lines += day.lineCount;
    totals.bytes += day.bytes;
  }
  return { archivedBefore: cutoff.toISOString(), ...totals };
}

export const archiveAuditLogsJob = defineJob({
  command: 'archive-audit-logs',
  description: 'Archive audit logs older than N days to storage as gzip JSON lines per day, then delete them',
  params: archiveAuditLogsParams,
  example: 'archive-audit-logs --older-than-days 90',
  run: archiveAuditLogs,
});
