import type { Command } from 'commander';
import { FolderInUseError } from '../../lib/db/folder-lock.ts';
import { databaseConfigFromEnv, migrate, openDatabase } from '../../lib/db/index.ts';
import type { SeedProgress } from '../../lib/seed/index.ts';
import { isDatabaseEmpty, resetDemoData, seedDemoData } from '../../lib/seed/index.ts';
import { describeFolderInUse, resolveDataDir } from '../../local/runtime-file.ts';
import { CliError, EXIT, parseCount, parseInstant, renderTable } from '../common.ts';

interface SeedCommandOptions {
  records: string;
  seed: string;
  months: string;
  now?: string;
  reset?: boolean;
}

/** Prints "records 35% (7000/20000)" on stderr each time another 5% is done. */
function progressPrinter(): (progress: SeedProgress) => void {
  let lastStep = -1;
  const started = Date.now();
  return (progress) => {
    if (progress.phase !== 'records' || progress.total === 0) return;
    const step = Math.floor((progress.done / progress.total) * 20);
    if (step === lastStep) return;
    lastStep = step;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(`seed: records ${step * 5}% (${progress.done}/${progress.total}) ${seconds}s\n`);
  };
}

export function register(program: Command): void {
  program
    .command('seed')
    .description('Fill the records database with deterministic demo data (Japanese and English)')
    .option('-r, --records <n>', 'number of records to create (1-10000000)', '20000')
    .option('-s, --seed <seed>', 'random seed: the same seed and --now give the same data', 'sfn-batch')
    .option('-m, --months <n>', 'spread records over this many months before now (2-36)', '3')
    .option('--now <instant>', 'reference instant instead of the current time (ISO 8601)')
    .option('--reset', 'delete existing demo data first')
    .addHelpText(
      'after',
      `
Uses DATABASE_URL (PostgreSQL) when set, else the embedded PGlite database in
\${SFN_BATCH_DATA_DIR:-.data}/pglite. Migrates first. Progress goes to stderr.
The embedded database has one owner at a time: while npm start (or any other process)
has it open, seed refuses and names that process; stop it first.

Examples:
  $ batchctl seed
  $ batchctl seed --reset --records 1000000 --seed bench
  $ batchctl seed --reset --now 2026-12-01T00:00:00Z --months 6

Exit codes: 0 seeded, 1 database problem or not empty (use --reset), 2 bad option.`,
    )
    .action(async (options: SeedCommandOptions) => {
      const records = parseCount(options.records, '--records', 10_000_000);
      const months = parseCount(options.months, '--months', 36);
      if (months < 2)
        throw new CliError('--months must be at least 2 so that last month is complete', EXIT.usage);
      const now = options.now === undefined ? new Date() : parseInstant(options.now, '--now');
      let config: ReturnType<typeof databaseConfigFromEnv>;
      try {
        config = databaseConfigFromEnv(process.env);
      } catch (error) {
        throw new CliError(error instanceof Error ? error.message : String(error), EXIT.usage);
      }
      const db = await openDatabase(config).catch(async (error: unknown) => {
        if (error instanceof FolderInUseError) {
          throw new CliError(await describeFolderInUse(error, resolveDataDir(process.env)));
        }
        throw new CliError(error instanceof Error ? error.message : String(error));
      });
      try {
        await migrate(db);
        if (options.reset) await resetDemoData(db);
        else if (!(await isDatabaseEmpty(db))) {
          throw new CliError('the database already has data: run with --reset to replace it with demo data');
        }
        const started = Date.now();
        const summary = await seedDemoData(db, {
          records,
          seed: options.seed,
          months,
          now,
          onProgress: progressPrinter(),
        });
        const seconds = (Date.now() - started) / 1000;
        process.stdout.write(
          `Seeded ${db.kind === 'pglite' ? `PGlite at ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)'} in ${seconds.toFixed(1)} s ` +
            `(${Math.round(records / Math.max(seconds, 0.001))} records/s), seed "${options.seed}", now ${now.toISOString()}\n`,
        );
        process.stdout.write(
          `${renderTable(
            ['table', 'rows'],
            Object.entries(summary).map(([name, count]) => [name, String(count)]),
          )}\n`,
        );
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw new CliError(`seeding failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        await db.close();
      }
    });
}
