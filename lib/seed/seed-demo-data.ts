/**
 * Seeding the demo data: one transaction that runs the pure row generators
 * (organisation-rows.ts, activity-rows.ts) and writes their rows through the table
 * registry (tables.ts).
 */
import type { Database } from '#lib/db/index.ts';
import { SeededRandom } from '../random.ts';
import { activityAuditRows, RecordGenerator, shareLinkRows } from './activity-rows.ts';
import { DAY, newIdCounters, organisationRows, type SeedPeriod } from './organisation-rows.ts';
import { DemoTableWriter, RESET_TABLES } from './tables.ts';

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
  /**
   * At least this many checklist templates (default: as many as the record count gives,
   * 6 per workspace). More workspaces are added for it; their records share the same total.
   */
  templates?: number;
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

/** The most checklist templates a seed may ask for (1,000 workspaces). */
export const MAX_SEED_TEMPLATES = 6000;

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
  await db.query(`TRUNCATE ${RESET_TABLES.join(', ')} RESTART IDENTITY CASCADE`);
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
  const templates = options.templates ?? 0;
  if (!Number.isInteger(templates) || templates < 0 || templates > MAX_SEED_TEMPLATES) {
    throw new RangeError(
      `templates must be a whole number from 0 to ${MAX_SEED_TEMPLATES}, got ${templates}`,
    );
  }
  const months = Math.max(2, options.months ?? 3);
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 2000;
  const random = new SeededRandom(options.seed ?? 'sfn-batch');
  const report = options.onProgress ?? (() => undefined);
  const startDate = new Date(now);
  startDate.setUTCMonth(startDate.getUTCMonth() - months, 1);
  startDate.setUTCHours(0, 0, 0, 0);
  const period: SeedPeriod = {
    startMs: startDate.getTime(),
    nowMs: now.getTime(),
    days: Math.max(1, Math.ceil((now.getTime() - startDate.getTime()) / DAY)),
  };

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
      total >= (options.deferIndexesFrom ?? DEFER_INDEXES_FROM)
        ? await dropSecondaryIndexes(tx, ['records', 'record_photos', 'audit_logs'])
        : [];
    const writer = new DemoTableWriter(tx);
    const ids = newIdCounters();

    const organisation = organisationRows(total, period, random, ids, templates);
    for (const [table, rows] of Object.entries(organisation.rows)) {
      await writer.insert(table as keyof typeof organisation.rows, rows);
    }
    const summary: SeedSummary = {
      workspaces: organisation.rows.workspaces.length,
      sites: organisation.rows.sites.length,
      users: organisation.rows.users.length,
      templates: organisation.rows.form_templates.length,
      fields: organisation.rows.template_fields.length,
      records: 0,
      drafts: 0,
      deletedRecords: 0,
      photos: 0,
      correctiveActions: 0,
      shareLinks: 0,
      auditLogs: 0,
      exportSettings: organisation.rows.export_settings.length,
    };

    const records = new RecordGenerator(organisation.workspaces, period, random, ids);
    for (let done = 0; done < total; ) {
      const count = Math.min(batchSize, total - done);
      const batch = records.next(count);
      await writer.insert('records', batch.records);
      await writer.insert('record_photos', batch.record_photos);
      await writer.insert('corrective_actions', batch.corrective_actions);
      await writer.insert('audit_logs', batch.audit_logs);
      summary.photos += batch.record_photos.length;
      summary.correctiveActions += batch.corrective_actions.length;
      summary.auditLogs += batch.audit_logs.length;
      summary.drafts += batch.drafts;
      summary.deletedRecords += batch.deletedRecords;
      done += count;
      summary.records = done;
      report({ phase: 'records', done, total });
    }

    const activity = activityAuditRows(organisation.workspaces, period, random, ids);
    for (let start = 0; start < activity.length; start += batchSize) {
      await writer.insert('audit_logs', activity.slice(start, start + batchSize));
    }
    summary.auditLogs += activity.length;
    report({ phase: 'audit_logs', done: summary.auditLogs, total: summary.auditLogs });

    const links = shareLinkRows(organisation.workspaces, period, random, ids);
    await writer.insert('share_links', links);
    summary.shareLinks = links.length;

    await writer.advanceSequences();
    for (const definition of deferredIndexes) await tx.query(definition);
    report({ phase: 'finish', done: total, total });
    return summary;
  });
}
