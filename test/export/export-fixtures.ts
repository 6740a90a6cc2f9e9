import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '#lib/db/index.ts';
import { collectOutput, type ProcessResult, runProcess } from '../support/processes.ts';

export const NODE = join(process.cwd(), 'node_modules', '.bin', 'node');
export const CONVERTER = join(process.cwd(), 'containers', 'xlsx-converter', 'main.ts');

/** The fields of the small template, one per kind, in sheet order. */
export const SMALL_FIELDS = [
  { key: 'fridge_temp', label: '冷蔵庫温度', type: 'temperature', unit: '°C', min: 0, max: 10 },
  { key: 'checked_at', label: '確認時刻', type: 'datetime' },
  { key: 'check_date', label: '点検日', type: 'date' },
  { key: 'hands_washed', label: '手洗い確認', type: 'yes_no' },
  { key: 'shift', label: 'シフト', type: 'single_choice', choices: ['朝', '昼', '夜'] },
  { key: 'allergens', label: 'アレルゲン', type: 'multi_choice', choices: ['卵', '乳', '小麦'] },
  { key: 'note', label: '備考', type: 'text' },
  { key: 'weight', label: '仕入れ数量', type: 'number', unit: 'kg' },
  { key: 'photo', label: '写真', type: 'photo' },
  { key: 'signature', label: '責任者サイン', type: 'signature' },
] as const;

export interface SmallRecord {
  submittedAt: string;
  values: Record<string, unknown>;
  status?: 'draft' | 'submitted';
  deleted?: boolean;
}

/** October 2026 in Tokyo, with records on and just outside both boundaries. */
export const SMALL_RECORDS: SmallRecord[] = [
  {
    submittedAt: '2026-09-30T15:00:00Z', // 1 Oct 00:00 JST: first instant of the month
    values: {
      fridge_temp: 4.5,
      checked_at: '2026-09-30T14:55:00Z',
      check_date: '2026-10-01',
      hands_washed: true,
      shift: '朝',
      allergens: ['卵', '乳'],
      note: '異常なし。扉のパッキン良好。',
      weight: 12.25,
      photo: 'https://files.example.com/photos/1/冷蔵庫.jpg',
      signature: { signedBy: '佐藤 花子', signedAt: '2026-09-30T15:05:00Z' },
    },
  },
  {
    submittedAt: '2026-10-15T03:30:00Z',
    values: {
      fridge_temp: 12.5,
      checked_at: '2026-10-15T03:20:00Z',
      check_date: '2026-10-15',
      hands_washed: false,
      shift: '昼',
      allergens: [],
      note: 'Door left open, "re-checked" at 13:00 & logged',
      weight: 7,
    },
  },
  {
    submittedAt: '2026-10-31T14:59:59Z', // 31 Oct 23:59:59 JST: last second of the month
    values: { fridge_temp: -1, shift: '夜', allergens: ['小麦'], note: '最終確認' },
  },
  { submittedAt: '2026-10-31T15:00:00Z', values: { note: 'November: not exported' } },
  { submittedAt: '2026-09-30T14:59:59Z', values: { note: 'September: not exported' } },
  { submittedAt: '2026-10-10T00:00:00Z', values: { note: 'draft: not exported' }, status: 'draft' },
  { submittedAt: '2026-10-11T00:00:00Z', values: { note: 'deleted: not exported' }, deleted: true },
];

/** Columns of an export_targets row that the export suites read. */
export interface TargetRow extends Record<string, unknown> {
  target_id: number;
  template_id: number;
  status: string;
  row_count: number | null;
  bytes: number | null;
  duration_ms: number | null;
  publish_version: string | null;
  object_key: string;
}

export interface Fixture {
  workspaceId: number;
  smallTemplateId: number;
  bigTemplateId: number;
}

/**
 * Seeds one Tokyo workspace with a small template (every field kind, boundary
 * records), a big template (`bigRecords` records in October) and settings that
 * must not be picked up (weekly, disabled, deleted workspace, deleted template).
 */
