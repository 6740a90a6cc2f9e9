import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '#lib/db/index.ts';
import { isDatabaseEmpty, resetDemoData, SeededRandom, seedDemoData } from '#lib/seed/index.ts';
import type { TestDatabase } from '../db/database-fixtures.ts';
import { DATABASE_KINDS, openTestDatabase } from '../db/database-fixtures.ts';
import { type ProcessResult, runProcess } from '../support/processes.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const RECORDS = 3000;

/** A fingerprint of the generated data that does not depend on the session time zone. */
async function fingerprint(db: Database): Promise<string> {
  const { rows } = await db.query<{ digest: string }>(
    `SELECT md5(string_agg(concat_ws('|', id, template_id, site_id, submitted_by, status, "values"::text,
              extract(epoch FROM submitted_at), extract(epoch FROM deleted_at)), ',' ORDER BY id)) AS digest
       FROM records`,
  );
  return rows[0]?.digest ?? '';
}

async function count(db: Database, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sql, params);
  return rows[0]?.n ?? 0;
}

describe.each(DATABASE_KINDS)('demo data on %s', (kind) => {
  let test: TestDatabase;
  let db: Database;
  let wasEmpty = false;

  beforeAll(async () => {
    test = await openTestDatabase(kind);
    db = test.db;
    wasEmpty = await isDatabaseEmpty(db);
    await seedDemoData(db, { records: RECORDS, seed: 'spec', now: NOW, months: 3 });
  });
  afterAll(async () => {
    await test?.dispose();
  });

  it('reports an empty database before seeding and a filled one after', async () => {
    expect(wasEmpty).toBe(true);
    expect(await isDatabaseEmpty(db)).toBe(false);
    expect(await count(db, 'SELECT count(*) AS n FROM records')).toBe(RECORDS);
  });

  it('produces the same data for the same seed on both drivers', { timeout: 90_000 }, async () => {
    const reference = await openTestDatabase('pglite');
    try {
      await seedDemoData(reference.db, { records: RECORDS, seed: 'spec', now: NOW, months: 3 });

      expect(await fingerprint(db)).toBe(await fingerprint(reference.db));
    } finally {
      await reference.dispose();
    }
  });

  it('gives every template records in the last full month and none after now', async () => {
    const templates = await count(db, 'SELECT count(*) AS n FROM form_templates');
    const withLastMonth = await count(
      db,
      `SELECT count(DISTINCT template_id) AS n FROM records
        WHERE submitted_at >= '2026-10-01T00:00:00Z' AND submitted_at < '2026-11-01T00:00:00Z'`,
    );
    const future = await count(
      db,
      'SELECT count(*) AS n FROM records WHERE greatest(created_at, submitted_at, deleted_at) > $1',
      [NOW],
    );

    expect(withLastMonth).toBe(templates);
    expect(future).toBe(0);
  });

  it('includes Japanese and English templates with typed fields', async () => {
    const { rows } = await db.query<{ name: string }>(
      'SELECT DISTINCT name FROM form_templates ORDER BY name',
    );
    const types = await db.query<{ type: string }>('SELECT DISTINCT type FROM template_fields ORDER BY type');

    expect(rows.map((row) => row.name)).toEqual(
      expect.arrayContaining([
        '開店前チェックリスト',
        '冷蔵庫温度記録',
        'Opening Checklist',
        'Fridge Temperature Log',
      ]),
    );
    expect(types.rows.map((row) => row.type)).toEqual([
      'date',
      'datetime',
      'multi_choice',
      'number',
      'photo',
      'signature',
      'single_choice',
      'temperature',
      'text',
      'yes_no',
    ]);
    expect(
      await count(
        db,
        'SELECT max(c) AS n FROM (SELECT count(*) AS c FROM template_fields GROUP BY template_id) t',
      ),
    ).toBe(30);
  });

  it('contains the situations the scheduled jobs act on', async () => {
    const situations = {
      outOfRangeTemperatures: await count(
        db,
        `SELECT count(*) AS n FROM records r JOIN template_fields f ON f.template_id = r.template_id AND f.type = 'temperature'
          WHERE (r."values"->>f.key)::numeric NOT BETWEEN f.min_value AND f.max_value`,
      ),
      overdueOpenActions: await count(
        db,
        'SELECT count(*) AS n FROM corrective_actions WHERE resolved_at IS NULL AND due_at < $1',
        [NOW],
      ),
      expiredLiveLinks: await count(
        db,
        'SELECT count(*) AS n FROM share_links WHERE revoked_at IS NULL AND expires_at < $1',
        [NOW],
      ),
      dormantUsers: await count(
        db,
        "SELECT count(*) AS n FROM users WHERE deactivated_at IS NULL AND last_login_at < $1::timestamptz - interval '90 days'",
        [NOW],
      ),
      deletedOver30Days: await count(
        db,
        "SELECT count(*) AS n FROM records WHERE deleted_at < $1::timestamptz - interval '30 days'",
        [NOW],
      ),
      drafts: await count(db, "SELECT count(*) AS n FROM records WHERE status = 'draft'"),
      photos: await count(db, 'SELECT count(*) AS n FROM record_photos'),
      auditMonths: await count(db, "SELECT count(DISTINCT date_trunc('month', at)) AS n FROM audit_logs"),
      exportFrequencies: await count(
        db,
        'SELECT count(DISTINCT frequency) AS n FROM export_settings WHERE enabled',
      ),
    };

    for (const [situation, found] of Object.entries(situations)) {
      expect({ situation, found: found > 0 }).toEqual({ situation, found: true });
    }
    expect(situations.auditMonths).toBeGreaterThanOrEqual(3);
    expect(situations.exportFrequencies).toBe(3);
  });

  it('advances the id sequences past the seeded rows', async () => {
    const workspace = await db.query<{ id: number }>(
      "INSERT INTO workspaces (name) VALUES ('新規') RETURNING id",
    );

    expect(workspace.rows[0]?.id).toBe(await count(db, 'SELECT count(*) AS n FROM workspaces'));
  });

  it('rebuilds the indexes it drops for a big load', async () => {
    const indexes = () =>
      db.query<{ definition: string }>(
        "SELECT indexdef AS definition FROM pg_indexes WHERE tablename IN ('records', 'record_photos', 'audit_logs') ORDER BY 1",
      );
    const before = await indexes();
    await resetDemoData(db);

    await seedDemoData(db, { records: 500, seed: 'spec', now: NOW, deferIndexesFrom: 100 });

    expect((await indexes()).rows).toEqual(before.rows);
    expect(before.rows.length).toBeGreaterThan(5);
  });

  it('refuses to seed a database that has data, and seeds again after a reset', async () => {
    await expect(seedDemoData(db, { records: 10, now: NOW })).rejects.toThrow(/--reset/);

    await resetDemoData(db);
    const emptied = await isDatabaseEmpty(db);
    await seedDemoData(db, { records: RECORDS, seed: 'spec', now: NOW, months: 3 });

    expect(emptied).toBe(true);
    expect(await count(db, 'SELECT count(*) AS n FROM records')).toBe(RECORDS);
  });
});

