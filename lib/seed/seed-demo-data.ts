import { createHash } from 'node:crypto';
import type { Database } from '#lib/db/index.ts';
import { bulkInsert } from './bulk-insert.ts';
import type { FieldDefinition, Locale, Shift, TemplateDefinition, WorkspaceDefinition } from './content.ts';
import {
  AUDIT_ACTIONS,
  BASE_WORKSPACES,
  ENGLISH_FIRST_NAMES,
  ENGLISH_LAST_NAMES,
  EXTRA_WORKSPACE_STEMS,
  JAPANESE_FAMILY_NAMES,
  JAPANESE_GIVEN_NAMES,
  templatesFor,
} from './content.ts';
import { SeededRandom } from './random.ts';

export interface SeedProgress {
  phase: 'setup' | 'records' | 'audit_logs' | 'finish';
  done: number;
  total: number;
}

export interface SeedOptions {
  /** Number of records (checklist submissions and drafts) to create. */
  records: number;
  /** Same seed (and same `now`) ⇒ same data. Default 'sfn-batch'. */
  seed?: string | number;
  /** Records spread over the `months` calendar months before `now` (default 3, at least 2). */
  months?: number;
  /** Reference instant; default the real current time. */
  now?: Date;
  /** Called after each batch; cheap enough to print from. */
  onProgress?: (progress: SeedProgress) => void;
  /** Rows per INSERT (default 2000). */
  batchSize?: number;
  /** From this many records, secondary indexes are dropped for the load and rebuilt after (default 100,000). */
  deferIndexesFrom?: number;
}

export interface SeedSummary {
  workspaces: number;
  sites: number;
  users: number;
  templates: number;
  fields: number;
  records: number;
  drafts: number;
  deletedRecords: number;
  photos: number;
  correctiveActions: number;
  shareLinks: number;
  auditLogs: number;
  exportSettings: number;
}

/** Tables the generator fills, children first (for reset). */
const SEEDED_TABLES = [
  'export_targets',
  'export_runs',
  'export_settings',
  'audit_logs',
  'share_links',
  'corrective_actions',
  'record_photos',
  'records',
  'template_fields',
  'form_templates',
  'users',
  'sites',
  'workspaces',
];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Fixed standard-time offsets (hours) for placing shifts in local time; DST is ignored on purpose. */
const ZONE_OFFSETS: Record<string, number> = {
  'Asia/Tokyo': 9,
  'Europe/London': 0,
  'America/New_York': -5,
  'America/Los_Angeles': -8,
};

const SHIFT_HOURS: Record<Shift | 'any', [number, number]> = {
  morning: [6, 10],
  day: [10, 17],
  evening: [20, 23],
  night: [0, 5],
  any: [6, 22],
};

/** Record count from which secondary indexes are dropped during the load and rebuilt after. */
const DEFER_INDEXES_FROM = 100_000;

/** Drops the non-constraint indexes of the tables (inside the caller's transaction) and returns their definitions. */
async function dropSecondaryIndexes(db: Database, tables: string[]): Promise<string[]> {
  const { rows } = await db.query<{ name: string; definition: string }>(
    `SELECT i.indexname AS name, i.indexdef AS definition
       FROM pg_indexes i
      WHERE i.schemaname = current_schema() AND i.tablename = ANY($1::text[])
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
    [tables],
  );
  for (const row of rows) await db.query(`DROP INDEX "${row.name.replaceAll('"', '""')}"`);
  return rows.map((row) => row.definition);
}

/** True when no workspace exists yet, or the schema is not migrated (first start: seed the demo). */
export async function isDatabaseEmpty(db: Database): Promise<boolean> {
  const { rows: tables } = await db.query<{ table: string | null }>(
    "SELECT to_regclass('workspaces')::text AS table",
  );
  if (!tables[0]?.table) return true;
  const { rows } = await db.query<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM workspaces) AS found');
  return rows[0]?.found !== true;
}

