import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueExports } from '#functions/enqueue-exports/enqueue-exports.ts';
import type { EnqueueExportsOutput } from '#lib/contracts/export.ts';
import type { Database } from '#lib/db/index.ts';
import { migrate, openDatabase } from '#lib/db/index.ts';
import { type PgliteServer, servePglite } from '#lib/db/serve-pglite.ts';
import { createLogger } from '#lib/logger.ts';
import type { ObjectStorage } from '#lib/storage/index.ts';
import { openStorage } from '#lib/storage/index.ts';
import {
  type Fixture,
  libreOfficeRows,
  SMALL_FIELDS,
  seedExportFixture,
  startConverter,
  type TargetRow,
} from './export-fixtures.ts';

// End to end as on AWS: enqueue in process (the Lambda), the converter as a real
// child process reaching the embedded database over the wire, files opened with
// LibreOffice. Slow (PGlite seeding, LibreOffice start-up), hence the timeouts.
const BIG_RECORDS = 60_000;
const logger = createLogger('enqueue-exports-test');
const monthlyInput = (executionArn: string) => ({
  job: 'export-monthly-xlsx',
  executionArn,
  scheduledTime: '2026-11-01T01:00:00+09:00',
  timezone: 'Asia/Tokyo',
  frequency: 'monthly',
  recordsPerBatch: 10_000,
});

let db: Database;
let server: PgliteServer;
let storage: ObjectStorage;
let dataDir: string;
let fixture: Fixture;
let converterEnv: Record<string, string>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'export-e2e-'));
  db = await openDatabase({ dataDir: 'memory://' });
  await migrate(db);
  fixture = await seedExportFixture(db, BIG_RECORDS);
  server = await servePglite(db);
  storage = openStorage({ rootDir: join(dataDir, 'objects') });
  converterEnv = { DATABASE_URL: server.url, SFN_BATCH_DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: 'WARN' };
}, 120_000);

