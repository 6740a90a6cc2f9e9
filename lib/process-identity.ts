/**
 * Which process wrote something, and whether it still runs: a pid plus the kernel start time
 * of that pid, so a pid reused by a later process is not mistaken for the writer. Used by the
 * data-folder lock and the local storage's temporary files.
 */
import { readFileSync } from 'node:fs';

/**
 * The fields of /proc/<pid>/stat after the command name (so index 0 is field 3, the state);
 * undefined off Linux or when the pid is gone.
 */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); undefined off Linux or when the pid is gone. */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** Field 4 of /proc/<pid>/stat (the parent's pid; it changes when the parent dies); undefined off Linux or when the pid is gone. */
export function parentPidOf(pid: number): number | undefined {
  const parent = Number(statFields(pid)?.[1]);
  return Number.isInteger(parent) ? parent : undefined;
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
  const fields = statFields(pid);
  // State Z: it has exited and only waits to be reaped.
  if (fields?.[0] === 'Z') return false;
  const start = fields?.[19];
  return startTime === undefined || start === undefined || start === startTime;
}
