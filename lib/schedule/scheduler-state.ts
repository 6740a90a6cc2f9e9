/**
 * The local scheduler's state file, `<dataDir>/scheduler.json`: per job, the instant up to
 * which runs are handled and the rate() anchor. The scheduler (npm start) writes it; batchctl
 * reads it so that `list` and `next` show the rate() instants the scheduler will really use.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { JobSpec } from './job-spec.ts';

/** `<dataDir>/scheduler.json`. */
export function schedulerStatePath(dataDir: string): string {
  return path.join(dataDir, 'scheduler.json');
}

const jobStateSchema = z.object({
  /** Every run at or before this instant has been started or reported as missed. */
  handledThrough: z.iso.datetime(),
  /** rate() cadence origin, like an EventBridge schedule's creation time; reset when the expression changes. */
  anchor: z.iso.datetime(),
  schedule: z.string(),
  timezone: z.string(),
  lastScheduledTime: z.iso.datetime().optional(),
});

const schedulerStateSchema = z.object({
  version: z.literal(1),
  jobs: z.record(z.string(), jobStateSchema),
});

export type SchedulerState = z.infer<typeof schedulerStateSchema>;
export type JobScheduleState = z.infer<typeof jobStateSchema>;

/**
 * Reads the state file. A missing file is an empty state; an unreadable one is an empty
 * state plus `problem`, which says why (the caller decides whether to warn).
 */
export async function readSchedulerState(file: string): Promise<{ state: SchedulerState; problem?: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyState() };
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = schedulerStateSchema.safeParse(json);
  if (!parsed.success) {
    return {
      state: emptyState(),
      problem: `${file} is not a valid scheduler state file (${parsed.error.issues[0]?.message ?? 'unreadable'})`,
    };
  }
  return { state: parsed.data };
}

/** Writes the state file atomically (write, then rename), so a crash never leaves it truncated. */
export async function writeSchedulerState(file: string, state: SchedulerState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temporary, file);
}

export function emptyState(): SchedulerState {
  return { version: 1, jobs: {} };
}

/**
 * The stored state of `job` if it still applies: the scheduler keeps a job's anchor and
 * handled-through instant only while its schedule and time zone are unchanged, as
 * EventBridge restarts a schedule's cadence when its expression changes.
 */
export function storedJobState(
  state: SchedulerState,
  job: Pick<JobSpec, 'name' | 'schedule' | 'timezone'>,
): JobScheduleState | undefined {
  const stored = state.jobs[job.name];
  return stored && stored.schedule === job.schedule && stored.timezone === job.timezone ? stored : undefined;
}

/** The rate() anchor the scheduler will use for `job`, or undefined when it has none yet. */
export function storedRateAnchor(
  state: SchedulerState,
  job: Pick<JobSpec, 'name' | 'schedule' | 'timezone'>,
): Date | undefined {
  const stored = storedJobState(state, job);
  return stored ? new Date(stored.anchor) : undefined;
}
