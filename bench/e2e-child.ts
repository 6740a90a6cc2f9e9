import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { convertBatch } from '../containers/xlsx-converter/convert-batch.ts';
import { enqueueExports } from '../functions/enqueue-exports/enqueue-exports.ts';
import type { ExportManifest } from '../lib/contracts/export.ts';
import { databaseConfigFromEnv, migrate, openDatabase } from '../lib/db/index.ts';
import { createLogger } from '../lib/logger.ts';
import { openStorage } from '../lib/storage/index.ts';
import { seedBenchRecords } from './e2e-seed.ts';

/*
 * End to end: seeds one template with `rows` October records whose 26 fields have
 * the bench's column kinds (bench/e2e-seed.ts), enqueues the month and times
 * `convertBatch` alone (cursor → writer → local file, marked done). PGlite in
 * process (on disk) when DATABASE_URL is empty, else a throw-away database created
 * on that PostgreSQL server and dropped afterwards. With `--seeded`, DATABASE_URL
 * is a database already migrated and seeded by someone else (the PGlite served
 * over the wire by bench/pglite-server-child.ts): no seeding, no create/drop.
 *   node bench/e2e-child.ts <rows> <work dir> [--seeded]
 */
const [rowsText, workRoot, mode] = process.argv.slice(2);
const rows = Number(rowsText);
const seeded = mode === '--seeded';
if (!Number.isInteger(rows) || rows <= 0 || !workRoot || (mode !== undefined && !seeded)) {
  console.error('usage: node bench/e2e-child.ts <rows> <work dir> [--seeded]');
  process.exit(2);
}
const workDir = mkdtempSync(join(workRoot, 'e2e-'));
const config = databaseConfigFromEnv(process.env);
if (seeded && !config.url) {
  console.error('bench/e2e-child.ts --seeded needs DATABASE_URL (the served, seeded database)');
  process.exit(2);
}
// PostgreSQL: a throw-away database on that server, dropped at the end.
const benchDatabase = `sfn_bench_${process.pid}`;
const admin = async (sql: string) => {
  const client = new pg.Client({ connectionString: config.url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};
let url: string | undefined = config.url;
if (config.url && !seeded) {
  await admin(`CREATE DATABASE ${benchDatabase}`);
  const parsed = new URL(config.url);
  parsed.pathname = `/${benchDatabase}`;
  url = parsed.toString();
}
const db = await openDatabase(url ? { url } : { dataDir: join(workDir, 'pglite') });
const logger = createLogger('bench-e2e');
logger.setLogLevel('WARN');
const storage = openStorage({ rootDir: join(workDir, 'objects') });

if (!seeded) {
  await migrate(db);
  await seedBenchRecords(db, rows);
}

const output = await enqueueExports(
  {
    job: 'bench-export',
    executionArn: `arn:aws:states:::execution:bench:${Date.now()}`,
    scheduledTime: '2026-11-01T01:00:00+09:00',
    timezone: 'Asia/Tokyo',
    frequency: 'monthly',
    recordsPerBatch: rows + 1,
  },
  { db, storage, logger },
);
const manifest = JSON.parse((await storage.getObject(output.manifestKey)).toString('utf8')) as ExportManifest;
const targets = manifest.batches.flatMap((batch) => batch.targets);
const target = targets[0];
if (targets.length !== 1 || !target || target.recordCount !== rows) {
  throw new Error(`expected one export target of ${rows} records, got ${JSON.stringify(targets)}`);
}

const rssBefore = process.resourceUsage().maxRSS / 1024;
const started = performance.now();
const summary = await convertBatch(targets, { db, storage, logger, signal: new AbortController().signal });
const seconds = (performance.now() - started) / 1000;
if (summary.converted !== 1) throw new Error(`conversion failed: ${JSON.stringify(summary)}`);
const bytes = statSync(join(workDir, 'objects', target.objectKey)).size;
await db.close();
if (url && !seeded) await admin(`DROP DATABASE ${benchDatabase} WITH (FORCE)`);
rmSync(workDir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    case: seeded ? 'e2e-pglite-wire' : config.url ? 'e2e-postgres' : 'e2e-pglite',
    rows,
    seconds,
    rowsPerSecond: rows / seconds,
    // In process PGlite: includes the database and the seeding before the timed part.
    // --seeded / PostgreSQL: the converter process only (the database is another process).
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    rssBeforeConvertMiB: rssBefore,
    bytes,
  }),
);
