/**
 * The database process of `npm start` (started by start-database-process.ts, never by hand):
 * opens the embedded PGlite folder (taking its lock), migrates, seeds an empty database,
 * serves it on 127.0.0.1 and sends the URL to its parent over the IPC channel. It closes the
 * database cleanly when the parent asks, or when the parent is gone (its IPC channel
 * disconnects: npm start was SIGKILLed), and then exits.
 *   node local/database/database-process.ts --pglite-dir <dir> [--seed-records N --seed-now <ISO>
 *     [--seed-templates N] [--seed-months N]]
 */

import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FolderInUseError, type FolderLockHolder } from '../../lib/db/folder-lock.ts';
import { type Database, openDatabase } from '../../lib/db/index.ts';
import { type PgliteServer, servePglite } from '../../lib/db/serve-pglite.ts';
import { parentPidOf } from '../../lib/process-identity.ts';
import { type DemoSeed, prepareDatabase } from './prepare-database.ts';
import type { FromDatabaseProcess, ToDatabaseProcess } from './start-database-process.ts';

/** How long a new database process waits for the closing one of a stopped npm start. */
const FOLDER_WAIT_MS = 30_000;

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

// Ctrl-C in the terminal reaches the whole process group: npm start closes its runtime first
// and then asks this process to close, so the signal itself must not end it.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

if (process.send === undefined) {
  err(
    'local/database/database-process.ts is the database process of npm start and needs its IPC channel: run npm start',
  );
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    'pglite-dir': { type: 'string' },
    'seed-records': { type: 'string' },
    'seed-templates': { type: 'string' },
    'seed-months': { type: 'string' },
    'seed-now': { type: 'string' },
  },
});
const pgliteDir = values['pglite-dir'];
if (pgliteDir === undefined) {
  err('database process: --pglite-dir is required');
  process.exit(2);
}
const seed: DemoSeed | undefined =
  values['seed-records'] === undefined
    ? undefined
    : {
        records: Number(values['seed-records']),
        now: new Date(values['seed-now'] ?? Date.now()),
        ...(values['seed-templates'] === undefined ? {} : { templates: Number(values['seed-templates']) }),
        ...(values['seed-months'] === undefined ? {} : { months: Number(values['seed-months']) }),
      };

function send(message: FromDatabaseProcess): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send?.(message, undefined, {}, () => resolve());
  });
}

let db: Database | undefined;
let server: PgliteServer | undefined;
let opening: Promise<unknown> = Promise.resolve();
let closing: Promise<never> | undefined;

/** Closes the server (dropping its connections) and the database, then exits. */
function closeAndExit(): Promise<never> {
  closing ??= (async () => {
    let code = 0;
    // PGlite creating a new folder finishes first. A migration or seed in flight is one open
    // transaction that close() would wait for (a seed can take minutes): exit without it,
    // uncommitted, as a kill would; PGlite opens such a folder again (test/start/data-folder-lock.test.ts).
    await opening.catch(() => undefined);
    if (server === undefined) process.exit(1);
    for (const [what, close] of [
      ['database server', () => server?.close()],
      ['database', () => db?.close()],
    ] as const) {
      try {
        await close();
      } catch (error) {
        code = 1;
        err(
          `database process: could not close the ${what}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    process.exit(code);
  })();
  return closing;
}

process.on('message', (message: ToDatabaseProcess) => {
  if (message.type === 'close') void closeAndExit();
});
// npm start is gone without asking (SIGKILL, a crash): close the database, do not leave it open.
process.on('disconnect', () => void closeAndExit());

/**
 * Opens the folder; while the database process of an npm start that has stopped still holds
 * it (it is closing, see above), waits for it, up to FOLDER_WAIT_MS.
 */
async function openWhenFree(folder: string): Promise<Database> {
  const deadline = Date.now() + FOLDER_WAIT_MS;
  let announced = false;
  while (true) {
    try {
      return await openDatabase({ dataDir: folder });
    } catch (error) {
      if (!(error instanceof FolderInUseError) || !isOrphanedDatabaseProcess(error.holder)) throw error;
      if (Date.now() >= deadline || closing !== undefined) throw error;
      if (!announced) {
        announced = true;
        out(
          `database: waiting for pid ${error.holder.pid} (the database process of an npm start that has stopped) to close ${folder}, up to ${FOLDER_WAIT_MS / 1000} s…`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** A database process whose npm start is gone: it was reparented, so its parent differs from the one it locked under. */
function isOrphanedDatabaseProcess(holder: FolderLockHolder): boolean {
  return (
    holder.command.includes('database-process.ts') &&
    holder.parentPid !== undefined &&
    parentPidOf(holder.pid) !== holder.parentPid
  );
}

try {
  if (!existsSync(pgliteDir) && !pgliteDir.startsWith('memory://'))
    out(`database: creating the embedded PostgreSQL in ${pgliteDir} (first start only)…`);
  const opened = openWhenFree(pgliteDir);
  opening = opened;
  db = await opened;
  await prepareDatabase(db, seed, out);
  // The tasks (child processes) and the runtime reach it over the wire, with a password made
  // for this start that only they receive (in DATABASE_URL).
  server = await servePglite(db, { host: '127.0.0.1', port: 0 });
  await send({ type: 'ready', url: server.url, displayUrl: server.displayUrl });
} catch (error) {
  if (closing === undefined) {
    await send({
      type: 'failed',
      message: error instanceof Error ? error.message : String(error),
      ...(error instanceof FolderInUseError
        ? { folderInUse: { folder: error.folder, lockFile: error.lockFile, holder: error.holder } }
        : {}),
    });
    await db?.close().catch(() => undefined);
    process.exit(1);
  }
}
