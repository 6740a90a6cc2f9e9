import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isProcessAlive, processStartTime } from '../process-identity.ts';

/**
 * Exclusive, cross-process lock on a folder, held as a lock file beside it
 * (`<folder>.lock`). PGlite is a single-process database: two processes on one folder
 * (`npm start` and `batchctl seed --reset`, say) corrupt it beyond opening, so every
 * opener takes this lock first. The file names the holder (pid, command, start time);
 * a lock whose holder is gone (killed with SIGKILL, machine rebooted) is taken over.
 */

export const folderLockHolderSchema = z.object({
  pid: z.number().int().positive(),
  command: z.string(),
  startedAt: z.string(),
  /** Kernel start time of the holder process (/proc/<pid>/stat field 22), so a reused pid is not mistaken for the holder. */
  processStart: z.string().optional(),
  /** The holder's parent when it took the lock: a holder whose parent has since changed was orphaned. */
  parentPid: z.number().int().optional(),
  token: z.string(),
});
export type FolderLockHolder = z.infer<typeof folderLockHolderSchema>;

/** Another live process holds the lock. */
export class FolderInUseError extends Error {
  readonly folder: string;
  readonly lockFile: string;
  readonly holder: FolderLockHolder;

  constructor(folder: string, lockFile: string, holder: FolderLockHolder) {
    const who = holder.pid === process.pid ? 'this process' : `process ${holder.pid}`;
    super(
      `${folder} is in use by ${who} ("${holder.command}", since ${holder.startedAt}; lock file ${lockFile}). Stop that process first, or use another data folder (SFN_BATCH_DATA_DIR).`,
    );
    this.name = 'FolderInUseError';
    this.folder = folder;
    this.lockFile = lockFile;
    this.holder = holder;
  }
}

/** Locks held by this process, so a second open in the same process is refused too. */
const heldHere = new Set<string>();

/** The lock file that guards `folder`. */
export function lockFileOf(folder: string): string {
  return `${path.resolve(folder)}.lock`;
}

/**
 * Takes the lock on `folder` or throws {@link FolderInUseError} naming the live holder.
 * Returns the idempotent release function; the lock is also released when the process exits.
 */
export function acquireFolderLock(folder: string, lockFile: string = lockFileOf(folder)): () => void {
  const holder: FolderLockHolder = {
    pid: process.pid,
    command: process.argv
      .slice(1)
      .map((part) => path.relative(process.cwd(), part) || part)
      .join(' ')
      .slice(0, 300),
    startedAt: new Date().toISOString(),
    ...(processStartTime(process.pid) === undefined ? {} : { processStart: processStartTime(process.pid) }),
    parentPid: process.ppid,
    token: randomBytes(8).toString('hex'),
  };
  if (heldHere.has(lockFile)) {
    throw new FolderInUseError(folder, lockFile, readHolder(lockFile) ?? holder);
  }
  const content = `${JSON.stringify(holder)}\n`;
  // Written whole beside the lock, then linked into place: link fails if the lock exists,
  // and a reader never sees a half-written lock file.
  const temp = `${lockFile}.${process.pid}.${holder.token}.tmp`;
  // The lock sits beside the folder: a data folder whose parent does not exist yet (a fresh
  // SFN_BATCH_DATA_DIR) is created by its opener right after, so create the parent here.
  mkdirSync(path.dirname(lockFile), { recursive: true });
  writeFileSync(temp, content);
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        linkSync(temp, lockFile);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw error;
      }
      const current = readHolder(lockFile);
      if (current !== undefined && isHolderAlive(current)) {
        throw new FolderInUseError(folder, lockFile, current);
      }
      takeOverStale(lockFile, current);
    }
  } finally {
    rmSync(temp, { force: true });
  }
  heldHere.add(lockFile);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    heldHere.delete(lockFile);
    process.off('exit', release);
    // Only our own lock: a stale-lock takeover by another process must not be undone.
    if (readHolder(lockFile)?.token === holder.token) rmSync(lockFile, { force: true });
  };
  process.on('exit', release);
  return release;
}

/** The holder recorded in a lock file, or undefined if there is none or it is unreadable. */
export function readHolder(lockFile: string): FolderLockHolder | undefined {
  try {
    return folderLockHolderSchema.parse(JSON.parse(readFileSync(lockFile, 'utf8')));
  } catch {
    return undefined;
  }
}

/** Moves a dead holder's lock away; a lock that changed meanwhile (another taker won) is put back. */
function takeOverStale(lockFile: string, stale: FolderLockHolder | undefined): void {
  if (stale === undefined) {
    // Unreadable: written by an older version or torn by a crash. Give a writer that is
    // linking right now no chance to be mistaken: only a lock older than a second is stale.
    try {
      if (Date.now() - statSync(lockFile).mtimeMs < 1000) return;
    } catch {
      return;
    }
  }
  const aside = `${lockFile}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockFile, aside);
  } catch {
    return;
  }
  const moved = readHolder(aside);
  if (stale !== undefined && moved?.token !== stale.token) {
    try {
      linkSync(aside, lockFile);
    } catch {
      // Someone else holds it now; the next attempt reports them.
    }
  }
  rmSync(aside, { force: true });
}

function isHolderAlive(holder: FolderLockHolder): boolean {
  // Locks this process holds are in heldHere; a file naming us otherwise is a leftover.
  if (holder.pid === process.pid) return false;
  // Same pid but another start time: the holder died and its pid was reused.
  return isProcessAlive(holder.pid, holder.processStart);
}
