/** Result of one statement: the rows (empty for commands) and the affected/returned row count. */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/**
 * The records database, the same API over embedded PGlite and PostgreSQL (`pg`).
 *
 * Types come back the same on both drivers: bigint and numeric as JS numbers,
 * timestamptz as Date, date as 'YYYY-MM-DD' strings, json/jsonb parsed. Pass jsonb
 * parameters as JSON strings (`JSON.stringify(x)`): `pg` would turn a JS array into
 * a PostgreSQL array literal.
 */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  query<T extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (e.g. a migration). */
  exec(sql: string): Promise<void>;
  /**
   * Runs fn in one transaction (BEGIN/COMMIT, ROLLBACK on throw). The tx object has the
   * same query/cursor API; tx.transaction nests with a savepoint.
   */
  transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T>;
  /**
   * Streams a query in chunks with a real server-side cursor (DECLARE ... NO SCROLL CURSOR /
   * FETCH n inside a transaction) — never all rows in memory. Breaking out of the loop
   * closes the cursor and ends its transaction.
   *
   * On PGlite the single session is held until the iteration ends: other queries on the
   * same Database wait, so do not await them inside the loop (it would deadlock). Run
   * them before or after, or in the same transaction with `tx.cursor` inside
   * `db.transaction(async (tx) => ...)`.
   */
  cursor<T extends Record<string, unknown>>(
    sql: string,
    params: unknown[],
    chunkSize: number,
  ): AsyncIterable<T[]>;
  close(): Promise<void>;
}

/** `url` → real PostgreSQL via `pg`; else PGlite at `dataDir` (`memory://` for tests, default `.data/pglite`). */
export interface DatabaseConfig {
  url?: string;
  dataDir?: string;
}

/** Fired when a database call fails; names the statement so logs say what broke. */
export class DatabaseQueryError extends Error {
  override readonly name = 'DatabaseQueryError';
  readonly sql: string;
  readonly code: string | undefined;
  constructor(sql: string, cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const code =
      typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string'
        ? cause.code
        : undefined;
    super(`${message} (SQLSTATE ${code ?? 'unknown'}) in: ${sql.replace(/\s+/g, ' ').trim().slice(0, 200)}`, {
      cause,
    });
    this.sql = sql;
    this.code = code;
  }
}

let cursorCounter = 0;

/** A cursor name unique in this process and across processes sharing one PGlite session. */
export function uniqueCursorName(): string {
  cursorCounter += 1;
  return `sfn_cursor_${process.pid}_${cursorCounter}_${Math.random().toString(36).slice(2, 8)}`;
}

export function validateChunkSize(chunkSize: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(`cursor chunkSize must be a positive integer, got ${chunkSize}`);
  }
}
