import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '#lib/db/index.ts';
import { databaseConfigFromEnv, migrate } from '#lib/db/index.ts';
import type { TestDatabase } from './database-fixtures.ts';
import { DATABASE_KINDS, openTestDatabase, withAdmin } from './database-fixtures.ts';

async function insertWorkspace(db: Database, name = 'テスト食堂'): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    'INSERT INTO workspaces (name, plan, time_zone) VALUES ($1, $2, $3) RETURNING id',
    [name, 'pro', 'Asia/Tokyo'],
  );
  const id = rows[0]?.id;
  if (id === undefined) throw new Error('workspace insert returned no id');
  return id;
}

describe.each(DATABASE_KINDS)('records database on %s', (kind) => {
  let test: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    test = await openTestDatabase(kind);
    db = test.db;
  });
  afterAll(async () => {
    await test?.dispose();
  });

  it('reports its driver kind', () => {
    expect(db.kind).toBe(kind);
  });

  it('records the applied migration and applies nothing on a second run', async () => {
    const again = await migrate(db);

    const { rows } = await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(again.applied).toEqual([]);
    expect(rows.map((row) => row.name)).toContain('0001_records.sql');
  });

  it('returns bigint as number, timestamptz as Date, date as string and jsonb parsed', async () => {
    const { rows } = await db.query(
      `SELECT 9007199254740::bigint AS big, '2026-11-01T00:00:00Z'::timestamptz AS at,
              '2026-11-01'::date AS day, '{"t": 3.5, "ok": true}'::jsonb AS doc, 21.25::numeric AS num`,
    );

    expect(rows[0]).toEqual({
      big: 9007199254740,
      at: new Date('2026-11-01T00:00:00Z'),
      day: '2026-11-01',
      doc: { t: 3.5, ok: true },
      num: 21.25,
    });
  });

  it('commits a transaction and rolls it back when the function throws', async () => {
    const committed = await db.transaction((tx) => insertWorkspace(tx, 'committed'));
    const failure = db.transaction(async (tx) => {
      await insertWorkspace(tx, 'rolled back');
      throw new Error('boom');
    });

    await expect(failure).rejects.toThrow('boom');
    const { rows } = await db.query<{ name: string }>(
      "SELECT name FROM workspaces WHERE name IN ('committed', 'rolled back')",
    );
    expect(committed).toBeGreaterThan(0);
    expect(rows).toEqual([{ name: 'committed' }]);
  });

  it('rolls back a nested transaction to its savepoint and keeps the outer work', async () => {
    await db.transaction(async (tx) => {
      await insertWorkspace(tx, 'outer');
      await tx
        .transaction(async (inner) => {
          await insertWorkspace(inner, 'inner');
          throw new Error('inner failure');
        })
        .catch(() => undefined);
    });

    const { rows } = await db.query<{ name: string }>(
      "SELECT name FROM workspaces WHERE name IN ('outer', 'inner')",
    );
    expect(rows).toEqual([{ name: 'outer' }]);
  });

  it('streams a query in chunks through a server-side cursor', async () => {
    const chunks: number[][] = [];
    let openCursors = 0;

    for await (const chunk of db.cursor<{ n: number }>(
      'SELECT n FROM generate_series(1, $1::int) AS n',
      [2500],
      1000,
    )) {
      chunks.push(chunk.map((row) => row.n));
      // On postgres another pooled connection can watch the cursor's session; on PGlite a
      // query here would wait for the cursor (one session), see the pg_cursors test below.
      if (chunks.length === 1 && kind === 'postgres') {
        const { rows } = await db.query<{ count: number }>(
          "SELECT count(*) AS count FROM pg_stat_activity WHERE query LIKE 'FETCH FORWARD%' AND state = 'idle in transaction'",
        );
        openCursors = rows[0]?.count ?? 0;
      }
    }

    expect(chunks.map((chunk) => chunk.length)).toEqual([1000, 1000, 500]);
    expect(chunks.flat()).toEqual(Array.from({ length: 2500 }, (_, index) => index + 1));
    if (kind === 'postgres') expect(openCursors).toBe(1);
  });

  it('declares a real cursor visible in pg_cursors inside a transaction', async () => {
    const seen = await db.transaction(async (tx) => {
      const names: string[] = [];
      for await (const _chunk of tx.cursor('SELECT n FROM generate_series(1, 10) AS n', [], 3)) {
        const { rows } = await tx.query<{ name: string }>(
          "SELECT name FROM pg_cursors WHERE name LIKE 'sfn_cursor_%'",
        );
        names.push(...rows.map((row) => row.name));
        break;
      }
      const after = await tx.query("SELECT name FROM pg_cursors WHERE name LIKE 'sfn_cursor_%'");
      return { names, after: after.rowCount };
    });

    expect(seen.names).toHaveLength(1);
    expect(seen.names[0]).toMatch(/^sfn_cursor_/);
    expect(seen.after).toBe(0);
  });

  it('frees the session when the consumer breaks out of a cursor early', async () => {
    for await (const chunk of db.cursor('SELECT n FROM generate_series(1, 100) AS n', [], 10)) {
      expect(chunk).toHaveLength(10);
      break;
    }

    const { rows } = await db.query<{ ok: number }>('SELECT 1 AS ok');
    expect(rows).toEqual([{ ok: 1 }]);
  });

  it('rejects a cursor chunk size that is not a positive integer', () => {
    expect(() => db.cursor('SELECT 1', [], 0)).toThrow(/chunkSize/);
  });

  it('names the failing statement and SQLSTATE in query errors', async () => {
    await expect(db.query('SELECT * FROM no_such_table')).rejects.toThrow(/42P01.*no_such_table/);
  });

  it('enqueues an export target once per workspace, template and period', async () => {
    const workspaceId = await insertWorkspace(db);
    const { rows: templates } = await db.query<{ id: number }>(
      "INSERT INTO form_templates (workspace_id, name, category) VALUES ($1, '冷蔵庫温度記録', 'temperature') RETURNING id",
      [workspaceId],
    );
    const templateId = templates[0]?.id;
    await db.query(
      `INSERT INTO export_runs (run_id, job, frequency, period_label, period_start, period_end)
       VALUES ('run-1', 'monthly-export', 'monthly', '2026-10', '2026-10-01T00:00:00+09:00', '2026-11-01T00:00:00+09:00')`,
    );
    const enqueue = () =>
      db.query(
        `INSERT INTO export_targets (run_id, workspace_id, template_id, period_label, period_start, period_end, object_key)
         VALUES ('run-1', $1, $2, '2026-10', '2026-10-01T00:00:00+09:00', '2026-11-01T00:00:00+09:00', $3)
         ON CONFLICT (workspace_id, template_id, period_label) DO NOTHING`,
        [workspaceId, templateId, `exports/${workspaceId}/${templateId}/2026-10.xlsx`],
      );

    const first = await enqueue();
    const second = await enqueue();

    expect([first.rowCount, second.rowCount]).toEqual([1, 0]);
  });

  it('rejects a submitted record without submitted_at', async () => {
    const workspaceId = await insertWorkspace(db);
    const { rows } = await db.query<{ id: number }>(
      "INSERT INTO form_templates (workspace_id, name, category) VALUES ($1, 'Opening checklist', 'opening') RETURNING id",
      [workspaceId],
    );

    await expect(
      db.query("INSERT INTO records (workspace_id, template_id, status) VALUES ($1, $2, 'submitted')", [
        workspaceId,
        rows[0]?.id,
      ]),
    ).rejects.toThrow(/23514/);
  });

  it('refuses a migration whose file changed after it was applied', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sfn-migrations-'));
    try {
      await writeFile(join(dir, '0900_probe.sql'), 'CREATE TABLE migration_probe (id int);');
      await migrate(db, { dir });
      await writeFile(join(dir, '0900_probe.sql'), 'CREATE TABLE migration_probe (id bigint);');

      await expect(migrate(db, { dir })).rejects.toThrow(/0900_probe\.sql changed after it was applied/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rolls back a failing migration and names the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sfn-migrations-'));
    try {
      await writeFile(join(dir, '0901_broken.sql'), 'CREATE TABLE half_done (id int); SELEC oops;');

      await expect(migrate(db, { dir })).rejects.toThrow(/0901_broken\.sql failed/);
      const { rows } = await db.query("SELECT to_regclass('half_done') AS t");
      expect(rows[0]).toEqual({ t: null });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('databaseConfigFromEnv', () => {
  it('uses DATABASE_URL for PostgreSQL when set', () => {
    expect(databaseConfigFromEnv({ DATABASE_URL: 'postgres://app@127.0.0.1:5432/app' })).toEqual({
      url: 'postgres://app@127.0.0.1:5432/app',
    });
  });

  it('places PGlite under SFN_BATCH_DATA_DIR, defaulting to .data/pglite', () => {
    expect(databaseConfigFromEnv({ SFN_BATCH_DATA_DIR: '/tmp/x' })).toEqual({ dataDir: '/tmp/x/pglite' });
    expect(databaseConfigFromEnv({})).toEqual({ dataDir: '.data/pglite' });
  });

  it('rejects a DATABASE_URL that is not a postgres URL, naming the variable', () => {
    expect(() => databaseConfigFromEnv({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });
});

describe('test database fixture', () => {
  it('fails with instructions instead of skipping when PostgreSQL is unreachable', async () => {
    const unreachable = withAdmin(async () => 'connected', 'postgres://postgres@127.0.0.1:1/test');

    await expect(unreachable).rejects.toThrow(
      /unreachable at postgres:\/\/postgres@127\.0\.0\.1:1\/test.*do not skip/,
    );
  });
});
