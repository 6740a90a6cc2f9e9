/**
 * Migrates the records database and seeds demo data into an empty one, printing the lines
 * `npm start` has always printed ("database: applied migrations …", "database: seeding demo
 * data… n/N records", "database: seeded …"). Used by the database process (embedded PGlite)
 * and by `npm start` itself with DATABASE_URL.
 */
import { type Database, migrate } from '../../lib/db/index.ts';
import { isDatabaseEmpty, seedDemoData } from '../../lib/seed/index.ts';

export interface DemoSeed {
  records: number;
  /** At least this many templates (seedDemoData's default when unset). */
  templates?: number;
  /** The demo data ends here (npm start: its clock's start, so with --at the month before is complete). */
  now: Date;
  /** Calendar months of records before `now` (seedDemoData's default when unset). */
  months?: number;
}

/** Applies pending migrations, then seeds `seed` if the database has no data yet. */
export async function prepareDatabase(
  db: Database,
  seed: DemoSeed | undefined,
  out: (line: string) => void,
): Promise<void> {
  const applied = await migrate(db);
  if (applied.applied.length > 0) out(`database: applied migrations ${applied.applied.join(', ')}`);
  if (seed !== undefined && (await isDatabaseEmpty(db))) await seedWithProgress(db, seed, out);
}

async function seedWithProgress(db: Database, seed: DemoSeed, out: (line: string) => void): Promise<void> {
  const started = Date.now();
  let lastPrinted = -1;
  const summary = await seedDemoData(db, {
    records: seed.records,
    now: seed.now,
    ...(seed.templates === undefined ? {} : { templates: seed.templates }),
    ...(seed.months === undefined ? {} : { months: seed.months }),
    onProgress: ({ phase, done, total }) => {
      const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
      const step = Math.floor(percent / 25);
      if (phase === 'records' && step !== lastPrinted) {
        lastPrinted = step;
        out(`database: seeding demo data… ${done}/${total} records`);
      }
    },
  });
  out(
    `database: seeded ${summary.records} records, ${summary.workspaces} workspaces, ${summary.templates} templates in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
