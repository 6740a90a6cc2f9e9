import { join } from 'node:path';
import { z } from 'zod';
import { dataDirSchema, emptyAsUnset, parseEnv } from '../env.ts';
import { createDatabase } from './database.ts';
import type { PgliteDriver } from './pglite-driver.ts';
import { openPgliteDriver } from './pglite-driver.ts';
import { openPostgresDriver } from './postgres-driver.ts';
import type { Database, DatabaseConfig } from './types.ts';

export { migrate } from './migrate.ts';
export type { Database, DatabaseConfig, QueryResult } from './types.ts';
export { DatabaseQueryError } from './types.ts';

/** Default location of the embedded database, relative to the working directory. */
export const DEFAULT_PGLITE_DIR = join('.data', 'pglite');

const embeddedDrivers = new WeakMap<Database, PgliteDriver>();

/**
 * Opens the records database: real PostgreSQL through `pg` when `config.url` is set,
 * otherwise embedded PGlite at `config.dataDir` (default `.data/pglite`; `memory://` for tests).
 * Does not migrate: call `migrate(db)`.
 */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.url) return createDatabase(await openPostgresDriver(config.url));
  const driver = await openPgliteDriver(config.dataDir ?? DEFAULT_PGLITE_DIR);
  const db = createDatabase(driver);
  embeddedDrivers.set(db, driver);
  return db;
}

/** The PGlite driver behind an embedded Database (for servePglite); undefined for PostgreSQL. */
export function embeddedDriverOf(db: Database): PgliteDriver | undefined {
  return embeddedDrivers.get(db);
}

const envSchema = z.object({
  DATABASE_URL: emptyAsUnset(
    z
      .string()
      .trim()
      .regex(
        /^postgres(ql)?:\/\//,
        'DATABASE_URL must start with postgres:// or postgresql://, e.g. postgres://user@127.0.0.1:5432/app',
      ),
  ),
  SFN_BATCH_DATA_DIR: dataDirSchema,
});

/**
 * Reads DATABASE_URL (real PostgreSQL) and SFN_BATCH_DATA_DIR (root of local data; PGlite
 * lives in `<dir>/pglite`, default `.data/pglite`). Throws a message naming the variable on bad input.
 */
export function databaseConfigFromEnv(env: NodeJS.ProcessEnv): DatabaseConfig {
  const { DATABASE_URL: url, SFN_BATCH_DATA_DIR: dataRoot } = parseEnv(envSchema, env, 'database');
  if (url) return { url };
  return { dataDir: dataRoot ? join(dataRoot, 'pglite') : DEFAULT_PGLITE_DIR };
}
