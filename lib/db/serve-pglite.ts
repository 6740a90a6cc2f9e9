import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
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
const USER = 'postgres';
const SCRAM_ITERATIONS = 4096;

/** What the server keeps of the password (RFC 5802 / RFC 7677): never the password itself. */
interface ScramVerifier {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

function scramVerifier(password: string): ScramVerifier {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, SCRAM_ITERATIONS, 32, 'sha256');
  return {
    salt,
    iterations: SCRAM_ITERATIONS,
    storedKey: createHash('sha256').update(hmac(salted, 'Client Key')).digest(),
    serverKey: hmac(salted, 'Server Key'),
  };
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

export interface PgliteServer {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres` for child processes (DATABASE_URL). Secret: never log it. */
  url: string;
  /** The same URL with the password masked, for messages. */
  displayUrl: string;
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
 *
 * Clients authenticate as user `postgres` with SCRAM-SHA-256 (what PostgreSQL uses by
 * default; `pg` and psql speak it) and a password made at random for each server unless
 * given: any other local process or user cannot read or change the records without the
 * URL, which the runtime hands only to its task processes.
 */
export async function servePglite(
  db: Database,
  options: { port?: number; host?: '127.0.0.1'; password?: string } = {},
): Promise<PgliteServer> {
  const driver = embeddedDriverOf(db);
  if (!driver) {
    throw new Error(
      `servePglite needs an embedded PGlite Database (got kind '${db.kind}'): with DATABASE_URL set, pass that URL to child processes instead`,
    );
  }
  const host = options.host ?? '127.0.0.1';
  const password = options.password ?? randomBytes(24).toString('base64url');
  const verifier = scramVerifier(password);
  const connections = new Set<Connection>();
  const server: Server = createServer((socket) => {
    const connection = new Connection(socket, driver, verifier, () => connections.delete(connection));
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
    url: `postgres://${USER}:${encodeURIComponent(password)}@${host}:${address.port}/postgres`,
    displayUrl: `postgres://${USER}:***@${host}:${address.port}/postgres`,
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
  readonly #verifier: ScramVerifier;
  #buffer: Buffer = Buffer.alloc(0);
  #started = false;
  /** Set once credentials were refused: nothing more from this client reaches the database. */
  #refused = false;
  /** Until the password is proven: the startup packet (handed to PGlite afterwards) and the SCRAM exchange. */
  #authentication:
    | {
        step: 'initial' | 'final';
        startup: Buffer;
        user: string;
        clientFirstBare?: string;
        serverFirst?: string;
        nonce?: string;
      }
    | undefined;
  #ended = false;
  #release: (() => void) | undefined;
  #work: Promise<void> = Promise.resolve();

  constructor(socket: Socket, driver: PgliteDriver, verifier: ScramVerifier, onEnd: () => void) {
    this.#socket = socket;
    this.#driver = driver;
    this.#verifier = verifier;
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
    if (this.#refused) return;
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
      const user = startupParameters(message.bytes).get('user') ?? '';
      this.#authentication = { step: 'initial', startup: message.bytes, user };
      this.#socket.write(authenticationMessage(10, Buffer.from('SCRAM-SHA-256\0\0')));
      return;
    }
    if (this.#authentication !== undefined) {
      await this.#authenticate(message);
      return;
    }
    if (message.type === 'X') {
      this.#socket.end();
      await this.#finish();
      return;
    }
    await this.#forward(message);
  }