describe('isDatabaseEmpty', () => {
  it('treats a database without the schema as empty', async () => {
    const fresh = await openTestDatabase('pglite', { migrated: false });
    try {
      expect(await isDatabaseEmpty(fresh.db)).toBe(true);
    } finally {
      await fresh.dispose();
    }
  });
});

describe('SeededRandom', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const sequence = (seed: string) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 5 }, () => random.int(0, 1_000_000));
    };

    expect(sequence('a')).toEqual(sequence('a'));
    expect(sequence('a')).not.toEqual(sequence('b'));
  });
});

function runBatchctl(args: string[], env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return runProcess(process.execPath, ['cli/batchctl.ts', ...args], { env: { ...process.env, ...env } });
}

// Spawns the real CLI against a fresh PostgreSQL database (faster to start than a new PGlite folder).
describe('batchctl seed', () => {
  let test: TestDatabase;

  beforeAll(async () => {
    test = await openTestDatabase('postgres', { migrated: false });
  });
  afterAll(async () => {
    await test?.dispose();
  });

  it('migrates, seeds with progress on stderr, refuses a second run and rejects bad options', async () => {
    const env = { DATABASE_URL: test.url };

    const first = await runBatchctl(
      ['seed', '--records', '4000', '--seed', 'cli', '--now', NOW.toISOString()],
      env,
    );
    const second = await runBatchctl(['seed', '--records', '10'], env);
    const bad = await runBatchctl(['seed', '--records', 'many'], env);

    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Seeded PostgreSQL/);
    expect(first.stdout).toMatch(/records\s+4000/);
    expect(first.stderr).toMatch(/seed: records 50% \(2000\/4000\)/);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/--reset/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--records/);
  }, 120_000);
});
