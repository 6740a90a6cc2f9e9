/*
 * A throw-away PostgreSQL database for one bench run: created on the server of an admin URL,
 * dropped (with its connections) when the run ends.
 */
import pg from 'pg';

async function onAdmin(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface ThrowawayDatabase {
  /** Its name (PostgreSQL process titles of its backends include it). */
  name: string;
  /** The admin URL with this database as its path. */
  url: string;
  drop(): Promise<void>;
}

/** Creates `<prefix>_<pid>` on the server of `adminUrl`. */
export async function createThrowawayDatabase(adminUrl: string, prefix: string): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${process.pid}`;
  await onAdmin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => onAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
