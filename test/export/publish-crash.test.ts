// The converter killed between publishing a file and marking its target done, on the local
// folder and on S3 (s3rver): the retry finds the file it published and marks the target done
// without converting it again; the files read back through exceljs's streaming reader. Real
// converter processes against PGlite served over the wire.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueExports } from '#functions/enqueue-exports/enqueue-exports.ts';
import type { Database } from '#lib/db/index.ts';
import { migrate, openDatabase } from '#lib/db/index.ts';
import { type PgliteServer, servePglite } from '#lib/db/serve-pglite.ts';
import { createLogger } from '#lib/logger.ts';
import type { ObjectStorage } from '#lib/storage/index.ts';
import { openStorage } from '#lib/storage/index.ts';
import { startTestS3, type TestS3 } from '../support/s3rver.ts';
import { type Fixture, seedExportFixture, startConverter, type TargetRow } from './export-fixtures.ts';

const BIG_RECORDS = 300;
const logger = createLogger('publish-crash-test');

/** Object keys of the converter's JSON log lines with `message`. */
function loggedKeys(stdout: string, message: string): string[] {
  return stdout.split('\n').flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as { message?: string; objectKey?: string };
      return parsed.message === message && parsed.objectKey !== undefined ? [parsed.objectKey] : [];
    } catch {
      return [];
    }
  });
}

let db: Database;
let server: PgliteServer;
let fixture: Fixture;

beforeAll(async () => {
  db = await openDatabase({ dataDir: 'memory://' });
  await migrate(db);
  fixture = await seedExportFixture(db, BIG_RECORDS);
  server = await servePglite(db);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await db?.close();
});

describe.each([
  { where: 'local folder', s3: false },
  { where: 'S3', s3: true },
])('converter killed between publish and mark-done ($where)', ({ s3 }) => {
  let testS3: TestS3 | undefined;
  let storage: ObjectStorage;
  let dataDir: string;
  let converterEnv: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'publish-crash-'));
    converterEnv = { DATABASE_URL: server.url, SFN_BATCH_DATA_DIR: dataDir };
    if (s3) {
      testS3 = await startTestS3();
      const url = `s3://${testS3.bucket}/exports-test`;
      storage = openStorage({ url, s3Client: testS3.client });
      converterEnv = { ...converterEnv, ...testS3.environment, SFN_BATCH_STORAGE_URL: url };
    } else {
      storage = openStorage({ rootDir: join(dataDir, 'objects') });
    }
    // Each storage starts from targets that are not done (the other one may have done them).
    await db.query(`UPDATE export_targets SET status = 'pending', publish_version = NULL, row_count = NULL`);
  }, 60_000);

  afterAll(async () => {
    await testS3?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('marks the published target done on the retry without converting or republishing it', async () => {
    // Prepare: one batch holding both templates of the fixture.
    const output = await enqueueExports(
      {
        job: 'export-monthly-xlsx',
        executionArn: 'arn:aws:states:ap-northeast-1:123456789012:execution:export:publish-crash',
        scheduledTime: '2026-11-01T01:00:00+09:00',
        timezone: 'Asia/Tokyo',
        frequency: 'monthly',
        recordsPerBatch: 10_000,
      },
      { db, storage, logger },
    );
    expect(output.batches).toHaveLength(1);
    const input = {
      job: 'export-monthly-xlsx',
      executionArn: 'arn:aws:states:ap-northeast-1:123456789012:execution:export:publish-crash',
      scheduledTime: '2026-11-01T01:00:00+09:00',
      params: { runId: output.runId, manifestKey: output.manifestKey, batchIndex: 0 },
    };
    const targets = async () =>
      (
        await db.query<TargetRow>(
          'SELECT target_id, template_id, status, row_count, bytes, duration_ms, publish_version, object_key FROM export_targets ORDER BY target_id',
        )
      ).rows;

    // Act: the first converter dies by SIGKILL right after its first publish.
    const killed = await startConverter({ ...converterEnv, SFN_BATCH_TEST_KILL_AFTER_PUBLISH: '1' }, input)
      .done;
    const afterKill = await targets();
    const published = afterKill.filter((target) => target.publish_version !== null);
    const publishedKey = published[0]?.object_key ?? '';
    const versionAtKill = await storage.versionOf(publishedKey);
    const bytesAtKill = await storage.getObject(publishedKey);
    const retry = await startConverter(converterEnv, input).done;

    // Assess: the kill came in the window (published, not done) ...
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ status: 'pending' });
    expect(versionAtKill).toBe(published[0]?.publish_version);
    expect(published[0]?.bytes).toBe(bytesAtKill.length);
    // ... and the retry marks that target done without a second conversion or publish.
    expect(retry.code, retry.stderr).toBe(0);
    expect(loggedKeys(retry.stdout, 'export target already published; marked done')).toEqual([publishedKey]);
    const converted = loggedKeys(retry.stdout, 'export target converted');
    expect(converted).not.toContain(publishedKey);
    expect(converted).toHaveLength(afterKill.length - 1);
    expect(await storage.versionOf(publishedKey)).toBe(versionAtKill);
    expect((await storage.getObject(publishedKey)).equals(bytesAtKill)).toBe(true);
    const done = await targets();
    expect(done.map((target) => target.status)).toEqual(done.map(() => 'done'));
    const big = done.find((target) => Number(target.template_id) === fixture.bigTemplateId);
    expect(big?.row_count).toBe(BIG_RECORDS);
    const small = done.find((target) => Number(target.template_id) === fixture.smallTemplateId);
    expect(small?.row_count).toBe(3);
    for (const target of done)
      expect(await storage.versionOf(target.object_key)).toBe(target.publish_version);
  }, 120_000);

  it("publishes files that exceljs's streaming reader reads in one pass", async () => {
    // Act: the files the converters above wrote.
    const rowsOf = async (templateId: number) => {
      const key = `exports/${fixture.workspaceId}/${templateId}/2026-10.xlsx`;
      const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([await storage.getObject(key)]), {
        styles: 'cache',
      });
      const rows: unknown[][] = [];
      for await (const worksheet of reader)
        for await (const row of worksheet) rows.push((row.values as unknown[]).slice(1));
      return rows;
    };
    const big = await rowsOf(fixture.bigTemplateId);
    const small = await rowsOf(fixture.smallTemplateId);

    // Assess: the header and every record, with their values.
    expect(big).toHaveLength(BIG_RECORDS + 1);
    expect(big.at(-1)).toContain(`row ${BIG_RECORDS} 冷蔵庫`);
    expect(small).toHaveLength(4);
    expect(small[1]).toContain('異常なし。扉のパッキン良好。');
    expect(small[1]).toContain(4.5);
    expect(small[3]).toContain('最終確認');
  }, 60_000);
});