/** Deletes all demo-data tables' rows (and rows of tables referencing them) and restarts ids. */
export async function resetDemoData(db: Database): Promise<void> {
  await db.query(`TRUNCATE ${SEEDED_TABLES.join(', ')} RESTART IDENTITY CASCADE`);
}

interface WorkspaceRow {
  id: number;
  definition: WorkspaceDefinition;
  offsetHours: number;
  siteIds: number[];
  userIds: number[];
  templates: Array<{ id: number; definition: TemplateDefinition }>;
  sizeFactor: number;
}

function isoDate(ms: number, offsetHours: number): string {
  return new Date(ms + offsetHours * HOUR).toISOString().slice(0, 10);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function workspaceDefinitions(records: number, random: SeededRandom): WorkspaceDefinition[] {
  const extra = Math.min(200, Math.floor(records / 100_000) * 2);
  const plans = ['free', 'standard', 'pro', 'enterprise'] as const;
  const out = [...BASE_WORKSPACES];
  for (let index = 0; index < extra; index += 1) {
    const stem = EXTRA_WORKSPACE_STEMS[index % EXTRA_WORKSPACE_STEMS.length];
    if (!stem) continue;
    const number = Math.floor(index / EXTRA_WORKSPACE_STEMS.length) + 2;
    out.push({
      ...stem,
      name: stem.locale === 'ja' ? `${stem.name} ${number}号店` : `${stem.name} #${number}`,
      plan: random.pick(plans),
      sites: stem.locale === 'ja' ? ['本店', '駅前店'] : ['Main', 'Downtown'],
    });
  }
  return out;
}

function personName(locale: Locale, random: SeededRandom): { name: string; local: string } {
  if (locale === 'ja') {
    const [family, familyRomaji] = random.pick(JAPANESE_FAMILY_NAMES);
    const [given, givenRomaji] = random.pick(JAPANESE_GIVEN_NAMES);
    return { name: `${family} ${given}`, local: `${givenRomaji}.${familyRomaji}` };
  }
  const first = random.pick(ENGLISH_FIRST_NAMES);
  const last = random.pick(ENGLISH_LAST_NAMES);
  return { name: `${first} ${last}`, local: `${first}.${last}`.toLowerCase() };
}

/** A value of one field, or undefined to leave it out (optional field not answered). */
function fieldValue(
  field: FieldDefinition,
  random: SeededRandom,
  at: number,
  offsetHours: number,
  objectKey: (kind: 'photo' | 'signature') => string,
): { value: unknown; outOfRange: boolean } | undefined {
  const answered = field.required === true || random.chance(0.6);
  switch (field.type) {
    case 'datetime':
      return { value: new Date(at - random.int(0, 10) * 60_000).toISOString(), outOfRange: false };
    case 'date':
      return {
        value: isoDate(at + (field.key.includes('best') ? random.int(1, 7) * DAY : 0), offsetHours),
        outOfRange: false,
      };
    case 'yes_no':
      return answered ? { value: random.chance(0.93), outOfRange: false } : undefined;
    case 'single_choice': {
      const choices = field.choices ?? [];
      return answered
        ? { value: random.chance(0.7) ? choices[0] : random.pick(choices), outOfRange: false }
        : undefined;
    }
    case 'multi_choice': {
      const rare = field.key === 'issues' || field.key === 'findings';
      const value = random.subset(field.choices ?? [], rare ? 0.06 : 0.45, rare ? 0 : 1);
      return { value, outOfRange: false };
    }
    case 'temperature': {
      const min = field.min ?? 0;
      const max = field.max ?? 10;
      if (random.chance(0.04)) {
        const above = random.chance(0.7);
        const value = round1(above ? max + 0.3 + random.next() * 5 : min - 0.3 - random.next() * 4);
        return { value, outOfRange: true };
      }
      const value = round1(Math.min(max, Math.max(min, random.normal((min + max) / 2, (max - min) / 6))));
      return { value, outOfRange: false };
    }
    case 'number': {
      if (!answered) return undefined;
      const min = field.min ?? 0;
      const max = field.max ?? 100;
      const value =
        field.key === 'score' ? random.int(60, 100) : round1(min + (max - min) * random.next() ** 2);
      return { value, outOfRange: false };
    }
    case 'text':
      return answered && field.samples ? { value: random.pick(field.samples), outOfRange: false } : undefined;
    case 'photo':
      return random.chance(0.35) ? { value: objectKey('photo'), outOfRange: false } : undefined;
    case 'signature':
      return { value: objectKey('signature'), outOfRange: false };
  }
}

/**
 * Fills an empty records database with deterministic, realistic demo data (Japanese and
 * English restaurants, factories and hotel kitchens) spread over the last `months`
 * months, in one transaction. Throws if the database already has workspaces.
 */
export async function seedDemoData(db: Database, options: SeedOptions): Promise<SeedSummary> {
  const total = options.records;
  if (!Number.isInteger(total) || total < 0) {
    throw new RangeError(`records must be a non-negative integer, got ${total}`);
  }
  const months = Math.max(2, options.months ?? 3);
  const now = options.now ?? new Date();
  const nowMs = now.getTime();
  const batchSize = options.batchSize ?? 2000;
  const random = new SeededRandom(options.seed ?? 'sfn-batch');
  const report = options.onProgress ?? (() => undefined);
  const startDate = new Date(now);
  startDate.setUTCMonth(startDate.getUTCMonth() - months, 1);
  startDate.setUTCHours(0, 0, 0, 0);
  const startMs = startDate.getTime();
  const days = Math.max(1, Math.ceil((nowMs - startMs) / DAY));

  if (!(await isDatabaseEmpty(db))) {
    throw new Error(
      'The database already has workspaces: seed only an empty database (batchctl seed --reset starts over)',
    );
  }

  return db.transaction(async (tx) => {
    report({ phase: 'setup', done: 0, total });
    // Foreign-key triggers cost more than half of the insert time (measured on PGlite), and
    // the generator assigns every id itself, so it skips them for this transaction where
    // the role may (superuser: PGlite, local PostgreSQL); elsewhere they simply run.
    await tx
      .transaction((inner) => inner.query('SET LOCAL session_replication_role = replica'))
      .catch(() => undefined);
    // Big loads build secondary indexes once at the end instead of row by row.
    const deferredIndexes =
      total >= DEFER_INDEXES_FROM
        ? await dropSecondaryIndexes(tx, ['records', 'record_photos', 'audit_logs'])
        : [];
    const summary: SeedSummary = {
      workspaces: 0,
      sites: 0,
      users: 0,
      templates: 0,
      fields: 0,
      records: 0,
      drafts: 0,
      deletedRecords: 0,
      photos: 0,
      correctiveActions: 0,
      shareLinks: 0,
      auditLogs: 0,
      exportSettings: 0,
    };
    const ids = {
      site: 0,
      user: 0,
      template: 0,
      field: 0,
      record: 0,
      photo: 0,
      action: 0,
      link: 0,
      audit: 0,
      setting: 0,
    };
    const workspaces: WorkspaceRow[] = [];
    const workspaceRows: Record<string, unknown>[] = [];
    const siteRows: Record<string, unknown>[] = [];
    const userRows: Record<string, unknown>[] = [];
    const templateRows: Record<string, unknown>[] = [];
    const fieldRows: Record<string, unknown>[] = [];
    const settingRows: Record<string, unknown>[] = [];
    const sizeFactors = { free: 0.5, standard: 1, pro: 2, enterprise: 4 } as const;

    for (const [index, definition] of workspaceDefinitions(total, random).entries()) {
      const id = index + 1;
      const createdMs = startMs - random.int(60, 900) * DAY;
      workspaceRows.push({
        id,
        name: definition.name,
        plan: definition.plan,
        time_zone: definition.timeZone,
        locale: definition.locale,
        created_at: new Date(createdMs).toISOString(),
      });
      const workspace: WorkspaceRow = {
        id,
        definition,
        offsetHours: ZONE_OFFSETS[definition.timeZone] ?? 0,
        siteIds: [],
        userIds: [],
        templates: [],
        sizeFactor: sizeFactors[definition.plan],
      };
      for (const siteName of definition.sites) {
        ids.site += 1;
        workspace.siteIds.push(ids.site);
        siteRows.push({
          id: ids.site,
          workspace_id: id,
          name: siteName,
          created_at: new Date(createdMs + random.int(0, 30) * DAY).toISOString(),
        });
      }
      const userCount = Math.round(random.int(6, 14) * Math.sqrt(workspace.sizeFactor));
      const emails = new Set<string>();
      for (let userIndex = 0; userIndex < userCount; userIndex += 1) {
        ids.user += 1;
        const person = personName(definition.locale, random);
        let email = `${person.local}@ws${id}.example.com`;
        for (let suffix = 2; emails.has(email); suffix += 1)
          email = `${person.local}${suffix}@ws${id}.example.com`;
        emails.add(email);
        const role =
          userIndex === 0 ? 'owner' : userIndex < 3 ? 'admin' : userIndex < 6 ? 'manager' : 'staff';
        const state =
          userIndex < 2
            ? 'active'
            : random.pick(['active', 'active', 'active', 'active', 'dormant', 'never', 'deactivated']);
        const lastLogin =
          state === 'never'
            ? null
            : state === 'dormant'
              ? nowMs - random.int(95, 400) * DAY
              : nowMs - random.int(0, 20) * DAY - random.int(0, 23) * HOUR;
        userRows.push({
          id: ids.user,
          workspace_id: id,
          name: person.name,
          email,
          locale: definition.locale,
          role,
          created_at: new Date(createdMs + random.int(0, 60) * DAY).toISOString(),
          last_login_at: lastLogin === null ? null : new Date(lastLogin).toISOString(),
          deactivated_at:
            state === 'deactivated' ? new Date(nowMs - random.int(10, 200) * DAY).toISOString() : null,
        });
        if (state !== 'deactivated') workspace.userIds.push(ids.user);
      }
      for (const template of templatesFor(definition.locale)) {
        ids.template += 1;
        const templateId = ids.template;
        workspace.templates.push({ id: templateId, definition: template });
        templateRows.push({
          id: templateId,
          workspace_id: id,
          name: template.name,
          category: template.category,
          version: random.int(1, 4),
          shift: template.shift,
          active: true,
          created_at: new Date(createdMs + DAY).toISOString(),
          updated_at: new Date(startMs - random.int(1, 50) * DAY).toISOString(),
        });
        for (const [position, field] of template.fields.entries()) {
          ids.field += 1;
          fieldRows.push({
            id: ids.field,
            template_id: templateId,
            position,
            key: field.key,
            label: field.label,
            type: field.type,
            unit: field.unit ?? null,
            choices: field.choices ?? null,
            min_value: field.min ?? null,
            max_value: field.max ?? null,
            required: field.required === true,
          });
        }
        const frequencies: Array<'daily' | 'weekly' | 'monthly'> = ['monthly'];
        if (template.category === 'temperature' || template.category === 'opening')
          frequencies.push('weekly');
        if (template.category === 'temperature' && random.chance(0.5)) frequencies.push('daily');
        for (const frequency of frequencies) {
          ids.setting += 1;
          settingRows.push({
            id: ids.setting,
            workspace_id: id,
            template_id: templateId,
            frequency,
            enabled: random.chance(0.9),
            created_at: new Date(startMs - random.int(1, 30) * DAY).toISOString(),
            updated_at: new Date(startMs).toISOString(),
          });
        }
      }
      workspaces.push(workspace);
    }

    await bulkInsert(
      tx,
      'workspaces',
      {
        id: 'bigint',
        name: 'text',
        plan: 'text',
        time_zone: 'text',
        locale: 'text',
        created_at: 'timestamptz',
      },
      workspaceRows,
    );
    await bulkInsert(
      tx,
      'sites',
      { id: 'bigint', workspace_id: 'bigint', name: 'text', created_at: 'timestamptz' },
      siteRows,
    );
    await bulkInsert(
      tx,
      'users',
      {
        id: 'bigint',
        workspace_id: 'bigint',
        name: 'text',
        email: 'text',
        locale: 'text',
        role: 'text',
        created_at: 'timestamptz',
        last_login_at: 'timestamptz',
        deactivated_at: 'timestamptz',
      },
      userRows,
    );
    await bulkInsert(
      tx,
      'form_templates',
      {
        id: 'bigint',
        workspace_id: 'bigint',
        name: 'text',
        category: 'text',
        version: 'integer',
        shift: 'text',
        active: 'boolean',
        created_at: 'timestamptz',
        updated_at: 'timestamptz',
      },
      templateRows,
    );
    await bulkInsert(
      tx,
      'template_fields',
      {
        id: 'bigint',
        template_id: 'bigint',
        position: 'integer',
        key: 'text',
        label: 'text',
        type: 'text',
        unit: 'text',
        choices: 'jsonb',
        min_value: 'numeric',
        max_value: 'numeric',
        required: 'boolean',
      },
      fieldRows,
    );
    await bulkInsert(
      tx,
      'export_settings',
      {
        id: 'bigint',
        workspace_id: 'bigint',
        template_id: 'bigint',
        frequency: 'text',
        enabled: 'boolean',
        created_at: 'timestamptz',
        updated_at: 'timestamptz',
      },
      settingRows,
    );
    summary.workspaces = workspaceRows.length;
    summary.sites = siteRows.length;
    summary.users = userRows.length;
    summary.templates = templateRows.length;
    summary.fields = fieldRows.length;
    summary.exportSettings = settingRows.length;

    // One flat, weighted list of (workspace, template) so each record is one draw.
    const targets = workspaces.flatMap((workspace) =>
      workspace.templates.map((template) => ({ workspace, template })),
    );
    const cumulative: number[] = [];
    let weightSum = 0;
    for (const { workspace, template } of targets) {
      weightSum += template.definition.weight * workspace.sizeFactor;
      cumulative.push(weightSum);
    }
    const drawTarget = () => {
      const value = random.next() * weightSum;
      let low = 0;
      let high = cumulative.length - 1;
      while (low < high) {
        const middle = (low + high) >> 1;
        if ((cumulative[middle] ?? 0) <= value) low = middle + 1;
        else high = middle;
      }
      const target = targets[low];
      if (!target) throw new Error('no template to seed records for');
      return target;
    };

    const recordColumns = {
      id: 'bigint',
      workspace_id: 'bigint',
      template_id: 'bigint',
      site_id: 'bigint',
      submitted_by: 'bigint',
      status: 'text',
      values: 'jsonb',
      submitted_at: 'timestamptz',
      created_at: 'timestamptz',
      updated_at: 'timestamptz',
      deleted_at: 'timestamptz',
    };
    const photoColumns = {
      id: 'bigint',
      record_id: 'bigint',
      workspace_id: 'bigint',
      field_key: 'text',
      object_key: 'text',
      content_type: 'text',
      bytes: 'integer',
      created_at: 'timestamptz',
      deleted_at: 'timestamptz',
    };
    const actionColumns = {
      id: 'bigint',
      record_id: 'bigint',
      workspace_id: 'bigint',
      description: 'text',
      assignee_id: 'bigint',
      created_at: 'timestamptz',
      due_at: 'timestamptz',
      resolved_at: 'timestamptz',
      escalated_at: 'timestamptz',
    };
    const auditColumns = {
      id: 'bigint',
      workspace_id: 'bigint',
      actor_id: 'bigint',
      action: 'text',
      entity_type: 'text',
      entity_id: 'text',
      at: 'timestamptz',
      detail: 'jsonb',
    };

    const auditRows: Record<string, unknown>[] = [];
    const flushAudit = async (force: boolean) => {
      if (auditRows.length >= batchSize || (force && auditRows.length > 0)) {
        await bulkInsert(tx, 'audit_logs', auditColumns, auditRows);
        summary.auditLogs += auditRows.length;
        auditRows.length = 0;
      }
    };
    const audit = (
      workspaceId: number,
      actorId: number | null,
      actionIndex: number,
      entityId: string,
      at: number,
      detail: object,
    ) => {
      const [action, entityType] = AUDIT_ACTIONS[actionIndex] ?? AUDIT_ACTIONS[0];
      ids.audit += 1;
      auditRows.push({
        id: ids.audit,
        workspace_id: workspaceId,
        actor_id: actorId,
        action,
        entity_type: entityType,
        entity_id: entityId,
        at: new Date(at).toISOString(),
        detail,
      });
    };

    for (let done = 0; done < total; ) {
      const count = Math.min(batchSize, total - done);
      const recordRows: Record<string, unknown>[] = [];
      const photoRows: Record<string, unknown>[] = [];
      const actionRows: Record<string, unknown>[] = [];
      for (let index = 0; index < count; index += 1) {
        const { workspace, template } = drawTarget();
        ids.record += 1;
        const recordId = ids.record;
        const [fromHour, toHour] = SHIFT_HOURS[template.definition.shift ?? 'any'];
        let at = nowMs;
        while (at >= nowMs) {
          const day = random.int(0, days - 1);
          at =
            startMs +
            day * DAY +
            (random.int(fromHour, toHour) - workspace.offsetHours) * HOUR +
            random.int(0, 3599) * 1000;
        }
        const actorId = workspace.userIds.length > 0 ? random.pick(workspace.userIds) : null;
        const isDraft = random.chance(0.03);
        const values: Record<string, unknown> = {};
        let outOfRange: FieldDefinition | undefined;
        for (const field of template.definition.fields) {
          if (isDraft && random.chance(0.5)) continue;
          const answer = fieldValue(field, random, at, workspace.offsetHours, (kind) =>
            kind === 'photo'
              ? `photos/${workspace.id}/${recordId}/${field.key}.jpg`
              : `signatures/${workspace.id}/${recordId}.png`,
          );
          if (!answer) continue;
          values[field.key] = answer.value;
          if (answer.outOfRange) outOfRange ??= field;
          if (field.type === 'photo' && typeof answer.value === 'string') {
            ids.photo += 1;
            photoRows.push({
              id: ids.photo,
              record_id: recordId,
              workspace_id: workspace.id,
              field_key: field.key,
              object_key: answer.value,
              content_type: 'image/jpeg',
              bytes: random.int(80_000, 2_400_000),
              created_at: new Date(at).toISOString(),
              deleted_at: null,
            });
          }
        }
        const createdMs = at - random.int(1, 15) * 60_000;
        let deletedMs: number | null = null;
        if (random.chance(0.02)) {
          deletedMs = Math.min(nowMs - 60_000, at + random.int(0, 20) * DAY + random.int(0, 23) * HOUR);
          summary.deletedRecords += 1;
        }
        if (isDraft) summary.drafts += 1;
        recordRows.push({
          id: recordId,
          workspace_id: workspace.id,
          template_id: template.id,
          site_id: random.pick(workspace.siteIds),
          submitted_by: actorId,
          status: isDraft ? 'draft' : 'submitted',
          values,
          submitted_at: isDraft ? null : new Date(at).toISOString(),
          created_at: new Date(createdMs).toISOString(),
          updated_at: new Date(isDraft ? at : at + random.int(0, 5) * 60_000).toISOString(),
          deleted_at: deletedMs === null ? null : new Date(deletedMs).toISOString(),
        });
        if (!isDraft && random.chance(0.3))
          audit(workspace.id, actorId, 1, String(recordId), at, { template: template.definition.name });
        if (deletedMs !== null)
          audit(workspace.id, actorId, 3, String(recordId), deletedMs, { reason: 'duplicate' });
        if (!isDraft && outOfRange && random.chance(0.6)) {
          const ja = workspace.definition.locale === 'ja';
          const dueMs = at + random.int(1, 3) * DAY;
          const resolved = dueMs < nowMs ? random.chance(0.7) : random.chance(0.2);
          const resolvedMs = resolved ? Math.min(nowMs - 60_000, at + random.int(1, 60) * HOUR) : null;
          ids.action += 1;
          actionRows.push({
            id: ids.action,
            record_id: recordId,
            workspace_id: workspace.id,
            description: ja
              ? `${outOfRange.label}が許容範囲外。再測定し、必要に応じて食材を廃棄すること`
              : `${outOfRange.label} out of range: re-check and discard affected food if needed`,
            assignee_id: actorId,
            created_at: new Date(at).toISOString(),
            due_at: new Date(dueMs).toISOString(),
            resolved_at: resolvedMs === null ? null : new Date(resolvedMs).toISOString(),
            escalated_at:
              resolvedMs === null && dueMs < nowMs && random.chance(0.3)
                ? new Date(dueMs + DAY).toISOString()
                : null,
          });
        }
      }
      await bulkInsert(tx, 'records', recordColumns, recordRows);
      await bulkInsert(tx, 'record_photos', photoColumns, photoRows);
      await bulkInsert(tx, 'corrective_actions', actionColumns, actionRows);
      await flushAudit(false);
      summary.photos += photoRows.length;
      summary.correctiveActions += actionRows.length;
      done += count;
      summary.records = done;
      report({ phase: 'records', done, total });
    }

    // Logins, template edits and exports spread over the period, so audit archiving has months of work.
    for (const workspace of workspaces) {
      const logins = Math.ceil((workspace.userIds.length * days) / 3);
      for (let index = 0; index < logins; index += 1) {
        const actorId = random.pick(workspace.userIds);
        const at = startMs + random.int(0, days * 24 * 60 - 1) * 60_000;
        if (at >= nowMs) continue;
        const action = random.chance(0.85) ? 0 : random.pick([4, 5, 6, 7]);
        audit(workspace.id, actorId, action, String(action === 0 ? actorId : workspace.id), at, {
          ip: `203.0.113.${random.int(1, 254)}`,
        });
        await flushAudit(false);
      }
    }
    await flushAudit(true);
    report({ phase: 'audit_logs', done: summary.auditLogs, total: summary.auditLogs });

    const linkRows: Record<string, unknown>[] = [];
    for (const workspace of workspaces) {
      const links = random.int(4, 12);
      for (let index = 0; index < links; index += 1) {
        ids.link += 1;
        const createdMs = startMs + random.int(0, days - 1) * DAY;
        const state = random.pick(['expired', 'expired', 'live', 'live', 'revoked']);
        const template = random.pick(workspace.templates);
        linkRows.push({
          id: ids.link,
          workspace_id: workspace.id,
          record_id: null,
          template_id: template.id,
          token_hash: createHash('sha256').update(random.hex(40)).digest('hex'),
          created_by: workspace.userIds[0] ?? null,
          created_at: new Date(createdMs).toISOString(),
          expires_at: new Date(
            state === 'expired' ? nowMs - random.int(1, 40) * DAY : nowMs + random.int(1, 30) * DAY,
          ).toISOString(),
          revoked_at: state === 'revoked' ? new Date(createdMs + DAY).toISOString() : null,
        });
      }
    }
    await bulkInsert(
      tx,
      'share_links',
      {
        id: 'bigint',
        workspace_id: 'bigint',
        record_id: 'bigint',
        template_id: 'bigint',
        token_hash: 'text',
        created_by: 'bigint',
        created_at: 'timestamptz',
        expires_at: 'timestamptz',
        revoked_at: 'timestamptz',
      },
      linkRows,
    );
    summary.shareLinks = linkRows.length;

    // Explicit ids were inserted: move each identity past them so later inserts do not collide.
    for (const table of [
      'workspaces',
      'sites',
      'users',
      'form_templates',
      'template_fields',
      'records',
      'record_photos',
      'corrective_actions',
      'share_links',
      'audit_logs',
      'export_settings',
    ]) {
      await tx.query(
        `SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT max(id) FROM ${table}), 1), (SELECT max(id) IS NOT NULL FROM ${table}))`,
      );
    }
    for (const definition of deferredIndexes) await tx.query(definition);
    report({ phase: 'finish', done: total, total });
    return summary;
  });
}