export async function seedExportFixture(db: Database, bigRecords: number): Promise<Fixture> {
  const one = async (sql: string, params: unknown[] = []) => {
    const row = (await db.query<{ id: number }>(sql, params)).rows[0];
    if (!row) throw new Error(`fixture insert returned nothing: ${sql}`);
    return Number(row.id);
  };
  const workspaceId = await one(
    `INSERT INTO workspaces (name, time_zone, locale) VALUES ('テスト食品株式会社', 'Asia/Tokyo', 'ja') RETURNING id`,
  );
  const userId = await one(
    `INSERT INTO users (workspace_id, name, email) VALUES ($1, '佐藤 花子', 'hanako@example.com') RETURNING id`,
    [workspaceId],
  );
  const siteId = await one(`INSERT INTO sites (workspace_id, name) VALUES ($1, '渋谷店') RETURNING id`, [
    workspaceId,
  ]);
  const template = (name: string, ws = workspaceId) =>
    one(
      `INSERT INTO form_templates (workspace_id, name, category) VALUES ($1, $2, 'temperature') RETURNING id`,
      [ws, name],
    );
  const smallTemplateId = await template('冷蔵庫温度チェック');
  for (const [position, field] of SMALL_FIELDS.entries()) {
    await db.query(
      `INSERT INTO template_fields (template_id, position, key, label, type, unit, choices, min_value, max_value)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        smallTemplateId,
        position,
        field.key,
        field.label,
        field.type,
        'unit' in field ? field.unit : null,
        'choices' in field ? JSON.stringify(field.choices) : null,
        'min' in field ? field.min : null,
        'max' in field ? field.max : null,
      ],
    );
  }
  for (const record of SMALL_RECORDS) {
    const submitted = record.status !== 'draft';
    await db.query(
      `INSERT INTO records (workspace_id, template_id, site_id, submitted_by, status, "values", submitted_at, deleted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        workspaceId,
        smallTemplateId,
        siteId,
        userId,
        submitted ? 'submitted' : 'draft',
        JSON.stringify(record.values),
        submitted ? record.submittedAt : null,
        record.deleted ? '2026-10-12T00:00:00Z' : null,
      ],
    );
  }
  const bigTemplateId = await template('Big checklist');
  await db.query(
    `INSERT INTO template_fields (template_id, position, key, label, type, unit, min_value, max_value)
     VALUES ($1, 0, 'temp', 'Temperature', 'temperature', '°C', 0, 10), ($1, 1, 'note', 'Note', 'text', NULL, NULL, NULL)`,
    [bigTemplateId],
  );
  await db.query(
    `INSERT INTO records (workspace_id, template_id, submitted_by, status, "values", submitted_at)
     SELECT $1, $2, $3, 'submitted',
            jsonb_build_object('temp', (n % 150) / 10.0, 'note', 'row ' || n || ' 冷蔵庫'),
            timestamptz '2026-10-01 00:00:00+09' + n * interval '20 seconds'
     FROM generate_series(1, $4::int) AS n`,
    [workspaceId, bigTemplateId, userId, bigRecords],
  );
  await db.query(
    `INSERT INTO export_settings (workspace_id, template_id, frequency) VALUES ($1, $2, 'monthly'), ($1, $3, 'monthly')`,
    [workspaceId, smallTemplateId, bigTemplateId],
  );

  // Settings that a monthly run must not pick up.
  const weeklyOnly = await template('週次のみ');
  await db.query(
    `INSERT INTO export_settings (workspace_id, template_id, frequency) VALUES ($1, $2, 'weekly')`,
    [workspaceId, weeklyOnly],
  );
  const disabled = await template('無効');
  await db.query(
    `INSERT INTO export_settings (workspace_id, template_id, frequency, enabled) VALUES ($1, $2, 'monthly', false)`,
    [workspaceId, disabled],
  );
  const deletedTemplate = await template('削除済みテンプレート');
  await db.query(`UPDATE form_templates SET deleted_at = now() WHERE id = $1`, [deletedTemplate]);
  await db.query(
    `INSERT INTO export_settings (workspace_id, template_id, frequency) VALUES ($1, $2, 'monthly')`,
    [workspaceId, deletedTemplate],
  );
  const goneWorkspace = await one(
    `INSERT INTO workspaces (name, deleted_at) VALUES ('解約済み', now()) RETURNING id`,
  );
  const goneTemplate = await template('解約済みの点検', goneWorkspace);
  await db.query(
    `INSERT INTO export_settings (workspace_id, template_id, frequency) VALUES ($1, $2, 'monthly')`,
    [goneWorkspace, goneTemplate],
  );
  return { workspaceId, smallTemplateId, bigTemplateId };
}

/** Starts the converter as the container runtime would: argv command and SFN_BATCH_INPUT. */
export function startConverter(
  env: Record<string, string>,
  input: unknown,
  argv = ['convert-batch'],
): { child: ChildProcess; done: Promise<ProcessResult> } {
  const child = spawn(NODE, [CONVERTER, ...argv], {
    env: { PATH: process.env.PATH ?? '', ...env, SFN_BATCH_INPUT: JSON.stringify(input) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = collectOutput(child);
  return { child, done };
}

/** Opens an xlsx with LibreOffice as a user would and returns the first sheet as CSV rows. */
export async function libreOfficeRows(xlsx: Buffer): Promise<string[][]> {
  const dir = await mkdtemp(join(tmpdir(), 'lo-export-'));
  const profile = join(tmpdir(), `lo-${randomBytes(6).toString('hex')}`);
  try {
    const file = join(dir, 'export.xlsx');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, xlsx));
    // 44 = comma, 34 = double quote, 76 = UTF-8; cells are written as shown.
    const result = await runProcess('soffice', [
      `-env:UserInstallation=file://${profile}`,
      '--headless',
      '--convert-to',
      'csv:Text - txt - csv (StarCalc):44,34,76,1',
      '--outdir',
      dir,
      file,
    ]);
    const csv = await readFile(join(dir, 'export.csv'), 'utf8').catch((error: unknown) => {
      throw new Error(`LibreOffice did not convert the file (exit ${result.code}): ${result.stderr}`, {
        cause: error,
      });
    });
    return parseCsv(csv);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  }
}

/** RFC 4180 CSV: quoted fields with doubled quotes, newlines inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (char !== '\r') field += char;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
