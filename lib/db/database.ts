import type { Database, QueryResult } from './types.ts';
import { DatabaseQueryError, uniqueCursorName, validateChunkSize } from './types.ts';

/** One backend session: a dedicated pg client, or the PGlite instance while its lock is held. */
export interface Session {
  query<T>(sql: string, params: unknown[]): Promise<QueryResult<T>>;
  exec(sql: string): Promise<void>;
}

/** What each driver provides; `createDatabase` builds the shared transaction and cursor logic on it. */
export interface Driver {
  readonly kind: Database['kind'];
  /** A one-off statement outside any transaction (pg: any pooled client; PGlite: under the session lock). */
  query<T>(sql: string, params: unknown[]): Promise<QueryResult<T>>;
  exec(sql: string): Promise<void>;
  /** Exclusive use of one session until release; release(true) discards a broken connection. */
  acquireSession(): Promise<{ session: Session; release: (broken?: boolean) => void }>;
  close(): Promise<void>;
}

export async function runQuery<T>(sql: string, run: () => Promise<QueryResult<T>>): Promise<QueryResult<T>> {
  try {
    return await run();
  } catch (error) {
    throw new DatabaseQueryError(sql, error);
  }
}

async function* fetchCursor<T>(session: Session, sql: string, params: unknown[], chunkSize: number) {
  const name = uniqueCursorName();
  await session.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
  let open = true;
  try {
    while (true) {
      const { rows } = await session.query<T>(`FETCH FORWARD ${chunkSize} FROM ${name}`, []);
      if (rows.length === 0) break;
      yield rows;
      if (rows.length < chunkSize) break;
    }
    open = false;
    await session.query(`CLOSE ${name}`, []);
  } finally {
    // On early exit (break or throw) the cursor is still open; an aborted transaction
    // rejects CLOSE, so the owner's ROLLBACK cleans up in that case.
    if (open) await session.query(`CLOSE ${name}`, []).catch(() => undefined);
  }
}

function sessionDatabase(kind: Database['kind'], session: Session, depth: number): Database {
  const db: Database = {
    kind,
    query: <T extends Record<string, unknown>>(sql: string, params: unknown[] = []) =>
      session.query<T>(sql, params),
    exec: (sql) => session.exec(sql),
    async transaction<R>(fn: (tx: Database) => Promise<R>): Promise<R> {
      const savepoint = `sfn_savepoint_${depth + 1}`;
      await session.query(`SAVEPOINT ${savepoint}`, []);
      try {
        const result = await fn(sessionDatabase(kind, session, depth + 1));
        await session.query(`RELEASE SAVEPOINT ${savepoint}`, []);
        return result;
      } catch (error) {
        await session.query(`ROLLBACK TO SAVEPOINT ${savepoint}`, []);
        throw error;
      }
    },
    cursor: <T extends Record<string, unknown>>(sql: string, params: unknown[], chunkSize: number) => {
      validateChunkSize(chunkSize);
      return fetchCursor<T>(session, sql, params, chunkSize);
    },
    close: async () => {
      throw new Error('close() is not available inside a transaction: close the Database it came from');
    },
  };
  return db;
}

async function* rootCursor<T>(driver: Driver, sql: string, params: unknown[], chunkSize: number) {
  const { session, release } = await driver.acquireSession();
  let broken = false;
  let committed = false;
  try {
    await session.query('BEGIN READ ONLY', []);
    yield* fetchCursor<T>(session, sql, params, chunkSize);
    await session.query('COMMIT', []);
    committed = true;
  } finally {
    if (!committed) {
      await session.query('ROLLBACK', []).catch(() => {
        broken = true;
      });
    }
    release(broken);
  }
}

/** Builds the Database API (transactions, savepoints, cursors) over a driver. */
export function createDatabase(driver: Driver): Database {
  return {
    kind: driver.kind,
    query: <T extends Record<string, unknown>>(sql: string, params: unknown[] = []) =>
      driver.query<T>(sql, params),
    exec: (sql) => driver.exec(sql),
    async transaction<R>(fn: (tx: Database) => Promise<R>): Promise<R> {
      const { session, release } = await driver.acquireSession();
      let broken = false;
      try {
        await session.query('BEGIN', []);
        let result: R;
        try {
          result = await fn(sessionDatabase(driver.kind, session, 0));
        } catch (error) {
          await session.query('ROLLBACK', []).catch(() => {
            broken = true;
          });
          throw error;
        }
        await session.query('COMMIT', []);
        return result;
      } catch (error) {
        if (error instanceof DatabaseQueryError && error.code === undefined) broken = true;
        throw error;
      } finally {
        release(broken);
      }
    },
    cursor: <T extends Record<string, unknown>>(sql: string, params: unknown[], chunkSize: number) => {
      validateChunkSize(chunkSize);
      return rootCursor<T>(driver, sql, params, chunkSize);
    },
    close: () => driver.close(),
  };
}
