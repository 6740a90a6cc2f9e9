import type { Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { embeddedDriverOf } from './index.ts';
import type { PgliteDriver } from './pglite-driver.ts';
import type { Database } from './types.ts';

const SSL_REQUEST_CODE = 80_877_103;
const GSSENC_REQUEST_CODE = 80_877_104;
const CANCEL_REQUEST_CODE = 80_877_102;
const PROTOCOL_3 = 196_608;
const SYNC_MESSAGE = new Uint8Array([0x53, 0, 0, 0, 4]);

export interface PgliteServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` for child processes (DATABASE_URL). */
  url: string;
  port: number;
  /** Stops listening, drops the connections (rolling back their open transactions). */
  close(): Promise<void>;
}

/**
 * Serves an embedded PGlite database over the PostgreSQL wire protocol on 127.0.0.1, so
 * child processes (the local "Fargate" containers) reach the same data with the `pg` driver.
 *
 * PGlite has one backend session, so connections take turns: a connection holds the
 * session from its first message until the end of its transaction (or, outside a
 * transaction, until its Sync / simple Query completes). Concurrent clients therefore
 * work and see proper transaction isolation from each other, but they run one at a time:
 * a client idling inside an open transaction (or cursor) blocks the others and the
 * in-process queries until it commits. Session state (named prepared statements, SET,
 * temporary tables) is shared between connections.
 *
 * Written here instead of using `@electric-sql/pglite-socket`: its 0.2.17 pins an exact
 * peer `@electric-sql/pglite@0.5.14` (we run 0.5.16) plus seven extension packages, so
 * npm refuses to install it; and it schedules each message separately, so outside a
 * transaction another client's messages may run between one client's Parse and Sync and
 * replace its unnamed statement. Here a Parse/Bind/Execute/Sync group runs as one turn.
 */
export async function servePglite(
  db: Database,
  options: { port?: number; host?: '127.0.0.1' } = {},
): Promise<PgliteServer> {
  const driver = embeddedDriverOf(db);
  if (!driver) {
    throw new Error(
      `servePglite needs an embedded PGlite Database (got kind '${db.kind}'): with DATABASE_URL set, pass that URL to child processes instead`,
    );
  }
  const host = options.host ?? '127.0.0.1';
  const connections = new Set<Connection>();
  const server: Server = createServer((socket) => {
    const connection = new Connection(socket, driver, () => connections.delete(connection));
    connections.add(connection);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('servePglite: server has no TCP address');
  return {
    url: `postgres://postgres@${host}:${address.port}/postgres`,
    port: address.port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections].map((connection) => connection.shutdown()));
      await closed;
    },
  };
}

/** One client connection: frames messages and runs them against the shared session in order. */
class Connection {
  readonly #socket: Socket;
  readonly #driver: PgliteDriver;
  readonly #onEnd: () => void;
  #buffer: Buffer = Buffer.alloc(0);
  #started = false;
  #ended = false;
  #release: (() => void) | undefined;
  #work: Promise<void> = Promise.resolve();

  constructor(socket: Socket, driver: PgliteDriver, onEnd: () => void) {
    this.#socket = socket;
    this.#driver = driver;
    this.#onEnd = onEnd;
    socket.setNoDelay(true);
    socket.on('data', (data) => {
      this.#buffer = this.#buffer.length === 0 ? data : Buffer.concat([this.#buffer, data]);
      this.#enqueue(() => this.#drainMessages());
    });
    socket.on('error', () => this.#enqueue(() => this.#finish()));
    socket.on('close', () => this.#enqueue(() => this.#finish()));
  }

  /** Ends the connection and waits until its session is handed back. */
  async shutdown(): Promise<void> {
    this.#socket.destroy();
    this.#enqueue(() => this.#finish());
    await this.#work;
  }

  #enqueue(step: () => Promise<void>): void {
    this.#work = this.#work.then(step).catch(() => {
      this.#socket.destroy();
      return this.#finish();
    });
  }

  async #drainMessages(): Promise<void> {
    while (!this.#ended) {
      const message = this.#nextMessage();
      if (!message) return;
      await this.#handle(message);
    }
  }

  /** Cuts one complete message off the buffer: untyped startup packets first, then typed ones. */
  #nextMessage(): { type: string; bytes: Buffer } | undefined {
    const buffer = this.#buffer;
    const headerLength = this.#started ? 5 : 4;
    if (buffer.length < headerLength) return undefined;
    const length = this.#started ? buffer.readInt32BE(1) + 1 : buffer.readInt32BE(0);
    if (length < headerLength - 1 || buffer.length < length) return undefined;
    const bytes = buffer.subarray(0, length);
    this.#buffer = buffer.subarray(length);
    return { type: this.#started ? String.fromCharCode(bytes[0] ?? 0) : 'startup', bytes };
  }

  async #handle(message: { type: string; bytes: Buffer }): Promise<void> {
    if (message.type === 'startup') {
      const code = message.bytes.length >= 8 ? message.bytes.readInt32BE(4) : 0;
      if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
        this.#socket.write('N');
        return;
      }
      if (code === CANCEL_REQUEST_CODE || code !== PROTOCOL_3) {
        // No backend process to cancel; unknown protocol versions are refused by closing.
        this.#socket.destroy();
        return;
      }
      this.#started = true;
    } else if (message.type === 'X') {
      this.#socket.end();
      await this.#finish();
      return;
    }
    if (!this.#release) this.#release = await this.#driver.lock.acquire();
    const pglite = this.#driver.pglite;
    await pglite.runExclusive(() =>
      pglite.execProtocolRawStream(new Uint8Array(message.bytes), {
        onRawData: (data) => {
          if (!this.#socket.destroyed) this.#socket.write(data);
        },
      }),
    );
    const groupEnds = message.type === 'startup' || message.type === 'Q' || message.type === 'S';
    if (groupEnds && !pglite.isInTransaction()) this.#releaseSession();
    if (this.#socket.writableNeedDrain) {
      await new Promise<void>((resolve) => {
        this.#socket.once('drain', resolve);
        this.#socket.once('close', resolve);
      });
    }
  }

  #releaseSession(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  async #finish(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#buffer = Buffer.alloc(0);
    try {
      // A client that vanished inside a transaction must not leave it open for the next one.
      // A Sync first ends an extended-protocol group left in error state, which would
      // otherwise make the backend ignore the ROLLBACK.
      if (this.#release) {
        const pglite = this.#driver.pglite;
        await pglite.runExclusive(() => pglite.execProtocolRaw(SYNC_MESSAGE));
        if (pglite.isInTransaction()) await pglite.exec('ROLLBACK');
      }
    } finally {
      this.#releaseSession();
      this.#onEnd();
    }
  }
}
