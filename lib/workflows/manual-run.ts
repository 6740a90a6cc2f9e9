/**
 * What a person starting a job by hand needs to know, written into the state
 * machine's top-level `Comment` (the AWS Step Functions console shows it on the
 * state machine page, next to Start execution).
 */

import { manualRunExample, rerunPeriodExample } from '../contracts/execution-input.ts';
import { offsetAt } from '../cron/time-zone.ts';
import type { JobSpec } from '../schedule/job-spec.ts';
import { upcomingRuns } from '../schedule/runs.ts';

/** A fixed reference, so the example (and so the deployed definition) does not change from one deploy to the next. */
const EXAMPLE_AFTER = new Date('2026-10-31T12:00:00Z');

/** `2026-11-01T00:00:00+09:00`: an instant as the job's zone reads it, with the offset. */
export function zonedIsoInstant(instant: Date, timeZone: string): string {
  const offsetMinutes = Math.round(offsetAt(timeZone, instant.getTime()) / 60_000);
  const local = new Date(instant.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
  const minutes = String(Math.abs(offsetMinutes) % 60).padStart(2, '0');
  return `${local}${sign}${hours}:${minutes}`;
}

/**
 * One paragraph: the input of a manual run with the job's defaults, the rule for the
 * keys, and the input that reruns the period of one scheduled run (the first run of
 * the job's schedule after a fixed date, in its own zone).
 */
export function manualRunHelp(job: JobSpec): string {
  const example = upcomingRuns(job, EXAMPLE_AFTER, 1)[0] ?? EXAMPLE_AFTER;
  const scheduledTime = zonedIsoInstant(example, job.timezone);
  return (
    `Manual run (Start execution) input: ${manualRunExample(job)} or {}. ` +
    'Every key is optional; "Comment" is ignored, any other unknown key fails the run with InvalidExecutionInput. ' +
    `params may set only the keys under input: in ${job.sourceFile}, with the type of their default. ` +
    `To rerun the period of one scheduled run, give the instant it was scheduled for: ${rerunPeriodExample(job, scheduledTime)}`
  );
}
