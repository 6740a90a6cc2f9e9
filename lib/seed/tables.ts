/**
 * The one registry of the tables the demo-data generator fills, and how rows reach them.
 * Column types are read from the migrated schema (lib/db/migrations), never restated here.
 */
import type { Database } from '#lib/db/index.ts';
import { bulkInsert, type ColumnTypes } from './bulk-insert.ts';

/** Tables the generator fills with explicit ids, parents before children (insert order). */
export const DEMO_TABLES = [
  'workspaces',
  'sites',
  'users',
  'form_templates',
  'template_fields',
  'export_settings',
  'records',
  'record_photos',
  'corrective_actions',
  'audit_logs',
  'share_links',
] as const;

export type DemoTable = (typeof DEMO_TABLES)[number];

/** A generated row: column name → value, as `jsonb_to_recordset` reads it. */
export type Row = Record<string, unknown>;

/** Rows per demo table. */
export type DemoRows = { [table in DemoTable]: Row[] };

/** An empty set of rows for every demo table. */
export function emptyRows(): DemoRows {
  return Object.fromEntries(DEMO_TABLES.map((table) => [table, []])) as unknown as DemoRows;
}

/** Tables a reset empties: the demo tables and the export bookkeeping that references them. */
export const RESET_TABLES = ['export_targets', 'export_runs', ...DEMO_TABLES] as const;

/** Inserts rows into demo tables, with each table's column types read once from the schema. */
export class DemoTableWriter {
  private readonly db: Database;
  private readonly types = new Map<DemoTable, Promise<ColumnTypes>>();

  constructor(db: Database) {
    this.db = db;
  }

  private columnTypes(table: DemoTable): Promise<ColumnTypes> {
    let types = this.types.get(table);
    if (types === undefined) {
      types = this.db
        .query<{ name: string; type: string }>(
          `SELECT attname AS name, format_type(atttypid, atttypmod) AS type
             FROM pg_attribute
            WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
          [table],
        )
        .then(({ rows }) => Object.fromEntries(rows.map((row) => [row.name, row.type])));
      this.types.set(table, types);
    }
    return types;
  }

  /** Inserts the rows (all with the same columns) in one statement. */
  async insert(table: DemoTable, rows: Row[]): Promise<void> {
    const first = rows[0];
    if (first === undefined) return;
    const types = await this.columnTypes(table);
    const columns: ColumnTypes = {};
    for (const name of Object.keys(first)) {
      const type = types[name];
      if (type === undefined) throw new Error(`demo data: table ${table} has no column ${name}`);
      columns[name] = type;
    }
    await bulkInsert(this.db, table, columns, rows);
  }

  /** Moves each identity past the explicit ids inserted, so later inserts do not collide. */
  async advanceSequences(): Promise<void> {
    for (const table of DEMO_TABLES) {
      await this.db.query(
        `SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT max(id) FROM ${table}), 1), (SELECT max(id) IS NOT NULL FROM ${table}))`,
      );
    }
  }
}
