import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Database } from './types.ts';

/** Folder of the plain SQL migrations: `NNNN_name.sql`, applied in lexical order. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

const MIGRATION_FILE = /^\d{4}_[a-z0-9_-]+\.sql$/;
// Serialises concurrent migrators (two processes starting at once) on PostgreSQL.
const MIGRATION_LOCK_KEY = 7_311_001;

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export interface MigrateOptions {
  /** Folder to read; defaults to lib/db/migrations. */
  dir?: string;
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own
 * transaction, in lexical file order. Applied files are immutable: a changed checksum
 * fails with the file name (add a new migration instead).
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<{ applied: string[] }> {
  const dir = options.dir ?? MIGRATIONS_DIR;
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  const badName = names.find((name) => !MIGRATION_FILE.test(name));
  if (badName) {
    throw new MigrationError(
      `Migration file ${dir}${badName} is misnamed: use NNNN_lowercase_name.sql, e.g. 0102_job_state.sql`,
    );
  }
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         name text PRIMARY KEY,
         checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
  });
  const applied: string[] = [];
  for (const name of names) {
    const sql = await readFile(`${dir}/${name}`, 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const { rows } = await tx.query<{ checksum: string }>(
        'SELECT checksum FROM schema_migrations WHERE name = $1',
        [name],
      );
      const previous = rows[0];
      if (previous) {
        if (previous.checksum !== checksum) {
          throw new MigrationError(
            `Migration ${name} changed after it was applied (checksum mismatch). Applied migrations are immutable: ` +
              'revert the edit and add a new NNNN_*.sql file, or recreate a local database by deleting .data/pglite.',
          );
        }
        return false;
      }
      try {
        await tx.exec(sql);
      } catch (error) {
        throw new MigrationError(
          `Migration ${name} failed and was rolled back: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      await tx.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [name, checksum]);
      return true;
    });
    if (done) applied.push(name);
  }
  return { applied };
}
