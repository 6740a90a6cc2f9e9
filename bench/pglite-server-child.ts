import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { migrate, openDatabase } from '../lib/db/index.ts';
import { servePglite } from '../lib/db/serve-pglite.ts';
import { seedBenchRecords } from './e2e-seed.ts';

/*
 * The database side of the "PGlite served over the wire" case, as `npm start` runs
 * it: PGlite on disk (like .data/pglite) in this process, migrated, seeded with the
 * end-to-end data, served with servePglite. Prints {"url": ...} once ready, then
 * serves until a line arrives on stdin, then prints its peak RSS (whole life, and sampled
 * every 100 ms while serving) and exits.
 *   node bench/pglite-server-child.ts <rows> <work dir>
 */
const [rowsText, workRoot] = process.argv.slice(2);
const rows = Number(rowsText);
if (!Number.isInteger(rows) || rows <= 0 || !workRoot) {
  console.error('usage: node bench/pglite-server-child.ts <rows> <work dir>');
  process.exit(2);
}
const workDir = mkdtempSync(join(workRoot, 'pglite-server-'));
const db = await openDatabase({ dataDir: join(workDir, 'pglite') });
await migrate(db);
await seedBenchRecords(db, rows);
const server = await servePglite(db, { host: '127.0.0.1', port: 0 });
const rssBeforeServeMiB = process.resourceUsage().maxRSS / 1024;
// maxRSS cannot be reset after seeding, so the serving phase is sampled.
let servingRssMaxMiB = process.memoryUsage.rss() / 1_048_576;
const sampler = setInterval(() => {
  servingRssMaxMiB = Math.max(servingRssMaxMiB, process.memoryUsage.rss() / 1_048_576);
}, 100);
console.log(JSON.stringify({ url: server.url }));

const input = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => {
  input.once('line', () => resolve());
  input.once('close', () => resolve());
});
input.close();
clearInterval(sampler);
await server.close();
await db.close();
rmSync(workDir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    // Includes the seeding before serving; rssBeforeServeMiB is the peak up to then.
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    rssBeforeServeMiB,
    servingRssMaxMiB,
  }),
);
