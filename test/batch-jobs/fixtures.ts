import type { Database } from '#lib/db/index.ts';

/**
 * A small, fully known world: two workspaces in different time zones, each with users of
 * every role, sites and checklists, so every job's effect can be computed by hand.
 * Records are added per test with {@link insertRecord}.
 */
export interface World {
  tokyo: {
    id: number;
    sites: [number, number];
    users: Record<'owner' | 'admin' | 'manager' | 'staff' | 'newcomer', number>;
  };
  london: { id: number; sites: [number]; users: Record<'owner' | 'staff', number> };
  templates: {
    tokyoOpening: number;
    tokyoClosing: number;
    tokyoFridge: number;
    tokyoCleaning: number;
    tokyoInspection: number;
    londonOpening: number;
  };
}

async function insert(db: Database, sql: string, params: unknown[]): Promise<number> {
  const { rows } = await db.query<{ id: number }>(`${sql} RETURNING id`, params);
  const id = rows[0]?.id;
  if (id === undefined) throw new Error(`fixture insert returned no id: ${sql}`);
  return id;
}

async function user(
  db: Database,
  workspace: number,
  name: string,
  role: string,
  lastLogin: string | null,
  created: string,
) {
  return insert(
    db,
    `INSERT INTO users (workspace_id, name, email, role, last_login_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [workspace, name, `${role}.${workspace}.${name.length}@example.com`, role, lastLogin, created],
  );
}

async function template(
  db: Database,
  workspace: number,
  name: string,
  category: string,
  fields: unknown[][] = [],
) {
  const id = await insert(
    db,
    `INSERT INTO form_templates (workspace_id, name, category) VALUES ($1, $2, $3)`,
    [workspace, name, category],
  );
  let position = 0;
  for (const [key, label, type, min, max, choices] of fields) {
    await db.query(
      `INSERT INTO template_fields (template_id, position, key, label, type, min_value, max_value, unit, choices)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        id,
        position++,
        key,
        label,
        type,
        min ?? null,
        max ?? null,
        type === 'temperature' ? '℃' : null,
        choices ? JSON.stringify(choices) : null,
      ],
    );
  }
  return id;
}

/** Seeds the workspaces, users, sites and templates (no records). */
export async function seedWorld(db: Database): Promise<World> {
  const tokyo = await insert(
    db,
    `INSERT INTO workspaces (name, plan, time_zone, locale) VALUES ($1, 'standard', 'Asia/Tokyo', 'ja')`,
    ['さくらフーズ'],
  );
  const london = await insert(
    db,
    `INSERT INTO workspaces (name, plan, time_zone, locale) VALUES ($1, 'pro', 'Europe/London', 'en')`,
    ['Thames Kitchens'],
  );
  const site = (workspace: number, name: string) =>
    insert(db, 'INSERT INTO sites (workspace_id, name) VALUES ($1, $2)', [workspace, name]);
  const world: World = {
    tokyo: {
      id: tokyo,
      sites: [await site(tokyo, '新宿店'), await site(tokyo, '渋谷店')],
      users: {
        owner: await user(
          db,
          tokyo,
          '佐藤 オーナー',
          'owner',
          '2026-01-01T00:00:00Z',
          '2025-01-01T00:00:00Z',
        ),
        admin: await user(db, tokyo, '鈴木 管理者', 'admin', '2026-01-01T00:00:00Z', '2025-01-01T00:00:00Z'),
        manager: await user(
          db,
          tokyo,
          '高橋 店長',
          'manager',
          '2026-05-01T00:00:00Z',
          '2025-01-01T00:00:00Z',
        ),
        staff: await user(
          db,
          tokyo,
          '田中 スタッフ',
          'staff',
          '2026-11-20T00:00:00Z',
          '2025-01-01T00:00:00Z',
        ),
        newcomer: await user(db, tokyo, '伊藤 新人', 'staff', null, '2026-11-01T00:00:00Z'),
      },
    },
    london: {
      id: london,
      sites: [await site(london, 'Camden')],
      users: {
        owner: await user(
          db,
          london,
          'Olivia Owner',
          'owner',
          '2026-11-19T00:00:00Z',
          '2025-01-01T00:00:00Z',
        ),
        staff: await user(db, london, 'Sam Staff', 'staff', null, '2025-06-01T00:00:00Z'),
      },
    },
    templates: {
      tokyoOpening: await template(db, tokyo, '開店チェック', 'opening', [
        ['note', '備考', 'text'],
        ['area', 'エリア', 'single_choice', null, null, ['厨房', 'ホール']],
      ]),
      tokyoClosing: await template(db, tokyo, '閉店チェック', 'closing', [['locked', '施錠', 'yes_no']]),
      tokyoFridge: await template(db, tokyo, '冷蔵庫温度', 'temperature', [
        ['fridge', '冷蔵庫', 'temperature', 0, 5],
        ['freezer', '冷凍庫', 'temperature', -25, -18],
      ]),
      tokyoCleaning: await template(db, tokyo, '清掃記録', 'cleaning'),
      tokyoInspection: await template(db, tokyo, '衛生監査', 'inspection'),
      londonOpening: await template(db, london, 'Opening checks', 'opening', [['note', 'Notes', 'text']]),
    },
  };
  return world;
}

export interface RecordFixture {
  workspace: number;
  template: number;
  site: number | null;
  user?: number | null;
  createdAt: string;
  submittedAt?: string | null;
  values?: Record<string, unknown>;
  deletedAt?: string | null;
  updatedAt?: string;
}

/** Inserts one record (submitted when submittedAt is given, else a draft). */
export function insertRecord(db: Database, record: RecordFixture): Promise<number> {
  const submittedAt = record.submittedAt ?? null;
  return insert(
    db,
    `INSERT INTO records (workspace_id, template_id, site_id, submitted_by, status, "values", submitted_at, created_at,
                          updated_at, deleted_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      record.workspace,
      record.template,
      record.site,
      record.user ?? null,
      submittedAt ? 'submitted' : 'draft',
      JSON.stringify(record.values ?? {}),
      submittedAt,
      record.createdAt,
      record.updatedAt ?? submittedAt ?? record.createdAt,
      record.deletedAt ?? null,
    ],
  );
}

export { insert };
