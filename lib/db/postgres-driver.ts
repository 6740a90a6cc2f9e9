import pg from 'pg';
import type { Driver, Session } from './database.ts';
import { runQuery } from './database.ts';
import { DatabaseQueryError } from './types.ts';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const DATE_OID = 1082;

// Per-pool type parsers (not the global pg.types) so bigint ids and counts are numbers and
// dates stay 'YYYY-MM-DD' (pg would build a Date at local midnight), as on PGlite.
const overrides = new Map<number, (value: string) => unknown>([
  [INT8_OID, (value) => Number(value)],
  [NUMERIC_OID, (value) => Number(value)],
  [DATE_OID, (value) => value],
]);
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    overrides.get(oid) ??
    pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

function clientSession(client: pg.PoolClient): Session {
  return {
    query: <T>(sql: string, params: unknown[]) =>
      runQuery(sql, async () => {
        const result = await client.query(sql, params);
        return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
      }),
    exec: async (sql: string) => {
      try {
        await client.query(sql);
      } catch (error) {
        throw new DatabaseQueryError(sql, error);
      }
    },
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** Opens a pool on a real PostgreSQL and checks that it answers. */
export async function openPostgresDriver(url: string): Promise<Driver> {
  // Sessions in UTC, as PGlite's: date_trunc, ::date and period maths then give the same
  // answers on both drivers whatever the server's default zone is.
  const pool = new pg.Pool({ connectionString: url, types, max: 10, options: '-c TimeZone=UTC' });
  // An idle client that loses its connection emits here; without a listener the
  // process would crash. The next query then gets a fresh client or a clear error.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(
      `Cannot connect to PostgreSQL at ${redact(url)} (DATABASE_URL): ${error instanceof Error ? error.message : String(error)}. ` +
        'Check that the server runs and the URL is right, or unset DATABASE_URL to use the embedded PGlite database.',
      { cause: error },
    );
  }
  return {
    kind: 'postgres',
    query: <T>(sql: string, params: unknown[]) =>
      runQuery(sql, async () => {
        const result = await pool.query(sql, params);
        return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
      }),
    exec: async (sql) => {
      try {
        await pool.query(sql);
      } catch (error) {
        throw new DatabaseQueryError(sql, error);
      }
    },
    async acquireSession() {
      const client = await pool.connect();
      // A checked-out client whose connection is cut between queries (the server terminated it)
      // emits 'error'; with no listener that crashed the process (the converter, mid-export).
      // Its next query fails instead, and the caller reports it.
      const ignore = () => undefined;
      client.on('error', ignore);
      return {
        session: clientSession(client),
        release: (broken?: boolean) => {
          client.off('error', ignore);
          client.release(broken === true);
        },
      };
    },
    close: () => pool.end(),
  };
}
