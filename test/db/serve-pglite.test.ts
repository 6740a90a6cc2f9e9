import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '#lib/db/index.ts';
import { migrate, openDatabase } from '#lib/db/index.ts';
import type { PgliteServer } from '#lib/db/serve-pglite.ts';
import { servePglite } from '#lib/db/serve-pglite.ts';

describe('servePglite', () => {
  let db: Database;
  let server: PgliteServer;

  beforeAll(async () => {
    db = await openDatabase({ dataDir: 'memory://' });
    await migrate(db);
    await db.query('CREATE TABLE bridge_probe (client int NOT NULL, n int NOT NULL)');
    server = await servePglite(db, { host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    return client;
  }

  it('listens on 127.0.0.1 only', () => {
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
  });

  it('serves three concurrent pg clients running transactions with cursors', async () => {
    const clients = await Promise.all([connect(), connect(), connect()]);

    const sums = await Promise.all(
      clients.map(async (client, index) => {
        await client.query('BEGIN');
        await client.query(
          'INSERT INTO bridge_probe (client, n) SELECT $1, g FROM generate_series(1, 50) g',
          [index],
        );
        await client.query(
          `DECLARE probe_${index} NO SCROLL CURSOR FOR SELECT n FROM bridge_probe WHERE client = $1`,
          [index],
        );
        let sum = 0;
        while (true) {
          const { rows } = await client.query<{ n: number }>(`FETCH 7 FROM probe_${index}`);
          if (rows.length === 0) break;
          for (const row of rows) sum += row.n;
        }
        await client.query('COMMIT');
        return sum;
      }),
    );
    await Promise.all(clients.map((client) => client.end()));

    const { rows } = await db.query<{ client: number; count: number }>(
      'SELECT client, count(*) AS count FROM bridge_probe GROUP BY client ORDER BY client',
    );
    expect(sums).toEqual([1275, 1275, 1275]);
    expect(rows).toEqual([
      { client: 0, count: 50 },
      { client: 1, count: 50 },
      { client: 2, count: 50 },
    ]);
  });

  it('keeps the parameterised statements of concurrent clients apart outside transactions', async () => {
    const clients = await Promise.all([connect(), connect(), connect()]);

    // Different statement text per client: if another client's Parse slipped in between
    // this client's Parse and Bind, the unnamed statement would answer with its client number.
    const answers = await Promise.all(
      clients.map((client, index) =>
        Promise.all(
          Array.from({ length: 30 }, (_, query) =>
            client
              .query<{ who: number; c: number }>(`SELECT ${index} AS who, $1::int AS c`, [query])
              .then((result) => `${result.rows[0]?.who}/${result.rows[0]?.c}`),
          ),
        ),
      ),
    );
    await Promise.all(clients.map((client) => client.end()));

    expect(answers).toEqual(
      [0, 1, 2].map((index) => Array.from({ length: 30 }, (_, query) => `${index}/${query}`)),
    );
  });

  it('makes other clients wait for an open transaction and then shows its committed rows', async () => {
    const [writer, reader] = await Promise.all([connect(), connect()]);
    const events: string[] = [];
    await writer.query('BEGIN');
    await writer.query("INSERT INTO workspaces (name) VALUES ('isolation probe')");

    const read = reader
      .query<{ count: string }>("SELECT count(*) AS count FROM workspaces WHERE name = 'isolation probe'")
      .then((result) => {
        events.push('read');
        return result.rows[0]?.count;
      });
    await new Promise((resolve) => setTimeout(resolve, 100));
    events.push('commit');
    await writer.query('COMMIT');
    const count = await read;
    await Promise.all([writer.end(), reader.end()]);

    expect(events).toEqual(['commit', 'read']);
    expect(count).toBe('1');
  });

  it('rolls back the transaction of a client that disconnects and serves the next one', async () => {
    const quitter = await connect();
    // The abrupt close below surfaces as an 'error' event on this client; it is the point.
    quitter.on('error', () => undefined);
    await quitter.query('BEGIN');
    await quitter.query("INSERT INTO workspaces (name) VALUES ('never committed')");
    quitter.connection.stream.destroy();
    const next = await connect();

    const { rows } = await next.query(
      "SELECT count(*)::int AS count FROM workspaces WHERE name = 'never committed'",
    );
    await next.end();
    expect(rows).toEqual([{ count: 0 }]);
  });

  it('lets a pg-driver Database stream a cursor and query in-process at the same time', async () => {
    const remote = await openDatabase({ url: server.url });
    const inProcess = db.query<{ one: number }>('SELECT 1 AS one');
    let total = 0;

    for await (const chunk of remote.cursor<{ n: number }>(
      'SELECT n FROM generate_series(1, 1000) n',
      [],
      128,
    )) {
      total += chunk.length;
    }
    await remote.close();

    expect(total).toBe(1000);
    expect((await inProcess).rows).toEqual([{ one: 1 }]);
  });

  it('refuses to serve a PostgreSQL-backed database', async () => {
    const fake = { ...db, kind: 'postgres' as const };

    await expect(servePglite(fake)).rejects.toThrow(/embedded PGlite/);
  });
});

describe('servePglite authentication', () => {
  let db: Database;
  let server: PgliteServer;

  beforeAll(async () => {
    db = await openDatabase({ dataDir: 'memory://' });
    server = await servePglite(db, { host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  async function attempt(connectionString: string): Promise<{ code?: string; message: string }> {
    const client = new pg.Client({ connectionString });
    try {
      await client.connect();
      const result = await client.query<{ one: number }>('SELECT 1 AS one');
      return { message: `connected: ${result.rows[0]?.one}` };
    } catch (error) {
      return { code: (error as { code?: string }).code, message: (error as Error).message };
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  it('makes a random password for each server and puts it in the URL only, masked for display', async () => {
    // Act
    const other = await servePglite(db, { host: '127.0.0.1' });
    await other.close();

    // Assess
    const password = decodeURIComponent(new URL(server.url).password);
    expect(password.length).toBeGreaterThanOrEqual(24);
    expect(decodeURIComponent(new URL(other.url).password)).not.toBe(password);
    expect(server.displayUrl).not.toContain(password);
    expect(server.displayUrl).toContain(':***@127.0.0.1');
  });

  it('accepts the URL it hands out', async () => {
    expect(await attempt(server.url)).toEqual({ message: 'connected: 1' });
  });

  it('refuses a wrong password, another user, and no password, with PostgreSQL error 28P01', async () => {
    // Prepare
    const url = new URL(server.url);
    const wrongPassword = new URL(server.url);
    wrongPassword.password = 'guess';
    const otherUser = new URL(server.url);
    otherUser.username = 'admin';
    const noPassword = `postgres://postgres@127.0.0.1:${url.port}/postgres`;

    // Act
    const results = await Promise.all([
      attempt(wrongPassword.href),
      attempt(otherUser.href),
      attempt(noPassword),
    ]);

    // Assess
    expect(results[0]).toEqual({
      code: '28P01',
      message: 'password authentication failed for user "postgres"',
    });
    expect(results[1]).toEqual({ code: '28P01', message: 'password authentication failed for user "admin"' });
    expect(results[2]?.message).not.toMatch(/^connected/);
    expect(await attempt(server.url)).toEqual({ message: 'connected: 1' });
  });
});
