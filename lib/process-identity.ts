/**
 * Which process wrote something, and whether it still runs: a pid plus the kernel start time
 * of that pid, so a pid reused by a later process is not mistaken for the writer. Used by the
 * data-folder lock and the local storage's temporary files.
 */
import { readFileSync } from 'node:fs';

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); undefined off Linux or when the pid is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Field 4 of /proc/<pid>/stat (the parent's pid; it changes when the parent dies); undefined off Linux or when the pid is gone. */
export function parentPidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(parent) ? parent : undefined;
  } catch {
    return undefined;
  }
}

/** Whether /proc says `pid` has exited and only waits to be reaped (state Z); false off Linux. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/**
 * Whether process `pid` is alive and is the one that started at `startTime` (when known on
 * both sides; without it, any live process with that pid counts as the same). A process that
 * has exited but is not reaped yet (an orphan whose new parent has not waited for it) is not alive.
 */
export function isProcessAlive(pid: number, startTime?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (isZombie(pid)) return false;
  const start = processStartTime(pid);
  return startTime === undefined || start === undefined || start === startTime;
}