afterAll(async () => {
  await server?.close();
  await db?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function targetOf(templateId: number): Promise<TargetRow> {
  const row = (
    await db.query<TargetRow>(
      `SELECT target_id, template_id, status, row_count, bytes, duration_ms, publish_version, object_key
       FROM export_targets WHERE template_id = $1`,
      [templateId],
    )
  ).rows[0];
  if (!row) throw new Error(`no export target for template ${templateId}`);
  return row;
}

function converterInput(
  output: EnqueueExportsOutput,
  templateId: number,
  manifestTargets: Map<number, number>,
) {
  const batchIndex = manifestTargets.get(templateId);
  if (batchIndex === undefined) throw new Error(`template ${templateId} is in no batch`);
  return {
    job: 'export-monthly-xlsx',
    executionArn: 'arn:aws:states:ap-northeast-1:123456789012:execution:export:run-1',
    scheduledTime: '2026-11-01T01:00:00+09:00',
    params: { runId: output.runId, manifestKey: output.manifestKey, batchIndex },
  };
}

async function batchOfTemplate(output: EnqueueExportsOutput): Promise<Map<number, number>> {
  const manifest = JSON.parse((await storage.getObject(output.manifestKey)).toString('utf8')) as {
    batches: { batchIndex: number; targets: { templateId: string }[] }[];
  };
  const map = new Map<number, number>();
  for (const batch of manifest.batches) {
    for (const target of batch.targets) map.set(Number(target.templateId), batch.batchIndex);
  }
  return map;
}

/** What a user sees in the cell, computed from the database value of one field. */
function shownValue(kind: string, value: unknown, field?: { min?: number; max?: number }): string {
  const tokyo = (iso: string) =>
    new Date(Date.parse(iso) + 9 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
  if (value === undefined || value === null) return '';
  switch (kind) {
    case 'temperature':
      void field;
      return (value as number).toFixed(1);
    case 'datetime':
      return tokyo(value instanceof Date ? value.toISOString() : String(value));
    case 'yes_no':
      return value ? 'TRUE' : 'FALSE';
    case 'multi_choice':
      return (value as string[]).join(', ');
    case 'signature': {
      const signature = value as { signedBy: string; signedAt: string };
      return `signed by ${signature.signedBy} at ${tokyo(signature.signedAt)}`;
    }
    default:
      return String(value);
  }
}

let firstRun: EnqueueExportsOutput;

describe('xlsx export end to end (PGlite served to the converter process)', () => {
  it('records one target per due template and period, and a rerun does not duplicate them', async () => {
    // Act
    firstRun = await enqueueExports(monthlyInput('arn:aws:states:::execution:export:first'), {
      db,
      storage,
      logger,
    });
    const rerun = await enqueueExports(monthlyInput('arn:aws:states:::execution:export:rerun'), {
      db,
      storage,
      logger,
    });

    // Assess
    const targets = await db.query<{ template_id: number; record_count: number; period_label: string }>(
      'SELECT template_id, record_count, period_label FROM export_targets ORDER BY template_id',
    );
    expect(targets.rows).toEqual([
      { template_id: fixture.smallTemplateId, record_count: 3, period_label: '2026-10' },
      { template_id: fixture.bigTemplateId, record_count: BIG_RECORDS, period_label: '2026-10' },
    ]);
    for (const output of [firstRun, rerun]) {
      expect(output.period).toEqual({
        label: '2026-10',
        start: '2026-09-30T15:00:00.000Z',
        end: '2026-10-31T15:00:00.000Z',
      });
      expect(output.targetCount).toBe(2);
      expect(output.pendingTargetCount).toBe(2);
      expect(output.files).toEqual({
        storage: `local folder ${join(dataDir, 'objects')}`,
        prefix: 'exports/',
        keyPattern: 'exports/<workspace>/<template>/2026-10.xlsx',
        count: 2,
        periodTotal: 2,
      });
      // The big target exceeds recordsPerBatch and runs alone.
      expect(output.batches.map((batch) => [batch.targetCount, batch.recordCount])).toEqual([
        [1, BIG_RECORDS],
        [1, 3],
      ]);
    }
    expect(rerun.runId).not.toBe(firstRun.runId);
    expect(await storage.exists(firstRun.manifestKey)).toBe(true);
  });

  it('converts a batch into an xlsx that LibreOffice opens with the values of the database', async () => {
    // Prepare
    const batches = await batchOfTemplate(firstRun);

    // Act
    const { done } = startConverter(converterEnv, converterInput(firstRun, fixture.smallTemplateId, batches));
    const result = await done;

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const target = await targetOf(fixture.smallTemplateId);
    expect(target).toMatchObject({ status: 'done', row_count: 3 });
    const file = await storage.getObject(target.object_key);
    expect(target.bytes).toBe(file.length);
    expect(target.object_key).toBe(`exports/${fixture.workspaceId}/${fixture.smallTemplateId}/2026-10.xlsx`);

    const shown = await libreOfficeRows(file);
    expect(shown[0]).toEqual([
      '記録ID',
      '提出日時 (Asia/Tokyo)',
      '提出者',
      '店舗・拠点',
      ...SMALL_FIELDS.map((field) =>
        'unit' in field
          ? `${field.label} (${field.unit})`
          : field.type === 'datetime'
            ? `${field.label} (Asia/Tokyo)`
            : field.label,
      ),
    ]);
    const records = await db.query<{ id: number; submitted_at: Date; values: Record<string, unknown> }>(
      `SELECT id, submitted_at, "values" FROM records
       WHERE template_id = $1 AND status = 'submitted' AND deleted_at IS NULL
         AND submitted_at >= '2026-10-01T00:00:00+09:00' AND submitted_at < '2026-11-01T00:00:00+09:00'
       ORDER BY submitted_at, id`,
      [fixture.smallTemplateId],
    );
    const expected = records.rows.map((record) => [
      String(record.id),
      shownValue('datetime', record.submitted_at),
      '佐藤 花子',
      '渋谷店',
      ...SMALL_FIELDS.map((field) => shownValue(field.type, record.values[field.key])),
    ]);
    expect(shown.slice(1)).toEqual(expected);
    // Spot checks that do not go through shownValue.
    expect(shown[1]?.[1]).toBe('2026-10-01 00:00');
    expect(shown[3]?.[1]).toBe('2026-10-31 23:59');
    expect(shown[1]?.[9]).toBe('卵, 乳');
  }, 120_000);

  it('stops on SIGTERM with exit code 143, leaving no file and the target not done', async () => {
    // Prepare
    const batches = await batchOfTemplate(firstRun);
    const target = await targetOf(fixture.bigTemplateId);

    // Act
    const { child, done } = startConverter(
      converterEnv,
      converterInput(firstRun, fixture.bigTemplateId, batches),
    );
    await waitForTemporaryFile(target.object_key);
    child.kill('SIGTERM');
    const result = await done;

    // Assess
    expect(result.code).toBe(143);
    expect(await storage.exists(target.object_key)).toBe(false);
    expect((await targetOf(fixture.bigTemplateId)).status).toBe('pending');
  }, 120_000);

  it('leaves no file and the target not done when killed mid-file, and a rerun completes it once', async () => {
    // Prepare
    const batches = await batchOfTemplate(firstRun);
    const target = await targetOf(fixture.bigTemplateId);

    // Act: SIGKILL gives the converter no chance to clean up.
    const killed = startConverter(converterEnv, converterInput(firstRun, fixture.bigTemplateId, batches));
    await waitForTemporaryFile(target.object_key);
    killed.child.kill('SIGKILL');
    const killedResult = await killed.done;
    const afterKill = await targetOf(fixture.bigTemplateId);
    const fileAfterKill = await storage.exists(target.object_key);
    const rerun = await startConverter(converterEnv, converterInput(firstRun, fixture.bigTemplateId, batches))
      .done;

    // Assess
    expect(killedResult.signal).toBe('SIGKILL');
    expect(fileAfterKill).toBe(false);
    expect(afterKill.status).toBe('pending');
    expect(rerun.code).toBe(0);
    const done = await targetOf(fixture.bigTemplateId);
    expect(done).toMatchObject({ status: 'done', row_count: BIG_RECORDS });
    expect(await countSheetRows(await storage.getObject(target.object_key))).toBe(BIG_RECORDS + 1);
    expect((await storage.list(`exports/${fixture.workspaceId}/${fixture.bigTemplateId}/`)).length).toBe(1);
  }, 180_000);

  it('skips done targets: a later rerun of the period has nothing left to convert', async () => {
    // Act
    const later = await enqueueExports(monthlyInput('arn:aws:states:::execution:export:later'), {
      db,
      storage,
      logger,
    });
    const targets = await db.query('SELECT target_id FROM export_targets');

    // Assess
    expect(later.targetCount).toBe(2);
    expect(later.pendingTargetCount).toBe(0);
    expect(later.files).toMatchObject({ count: 0, periodTotal: 2 });
    expect(later.batches).toEqual([]);
    expect(targets.rowCount).toBe(2);
    expect((await targetOf(fixture.smallTemplateId)).status).toBe('done');
  });
});

describe('converter input validation', () => {
  it('exits with code 2 and names the problem when SFN_BATCH_INPUT is invalid', async () => {
    // Act
    const result = await startConverter({}, { job: 'x', executionArn: 'arn', scheduledTime: 't', params: {} })
      .done;

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('params.runId');
    expect(result.stderr).toContain('SFN_BATCH_INPUT');
  });

  it('exits with code 2 for an unknown command', async () => {
    const result = await startConverter({}, {}, ['convert-everything']).done;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('convert-batch');
  });
});

describe('enqueue payload size', () => {
  it('returns descriptors far below the 256 KiB payload limit for 10,000 targets', async () => {
    // Prepare: 10,000 templates due monthly, one record each, and a cap that puts each alone.
    const big = await openDatabase({ dataDir: 'memory://' });
    try {
      await migrate(big);
      await big.exec(`
        INSERT INTO workspaces (id, name) VALUES (1, 'many');
        INSERT INTO form_templates (id, workspace_id, name, category)
          SELECT n, 1, 'template ' || n, 'hygiene' FROM generate_series(1, 10000) n;
        INSERT INTO export_settings (workspace_id, template_id, frequency)
          SELECT 1, n, 'monthly' FROM generate_series(1, 10000) n;
        INSERT INTO records (workspace_id, template_id, status, submitted_at)
          SELECT 1, n, 'submitted', timestamptz '2026-10-15 12:00:00+09' FROM generate_series(1, 10000) n;`);

      // Act
      const output = await enqueueExports(
        { ...monthlyInput('arn:aws:states:::execution:export:many'), recordsPerBatch: 1 },
        { db: big, storage, logger },
      );

      // Assess
      expect(output.targetCount).toBe(10_000);
      expect(output.batches.reduce((sum, batch) => sum + batch.targetCount, 0)).toBe(10_000);
      expect(Buffer.byteLength(JSON.stringify(output))).toBeLessThan(256 * 1024);
    } finally {
      await big.close();
    }
  }, 120_000);
});

async function waitForTemporaryFile(objectKey: string): Promise<void> {
  const dir = join(dataDir, 'objects', objectKey.split('/').slice(0, -1).join('/'));
  const name = objectKey.split('/').at(-1) ?? '';
  for (let attempt = 0; attempt < 3000; attempt++) {
    const entries = await readdir(dir).catch(() => [] as string[]);
    if (entries.some((entry) => entry.startsWith(`.${name}.tmp-`))) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the converter never started writing ${objectKey}`);
}

async function countSheetRows(xlsx: Buffer): Promise<number> {
  const { Readable } = await import('node:stream');
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([xlsx]), {});
  let rows = 0;
  for await (const worksheet of reader) {
    for await (const _row of worksheet) rows++;
  }
  return rows;
}
