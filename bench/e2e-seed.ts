import type { Database } from '../lib/db/index.ts';
import { benchColumns } from './sheet-data.ts';

/*
 * Seeding shared by the end-to-end cases (bench/e2e-child.ts seeds in process,
 * bench/pglite-server-child.ts seeds the PGlite it then serves over the wire).
 */

const fields = benchColumns.slice(4);
const keys = fields.map((_, index) => `f${index}`);
const valueExpressions: Record<string, string> = {
  text: `(ARRAY['異常なし','冷蔵庫の扉が少し開いていたため閉めました。','Delivery arrived 15 minutes late; checked temperatures on arrival.','床の清掃を再実施。排水口に詰まりあり、業者に連絡済み。'])[n % 4 + 1]`,
  datetime: `to_jsonb(ts - interval '30 minutes')`,
  date: `to_char(ts AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD')`,
  temperature: `((n % 140) - 10) / 10.0`,
  number: `(n % 5000) / 100.0`,
  yes_no: `(n % 20 <> 0)`,
  single_choice: `(ARRAY['渋谷店','新宿南口店','梅田店','Sapporo Station'])[n % 4 + 1]`,
  multi_choice: `CASE WHEN n % 2 = 0 THEN jsonb_build_array('卵','乳') ELSE '[]'::jsonb END`,
  photo: `jsonb_build_object('url', 'https://files.example.com/photos/' || n || '/fridge.jpg', 'name', 'fridge.jpg')`,
  signature: `jsonb_build_object('signedBy', '佐藤 花子', 'signedAt', ts + interval '10 minutes')`,
};

/**
 * Seeds one workspace with one template of 26 fields of the bench's column kinds
 * (4 fixed columns + 26 = 30), `rows` October 2026 records and a monthly export
 * setting, into an already migrated database. Writes the seeding time to stderr.
 */
export async function seedBenchRecords(db: Database, rows: number): Promise<void> {
  const { rows: created } = await db.query<{ workspace_id: number; template_id: number; user_id: number }>(
    `WITH w AS (INSERT INTO workspaces (name, time_zone) VALUES ('bench', 'Asia/Tokyo') RETURNING id),
          t AS (INSERT INTO form_templates (workspace_id, name, category) SELECT id, 'bench 30 columns', 'inspection' FROM w RETURNING id, workspace_id),
          u AS (INSERT INTO users (workspace_id, name, email) SELECT id, '佐藤 花子', 'bench@example.com' FROM w RETURNING id)
     SELECT t.workspace_id, t.id AS template_id, u.id AS user_id FROM t, u`,
  );
  const ids = created[0];
  if (!ids) throw new Error('seeding the bench workspace returned nothing');
  for (const [position, field] of fields.entries()) {
    await db.query(
      `INSERT INTO template_fields (template_id, position, key, label, type, unit, choices, min_value, max_value)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        ids.template_id,
        position,
        keys[position],
        field.header,
        field.kind,
        field.unit ?? null,
        field.kind.endsWith('_choice') ? '["a"]' : null,
        field.min ?? null,
        field.max ?? null,
      ],
    );
  }
  const objectSql = fields
    .map((field, index) => `'${keys[index]}', ${valueExpressions[field.kind]}`)
    .join(', ');
  const seedStarted = performance.now();
  for (let from = 1; from <= rows; from += 50_000) {
    const to = Math.min(rows, from + 49_999);
    await db.query(
      `INSERT INTO records (workspace_id, template_id, submitted_by, status, "values", submitted_at)
       SELECT $1, $2, $3, 'submitted', jsonb_build_object(${objectSql}), ts
       FROM (SELECT n, timestamptz '2026-10-01 00:00:00+09' + (n::float8 / $6 * 2678399) * interval '1 second' AS ts
             FROM generate_series($4::int, $5::int) AS n) s`,
      [ids.workspace_id, ids.template_id, ids.user_id, from, to, rows],
    );
  }
  await db.query(
    `INSERT INTO export_settings (workspace_id, template_id, frequency) VALUES ($1, $2, 'monthly')`,
    [ids.workspace_id, ids.template_id],
  );
  process.stderr.write(
    `seeded ${rows} records in ${((performance.now() - seedStarted) / 1000).toFixed(0)} s\n`,
  );
}
