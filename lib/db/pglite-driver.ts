import { mkdir } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import type { Driver, Session } from './database.ts';
import { runQuery } from './database.ts';
import { acquireFolderLock } from './folder-lock.ts';
import { SessionLock } from './session-lock.ts';
import { DatabaseQueryError } from './types.ts';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const DATE_OID = 1082;

/** Same JS types as the pg driver (see postgres-driver.ts). */
const parsers = {
  [INT8_OID]: (value: string) => Number(value),
  [NUMERIC_OID]: (value: string) => Number(value),
  [DATE_OID]: (value: string) => value,
};

/** The embedded driver plus what `servePglite` needs to share its single session. */
export interface PgliteDriver extends Driver {
  readonly pglite: PGlite;
  readonly lock: SessionLock;
}

function pgliteSession(pglite: PGlite): Session {
  return {
    query: <T>(sql: string, params: unknown[]) =>
      runQuery(sql, async () => {
        const result = await pglite.query<T>(sql, params);
        const affected = result.affectedRows ?? 0;
        return { rows: result.rows, rowCount: Math.max(affected, result.rows.length) };
      }),
    exec: async (sql: string) => {
      try {
        await pglite.exec(sql);
      } catch (error) {
        throw new DatabaseQueryError(sql, error);
      }
    },
  };
}

/**
 * PGlite is loaded on first use only: it is a development dependency (local runtime,
 * tests), so the Lambda bundles and container images never carry it, and a production
 * process that is given DATABASE_URL never loads it (loading it reads its 6 MB data file and 9 MB of WebAssembly).
 */
async function loadPglite(): Promise<typeof import('@electric-sql/pglite')> {
  try {
    return await import('@electric-sql/pglite');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      'No database configured: DATABASE_URL (or DATABASE_URL_PARAMETER on AWS) is unset, and the embedded ' +
        'PGlite database is not installed here (it is a development dependency for npm start and the tests). ' +
        'Set DATABASE_URL=postgres://user@host:5432/db.',
      { cause: error },
    );
  }
}

/** Opens (creating if needed) the embedded database at dataDir, or in memory for `memory://`. */
export async function openPgliteDriver(dataDir: string): Promise<PgliteDriver> {
  const { PGlite } = await loadPglite();
  const inMemory = dataDir.startsWith('memory://');
  // Before anything touches the folder: a second process on it corrupts it (FolderInUseError).
  const releaseFolder = inMemory ? () => undefined : acquireFolderLock(dataDir);
  let pglite: PGlite;
  try {
    if (!inMemory) await mkdir(dataDir, { recursive: true });
    pglite = await PGlite.create(dataDir, { parsers });
  } catch (error) {
    releaseFolder();
    throw new Error(
      `Cannot open the embedded PGlite database at ${dataDir}: ${error instanceof Error ? error.message : String(error)}. ` +
        'The folder may be damaged (move it aside to start over with a new database).',
      { cause: error },
    );
  }
  const lock = new SessionLock();
  const session = pgliteSession(pglite);
  return {
    kind: 'pglite',
    pglite,
    lock,
    query: (sql, params) => lock.run(() => session.query(sql, params)),
    exec: (sql) => lock.run(() => session.exec(sql)),
    async acquireSession() {
      const release = await lock.acquire();
      return { session, release: () => release() };
    },
    async close() {
      try {
        await lock.run(() => pglite.close());
      } finally {
        releaseFolder();
      }
    },
  };
}
