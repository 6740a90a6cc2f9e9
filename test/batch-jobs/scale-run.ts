/**
 * Runs every batch-jobs command once, as a child process, against a PostgreSQL database
 * seeded with the deterministic demo data, and prints each job's exit code, duration and
 * result. Not a test (too slow for the suite): a smoke run at realistic volume.
 *
 *   createdb -h 127.0.0.1 -U postgres sfn_scale
 *   node_modules/.bin/node test/batch-jobs/scale-run.ts postgres://postgres@127.0.0.1:5432/sfn_scale 200000
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDatabase } from '#lib/db/index.ts';
import { isDatabaseEmpty, seedDemoData } from '#lib/seed/index.ts';

const [url, recordsArg] = process.argv.slice(2);
if (!url) {
  process.stderr.write('usage: scale-run.ts <DATABASE_URL of an empty database> [records, default 200000]\n');
  process.exit(2);
}
const records = Number(recordsArg ?? 200_000);
const seededAt = new Date('2026-11-21T00:00:00Z');
const scheduledTime = '2026-11-21T18:00:00Z';

const db = await openDatabase({ url });
await migrate(db);
if (await isDatabaseEmpty(db)) {
  const started = performance.now();
  const summary = await seedDemoData(db, { records, now: seededAt });
  console.log(`seeded in ${Math.round(performance.now() - started)} ms: ${JSON.stringify(summary)}`);
}
await db.close();

const commands = [
  ['aggregate-record-stats', '--granularity', 'daily'],
  ['aggregate-record-stats', '--granularity', 'monthly'],
  ['send-checklist-reminders', '--shift', 'closing'],
  ['purge-deleted-records', '--retention-days', '30'],
  ['purge-orphaned-photos', '--grace-days', '7'],
  ['archive-audit-logs', '--older-than-days', '60'],
  ['cleanup-expired-exports', '--retention-days', '90'],
  ['meter-usage', '--granularity', 'daily'],
  ['meter-usage', '--granularity', 'monthly'],
  ['detect-temperature-excursions', '--lookback-minutes', '1440'],
  ['escalate-corrective-actions', '--overdue-hours', '24'],
  ['expire-share-links'],
  ['deactivate-dormant-users', '--inactive-days', '90'],
  ['abandon-stale-drafts', '--older-than-days', '14'],
  ['compute-compliance-scores', '--window-days', '30'],
  ['send-weekly-digest'],
  ['generate-usage-invoices'],
  ['refresh-search-index'],
  ['analyze-tables'],
];
const dataDir = mkdtempSync(join(tmpdir(), 'sfn-scale-'));
for (const argv of commands) {
  const input = {
    job: argv[0],
    executionArn: 'arn:aws:states:local:0:execution:scale-run:1',
    scheduledTime,
    params: {},
  };
  const started = performance.now();
  const run = spawnSync(process.execPath, ['containers/batch-jobs/main.ts', ...argv], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: url,
      SFN_BATCH_INPUT: JSON.stringify(input),
      SFN_BATCH_DATA_DIR: dataDir,
    },
    encoding: 'utf8',
  });
  const ms = Math.round(performance.now() - started);
  const done = run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { message?: string; result?: unknown })
    .find((line) => line.message === 'job succeeded');
  console.log(
    `${argv.join(' ')}: exit ${run.status} in ${ms} ms ${JSON.stringify(done?.result ?? run.stderr.slice(0, 300))}`,
  );
}
