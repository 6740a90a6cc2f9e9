import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { insert, insertRecord } from './fixtures.ts';
import { resultOf, runOk, snapshot, useSeededJobWorld } from './harness.ts';

const SCHEDULED = '2026-11-21T18:00:00Z';

// Each test starts the job as a child process two or three times (about a second each, more under load).
describe('housekeeping jobs (child process, PostgreSQL, local storage)', { timeout: 90_000 }, () => {
  const suite = useSeededJobWorld();

  const record = (overrides: { deletedAt?: string; updatedAt?: string; submittedAt?: string | null } = {}) =>
    insertRecord(suite.env.db, {
      workspace: suite.world.tokyo.id,
      template: suite.world.templates.tokyoFridge,
      site: suite.world.tokyo.sites[0],
      createdAt: '2026-09-01T00:00:00Z',
      submittedAt: '2026-09-01T01:00:00Z',
      ...overrides,
    });
  const photo = async (recordId: number, key: string, deletedAt: string | null = null) => {
    await suite.env.storage.putObject(key, Buffer.from(`jpeg ${key}`));
    return insert(
      suite.env.db,
      `INSERT INTO record_photos (record_id, workspace_id, field_key, object_key, bytes, deleted_at)
       VALUES ($1, $2, 'photo', $3, 100, $4)`,
      [recordId, suite.world.tokyo.id, key, deletedAt],
    );
  };

  it('purges records soft-deleted before the retention period with their photos rows and corrective actions, audited, once', async () => {
    const old = await record({ deletedAt: '2026-10-01T00:00:00Z' });
    const recent = await record({ deletedAt: '2026-11-15T00:00:00Z' });
    const live = await record();
    await photo(old, `photos/${suite.world.tokyo.id}/${old}/1.jpg`);
    await suite.env.db.query(
      `INSERT INTO corrective_actions (record_id, workspace_id, description, due_at) VALUES ($1, $2, 'fix', '2026-10-02')`,
      [old, suite.world.tokyo.id],
    );

    const run = await runOk(suite.env, ['purge-deleted-records', '--retention-days', '30'], {
      scheduledTime: SCHEDULED,
    });
    const rerun = await runOk(suite.env, ['purge-deleted-records', '--retention-days', '30'], {
      scheduledTime: SCHEDULED,
    });

    const { rows } = await suite.env.db.query<{ id: number }>(
      'SELECT id FROM records WHERE id = ANY($1) ORDER BY id',
      [[old, recent, live]],
    );
    expect(rows.map((row) => row.id)).toEqual([recent, live]);
    expect(resultOf(run)).toMatchObject({ records: 1, photos: 1, correctiveActions: 1 });
    expect(resultOf(rerun)).toMatchObject({ records: 0 });
    const audit = await suite.env.db.query(
      `SELECT workspace_id, detail -> 'recordIds' AS ids FROM audit_logs WHERE action = 'records.purged'`,
    );
    expect(audit.rows).toEqual([{ workspace_id: suite.world.tokyo.id, ids: [old] }]);
  });

  it('deletes photo objects and rows past the grace period, and unreferenced objects, but keeps live photos', async () => {
    // The orphan object is written now, so the scheduled time lies 8 days ahead to put it past the grace period.
    const scheduledTime = new Date(Date.now() + 8 * 86_400_000);
    const daysBefore = (days: number) => new Date(scheduledTime.getTime() - days * 86_400_000).toISOString();
    const live = await record();
    const removedRecord = await record({ deletedAt: '2026-11-01T00:00:00Z' });
    const liveKey = `photos/${suite.world.tokyo.id}/${live}/live.jpg`;
    const removedPhotoKey = `photos/${suite.world.tokyo.id}/${live}/removed.jpg`;
    const freshlyRemovedKey = `photos/${suite.world.tokyo.id}/${live}/fresh.jpg`;
    const ofDeletedRecordKey = `photos/${suite.world.tokyo.id}/${removedRecord}/a.jpg`;
    await photo(live, liveKey);
    await photo(live, removedPhotoKey, '2026-11-01T00:00:00Z');
    await photo(live, freshlyRemovedKey, daysBefore(2));
    await photo(removedRecord, ofDeletedRecordKey);
    await suite.env.storage.putObject('photos/999/999/orphan.jpg', 'no row points here');

    const input = { scheduledTime: scheduledTime.toISOString() };
    const run = await runOk(suite.env, ['purge-orphaned-photos', '--grace-days', '7'], input);
    const rerun = await runOk(suite.env, ['purge-orphaned-photos', '--grace-days', '7'], input);

    const keys = (await suite.env.storage.list('photos/')).map((object) => object.key);
    expect(keys).toEqual([freshlyRemovedKey, liveKey].sort());
    const { rows } = await suite.env.db.query('SELECT object_key FROM record_photos ORDER BY object_key');
    expect(rows).toEqual([{ object_key: freshlyRemovedKey }, { object_key: liveKey }]);
    expect(resultOf(run)).toMatchObject({ photoRows: 2 });
    expect(resultOf(rerun)).toMatchObject({ photoRows: 0, orphanObjects: 0 });
  });

  it('archives old audit logs as gzip JSON lines per UTC day, deletes them, and never duplicates a line', async () => {
    const entry = (at: string, action: string) =>
      suite.env.db.query(
        `INSERT INTO audit_logs (workspace_id, action, entity_type, entity_id, at, detail) VALUES ($1, $2, 'record', '1', $3, $4)`,
        [suite.world.tokyo.id, action, at, JSON.stringify({ note: '日本語' })],
      );
    await entry('2026-07-01T08:00:00Z', 'record.created');
    await entry('2026-07-01T23:59:59Z', 'record.updated');
    await entry('2026-07-02T00:00:00Z', 'record.deleted');
    await entry('2026-11-01T00:00:00Z', 'record.recent');
    // A previous run that died after writing July 1st's file but before deleting its rows.
    const first = await suite.env.db.query<{ id: number }>(
      `SELECT id FROM audit_logs WHERE action = 'record.created'`,
    );
    const firstId = first.rows[0]?.id;
    await suite.env.storage.writeAtomically('audit-archive/2026/07/01.jsonl.gz', async (sink) => {
      const { gzipSync } = await import('node:zlib');
      sink.end(gzipSync(`${JSON.stringify({ id: firstId, action: 'record.created' })}\n`));
    });

    const run = await runOk(suite.env, ['archive-audit-logs', '--older-than-days', '90'], {
      scheduledTime: SCHEDULED,
    });
    const rerun = await runOk(suite.env, ['archive-audit-logs', '--older-than-days', '90'], {
      scheduledTime: SCHEDULED,
    });

    const read = async (key: string) =>
      gunzipSync(await suite.env.storage.getObject(key))
        .toString('utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { id: number; action: string; detail?: unknown });
    const july1 = await read('audit-archive/2026/07/01.jsonl.gz');
    expect(july1.map((line) => line.action)).toEqual(['record.created', 'record.updated']);
    const july2 = await read('audit-archive/2026/07/02.jsonl.gz');
    expect(july2).toEqual([
      expect.objectContaining({ action: 'record.deleted', detail: { note: '日本語' } }),
    ]);
    const { rows } = await suite.env.db.query(
      `SELECT action FROM audit_logs WHERE action LIKE 'record.%' ORDER BY at`,
    );
    expect(rows).toEqual([{ action: 'record.recent' }]);
    expect(resultOf(run)).toMatchObject({ days: 2, lines: 3, deleted: 3 });
    expect(resultOf(rerun)).toMatchObject({ days: 0, deleted: 0 });
  });

  it('deletes export files older than the retention period and marks their targets expired, once', async () => {
    await suite.env.db.query(
      `INSERT INTO export_runs (run_id, job, frequency, period_label, period_start, period_end)
       VALUES ('run-1', 'export-monthly', 'monthly', '2026-07', '2026-07-01', '2026-08-01')`,
    );
    const target = (label: string, updatedAt: string) =>
      insert(
        suite.env.db,
        `INSERT INTO export_targets (run_id, workspace_id, template_id, period_label, period_start, period_end,
                                     object_key, status, bytes, updated_at)
         VALUES ('run-1', $1, $2, $3, '2026-07-01', '2026-08-01', $4, 'done', 2048, $5) RETURNING target_id AS id --`,
        [
          suite.world.tokyo.id,
          suite.world.templates.tokyoFridge,
          label,
          `exports/${suite.world.tokyo.id}/x/${label}.xlsx`,
          updatedAt,
        ],
      );
    await target('2026-07', '2026-08-01T03:00:00Z');
    await target('2026-10', '2026-11-01T03:00:00Z');
    await suite.env.storage.putObject(`exports/${suite.world.tokyo.id}/x/2026-07.xlsx`, 'old');
    await suite.env.storage.putObject(`exports/${suite.world.tokyo.id}/x/2026-10.xlsx`, 'new');

    const run = await runOk(suite.env, ['cleanup-expired-exports', '--retention-days', '90'], {
      scheduledTime: SCHEDULED,
    });
    const before = await snapshot(suite.env.db, 'export_targets', 'target_id');
    const rerun = await runOk(suite.env, ['cleanup-expired-exports', '--retention-days', '90'], {
      scheduledTime: SCHEDULED,
    });

    expect((await suite.env.storage.list('exports/')).map((object) => object.key)).toEqual([
      `exports/${suite.world.tokyo.id}/x/2026-10.xlsx`,
    ]);
    const { rows } = await suite.env.db.query(
      'SELECT period_label, expired_at FROM export_targets ORDER BY period_label',
    );
    expect(rows).toEqual([
      { period_label: '2026-07', expired_at: new Date(SCHEDULED) },
      { period_label: '2026-10', expired_at: null },
    ]);
    expect(resultOf(run)).toMatchObject({ expiredTargets: 1, bytesFreed: 2048 });
    expect(resultOf(rerun)).toMatchObject({ expiredTargets: 0 });
    expect(await snapshot(suite.env.db, 'export_targets', 'target_id')).toEqual(before);
  });

  it('revokes share links past expiry and leaves live ones', async () => {
    const link = (hash: string, expiresAt: string) =>
      suite.env.db.query(
        `INSERT INTO share_links (workspace_id, template_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)`,
        [suite.world.tokyo.id, suite.world.templates.tokyoFridge, hash, expiresAt],
      );
    await link('a'.repeat(64), '2026-11-20T00:00:00Z');
    await link('b'.repeat(64), '2026-12-20T00:00:00Z');

    await runOk(suite.env, ['expire-share-links'], { scheduledTime: SCHEDULED });
    const before = await snapshot(suite.env.db, 'share_links', 'id');
    await runOk(suite.env, ['expire-share-links'], { scheduledTime: SCHEDULED });

    const { rows } = await suite.env.db.query(
      'SELECT left(token_hash, 1) AS link, revoked_at FROM share_links ORDER BY 1',
    );
    expect(rows).toEqual([
      { link: 'a', revoked_at: new Date(SCHEDULED) },
      { link: 'b', revoked_at: null },
    ]);
    expect(await snapshot(suite.env.db, 'share_links', 'id')).toEqual(before);
  });

  it('deactivates dormant managers and staff but never owners or admins, with an audit entry each, once', async () => {
    const run = await runOk(suite.env, ['deactivate-dormant-users', '--inactive-days', '90'], {
      scheduledTime: SCHEDULED,
    });
    const rerun = await runOk(suite.env, ['deactivate-dormant-users', '--inactive-days', '90'], {
      scheduledTime: SCHEDULED,
    });

    const { rows } = await suite.env.db.query<{ id: number }>(
      'SELECT id FROM users WHERE deactivated_at IS NOT NULL ORDER BY id',
    );
    // Tokyo's owner and admin have not logged in since January either, but are kept.
    expect(rows.map((row) => row.id)).toEqual([
      suite.world.tokyo.users.manager,
      suite.world.london.users.staff,
    ]);
    const audit = await suite.env.db.query(
      `SELECT entity_id FROM audit_logs WHERE action = 'user.deactivated' ORDER BY entity_id::bigint`,
    );
    expect(audit.rows).toEqual(rows.map((row) => ({ entity_id: String(row.id) })));
    expect(resultOf(run)).toMatchObject({ deactivated: 2 });
    expect(resultOf(rerun)).toMatchObject({ deactivated: 0 });
  });

  it('marks drafts untouched for the threshold as abandoned and leaves recent drafts and submitted records', async () => {
    const stale = await record({ submittedAt: null, updatedAt: '2026-10-01T00:00:00Z' });
    const fresh = await record({ submittedAt: null, updatedAt: '2026-11-20T00:00:00Z' });
    const submitted = await record({ updatedAt: '2026-10-01T00:00:00Z' });

    const run = await runOk(suite.env, ['abandon-stale-drafts', '--older-than-days', '14'], {
      scheduledTime: SCHEDULED,
    });
    const rerun = await runOk(suite.env, ['abandon-stale-drafts', '--older-than-days', '14'], {
      scheduledTime: SCHEDULED,
    });

    const { rows } = await suite.env.db.query<{ id: number; abandoned: boolean }>(
      'SELECT id, abandoned_at IS NOT NULL AS abandoned FROM records WHERE id = ANY($1) ORDER BY id',
      [[stale, fresh, submitted]],
    );
    expect(rows).toEqual([
      { id: stale, abandoned: true },
      { id: fresh, abandoned: false },
      { id: submitted, abandoned: false },
    ]);
    expect(resultOf(run)).toMatchObject({ abandoned: 1 });
    expect(resultOf(rerun)).toMatchObject({ abandoned: 0 });
  });

  it('analyzes the big tables and records their size and row estimate once per scheduled time', async () => {
    await runOk(suite.env, ['analyze-tables'], { scheduledTime: SCHEDULED });
    await runOk(suite.env, ['analyze-tables'], { scheduledTime: SCHEDULED });

    const { rows } = await suite.env.db.query<{
      table_name: string;
      total_bytes: number;
      row_estimate: number;
    }>(
      'SELECT table_name, total_bytes, row_estimate FROM table_stats WHERE captured_for = $1 ORDER BY table_name',
      [SCHEDULED],
    );
    expect(rows).toHaveLength(10);
    const records = rows.find((row) => row.table_name === 'records');
    const { rows: count } = await suite.env.db.query<{ n: number }>(
      'SELECT count(*)::integer AS n FROM records',
    );
    expect(records?.row_estimate).toBe(count[0]?.n);
    expect(records?.total_bytes).toBeGreaterThan(0);
  });
});