  /** One step of SCRAM-SHA-256; on success the saved startup packet goes to PGlite, which answers AuthenticationOk. */
  async #authenticate(message: { type: string; bytes: Buffer }): Promise<void> {
    const state = this.#authentication;
    if (state === undefined) return;
    if (message.type !== 'p') return this.#refuse(state.user);
    if (state.step === 'initial') {
      // SASLInitialResponse: mechanism\0, int32 length, client-first-message ("n,,n=...,r=<nonce>").
      const mechanismEnd = message.bytes.indexOf(0, 5);
      const mechanism = message.bytes.subarray(5, mechanismEnd).toString();
      const clientFirst = message.bytes.subarray(mechanismEnd + 5).toString();
      const clientFirstBare = clientFirst.replace(/^[^,]*,[^,]*,/, '');
      const clientNonce = /(?:^|,)r=([^,]+)/.exec(clientFirstBare)?.[1];
      if (mechanism !== 'SCRAM-SHA-256' || !clientFirst.startsWith('n,,') || clientNonce === undefined) {
        return this.#refuse(state.user);
      }
      const nonce = clientNonce + randomBytes(18).toString('base64');
      const serverFirst = `r=${nonce},s=${this.#verifier.salt.toString('base64')},i=${this.#verifier.iterations}`;
      this.#authentication = { ...state, step: 'final', clientFirstBare, serverFirst, nonce };
      this.#socket.write(authenticationMessage(11, Buffer.from(serverFirst)));
      return;
    }
    // SASLResponse: client-final-message "c=biws,r=<nonce>,p=<proof>".
    const clientFinal = message.bytes.subarray(5).toString();
    const proofAt = clientFinal.lastIndexOf(',p=');
    const withoutProof = clientFinal.slice(0, proofAt);
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), 'base64');
    const authMessage = `${state.clientFirstBare},${state.serverFirst},${withoutProof}`;
    const signature = hmac(this.#verifier.storedKey, authMessage);
    const nonceMatches = /(?:^|,)r=([^,]+)/.exec(withoutProof)?.[1] === state.nonce;
    // c=biws is "n,," in base64: no channel binding, as announced in the client-first message.
    const bindingMatches = withoutProof.startsWith('c=biws,');
    if (
      proofAt < 0 ||
      !bindingMatches ||
      !nonceMatches ||
      proof.length !== signature.length ||
      state.user !== USER
    ) {
      return this.#refuse(state.user);
    }
    const clientKey = Buffer.from(proof.map((byte, index) => byte ^ (signature[index] ?? 0)));
    const storedKey = createHash('sha256').update(clientKey).digest();
    if (!timingSafeEqual(storedKey, this.#verifier.storedKey)) return this.#refuse(state.user);
    const serverSignature = hmac(this.#verifier.serverKey, authMessage).toString('base64');
    this.#authentication = undefined;
    this.#socket.write(authenticationMessage(12, Buffer.from(`v=${serverSignature}`)));
    await this.#forward({ type: 'startup', bytes: state.startup });
  }

  /** PostgreSQL's answer to wrong credentials (the same for an unknown user, so names are not probed). */
  #refuse(user: string): void {
    this.#authentication = undefined;
    const fields = [
      'SFATAL',
      'VFATAL',
      'C28P01',
      `Mpassword authentication failed for user "${user}"`,
      'HThe embedded database is served to the local runtime task processes only: use the DATABASE_URL they receive',
    ];
    const body = Buffer.concat([...fields.map((field) => Buffer.from(`${field}\0`)), Buffer.from([0])]);
    const header = Buffer.alloc(5);
    header.write('E', 0);
    header.writeInt32BE(body.length + 4, 1);
    this.#refused = true;
    this.#socket.end(Buffer.concat([header, body]));
  }

  async #forward(message: { type: string; bytes: Buffer }): Promise<void> {
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

/** An Authentication message: 'R', length, int32 code, then its data. */
function authenticationMessage(code: number, data: Buffer): Buffer {
  const message = Buffer.alloc(9 + data.length);
  message.write('R', 0);
  message.writeInt32BE(8 + data.length, 1);
  message.writeInt32BE(code, 5);
  data.copy(message, 9);
  return message;
}

/** The name/value pairs of a StartupMessage (after length and protocol version). */
function startupParameters(bytes: Buffer): Map<string, string> {
  const parts = bytes.subarray(8).toString('utf8').split('\0');
  const parameters = new Map<string, string>();
  for (let index = 0; index + 1 < parts.length; index += 2) {
    const name = parts[index];
    if (name === undefined || name === '') break;
    parameters.set(name, parts[index + 1] ?? '');
  }
  return parameters;
}
