import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '#lib/db/index.ts';
import { migrate, openDatabase } from '#lib/db/index.ts';

/**
 * Test databases over both drivers, for `describe.each(DATABASE_KINDS)`. PostgreSQL is
 * required (CI runs it): when it is unreachable the postgres cases fail with the reason.
 */
export const DATABASE_KINDS = ['pglite', 'postgres'] as const;
export type DatabaseKind = (typeof DATABASE_KINDS)[number];

/** Admin URL of the test server; override with TEST_POSTGRES_URL. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  db: Database;
  /** Connection URL of a postgres test database, for child processes; undefined for PGlite. */
  url: string | undefined;
  /** Closes the database and drops the per-run PostgreSQL database. */
  dispose(): Promise<void>;
}

/** Runs fn on an admin connection to the test server; throws a message saying how to fix an unreachable server. */
export async function withAdmin<T>(
  fn: (client: pg.Client) => Promise<T>,
  adminUrl = TEST_POSTGRES_URL,
): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL for the data-layer tests is unreachable at ${adminUrl}: ${error instanceof Error ? error.message : String(error)}. ` +
        'Start it (CI: the postgres service; locally: trust auth, database test) or set TEST_POSTGRES_URL. These tests are required and do not skip.',
      { cause: error },
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Opens a fresh database of the given kind, migrated unless `migrated: false`. */
export async function openTestDatabase(
  kind: DatabaseKind,
  options: { migrated?: boolean } = {},
): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const db = await openDatabase({ dataDir: 'memory://' });
    if (options.migrated !== false) await migrate(db);
    return { db, url: undefined, dispose: () => db.close() };
  }
  const name = `sfn_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString() });
  if (options.migrated !== false) await migrate(db);
  return {
    db,
    url: url.toString(),
    async dispose() {
      await db.close();
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
