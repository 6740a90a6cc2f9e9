/**
 * The embedded database in a process of its own, owned by `npm start`. PGlite is WebAssembly
 * on one thread: in the runtime's process, each heavy query held up every timer of the
 * runtime (Wait states, Retry pauses, task timeouts, the scheduler), and its ~500 MiB made
 * every task start's fork slower (docs/reliability.md, docs/benchmarks.md). The database
 * process (database-process.ts) opens, migrates and seeds the folder, serves it over the wire
 * (servePglite), and reports the URL over the IPC channel; the runtime uses that URL as it
 * would a DATABASE_URL.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FolderInUseError, folderLockHolderSchema } from '../../lib/db/folder-lock.ts';
import type { DemoSeed } from './prepare-database.ts';

/** The entry point the process runs (its name marks its folder locks, see database-process.ts). */
export const DATABASE_PROCESS_ENTRY = fileURLToPath(new URL('./database-process.ts', import.meta.url));

/** What the database process tells its parent. */
export const fromDatabaseProcessSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), url: z.string(), displayUrl: z.string() }),
  z.object({
    type: z.literal('failed'),
    message: z.string(),
    folderInUse: z
      .object({ folder: z.string(), lockFile: z.string(), holder: folderLockHolderSchema })
      .optional(),
  }),
]);
export type FromDatabaseProcess = z.infer<typeof fromDatabaseProcessSchema>;

/** What the parent tells the database process. */
export type ToDatabaseProcess = { type: 'close' };

/** The database process could not start, or ended in a way that needs saying. */
export class DatabaseProcessError extends Error {
  override readonly name = 'DatabaseProcessError';
}

export interface DatabaseProcess {
  readonly pid: number;
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres` for the runtime and its tasks. Secret: never log it. */
  readonly url: string;
  /** The same URL with the password masked, for messages. */
  readonly displayUrl: string;
  /** Asks the process to close the database (it rolls back open transactions) and waits until it has exited. */
  close(): Promise<void>;
}

export interface DatabaseProcessOptions {
  /** The PGlite folder (`<data dir>/pglite`). */
  pgliteDir: string;
  /** Seeds this demo data when the database is empty. */
  seed?: DemoSeed;
  env?: NodeJS.ProcessEnv;
  /** Where its progress lines go: this process's stdout (npm start's terminal, default) or stderr (a bench whose stdout is its result). */
  stdout?: 'stdout' | 'stderr';
  /** Called once if the process exits after it was ready without being asked to close. */
  onUnexpectedExit?: (description: string) => void;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

const describeExit = ({ code, signal }: Exit) =>
  signal === null ? `exited with code ${code}` : `was killed by ${signal}`;

/**
 * Starts the database process and resolves once it serves. Rejects with
 * {@link FolderInUseError} when another process holds the folder (after waiting up to 30 s
 * for a closing database process of a stopped `npm start`), and with
 * {@link DatabaseProcessError} naming the cause for anything else.
 */
export function startDatabaseProcess(options: DatabaseProcessOptions): Promise<DatabaseProcess> {
  const args = ['--pglite-dir', options.pgliteDir];
  const { seed } = options;
  if (seed !== undefined) {
    args.push('--seed-records', String(seed.records), '--seed-now', seed.now.toISOString());
    if (seed.templates !== undefined) args.push('--seed-templates', String(seed.templates));
    if (seed.months !== undefined) args.push('--seed-months', String(seed.months));
  }
  // Same output as npm start (its progress lines reach the terminal); the IPC channel carries
  // the URL and errors. Same process group: the terminal's Ctrl-C reaches it too, and it
  // ignores that signal, to close only when its parent asks or is gone.
  const child = fork(DATABASE_PROCESS_ENTRY, args, {
    stdio: ['ignore', options.stdout === 'stderr' ? 2 : 'inherit', 'inherit', 'ipc'],
    env: options.env ?? process.env,
    // A debugger flag of the parent would make the child fight for its port.
    execArgv: process.execArgv.filter((flag) => !flag.startsWith('--inspect')),
  });
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let ready = false;
  let closeRequested = false;
  return new Promise<DatabaseProcess>((resolve, reject) => {
    let failure: Error | undefined;
    child.once('error', (error) => {
      failure = new DatabaseProcessError(
        `cannot start the database process (${DATABASE_PROCESS_ENTRY}): ${error.message}`,
      );
      if (child.pid === undefined) reject(failure);
    });
    child.on('message', (raw) => {
      const parsed = fromDatabaseProcessSchema.safeParse(raw);
      if (!parsed.success) return;
      const message = parsed.data;
      if (message.type === 'failed') {
        const { folderInUse } = message;
        failure =
          folderInUse === undefined
            ? new DatabaseProcessError(message.message)
            : new FolderInUseError(folderInUse.folder, folderInUse.lockFile, folderInUse.holder);
        return;
      }
      ready = true;
      const pid = child.pid ?? 0;
      resolve({
        pid,
        url: message.url,
        displayUrl: message.displayUrl,
        async close() {
          // Gone already without being asked: onUnexpectedExit has said so.
          if (!closeRequested && (child.exitCode !== null || child.signalCode !== null)) return;
          closeRequested = true;
          if (child.connected) child.send({ type: 'close' } satisfies ToDatabaseProcess);
          const how = await exited;
          if (how.code !== 0)
            throw new DatabaseProcessError(
              `the database process (pid ${pid}) ${describeExit(how)} while closing`,
            );
        },
      });
    });
    void exited.then((how) => {
      if (!ready) {
        // Rejected once the process is gone, so its folder lock is released by then.
        reject(
          failure ??
            new DatabaseProcessError(
              `the database process (pid ${child.pid}) ${describeExit(how)} before it served the database; the lines above say why`,
            ),
        );
      } else if (!closeRequested) {
        options.onUnexpectedExit?.(`the database process (pid ${child.pid}) ${describeExit(how)}`);
      }
    });
  });
}
