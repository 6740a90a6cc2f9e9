/**
 * The console's read-only view of the job catalogue: what `schedules/` declares, in the
 * shapes the pages show (schedule in words in English and Japanese, effective settings
 * with their origins, next runs). Executions are not here: the console reads those
 * through the Step Functions API like any other client.
 */

import { nextRuns, parseScheduleExpression } from '../../lib/cron/index.ts';
import { effectiveSettings } from '../../lib/schedule/effective-settings.ts';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import type { EffectiveJob } from '../../lib/schedule/load.ts';
import { scheduleInWords, upcomingRuns } from '../../lib/schedule/runs.ts';
import type { JobDetail, JobSummary } from './ui/job-shapes.ts';

export type { JobDetail, JobSummary } from './ui/job-shapes.ts';

export interface JobCatalogueSource {
  jobs: readonly JobSpec[];
  effective: ReadonlyMap<string, EffectiveJob>;
  stateMachineArn(job: string): string;
  /**
   * Runs as the running scheduler will fire them (rate() counts from its anchor), or
   * undefined when the scheduler does not schedule the job (off, or not in --only).
   */
  upcoming(job: string, count: number): Date[] | undefined;
}

export interface CalendarRun {
  job: string;
  at: string;
}

/** Upper bound of runs one calendar request returns (a rate(1 minute) job makes 10,080 a week). */
export const MAX_CALENDAR_RUNS = 20_000;

function runsOf(source: JobCatalogueSource, job: JobSpec, now: Date, count: number) {
  const fromScheduler = source.upcoming(job.name, count);
  if (!job.enabled) return { scheduledHere: fromScheduler !== undefined, runs: [] as Date[] };
  if (fromScheduler !== undefined) return { scheduledHere: true, runs: fromScheduler };
  return { scheduledHere: false, runs: upcomingRuns(job, now, count) };
}

export function summarizeJob(source: JobCatalogueSource, job: JobSpec, now: Date): JobSummary {
  const { scheduledHere, runs } = runsOf(source, job, now, 1);
  return {
    name: job.name,
    description: job.description,
    owner: { team: job.owner.team, slackChannel: job.owner.slackChannel },
    runbookUrl: job.runbookUrl ?? null,
    schedule: job.schedule,
    scheduleInWords: { en: scheduleInWords(job.schedule, 'en'), ja: scheduleInWords(job.schedule, 'ja') },
    timezone: job.timezone,
    enabled: job.enabled,
    workflow: job.workflow,
    stateMachineArn: source.stateMachineArn(job.name),
    scheduledHere,
    nextRun: runs[0]?.toISOString() ?? null,
    defaultInput: job.defaultInput,
  };
}

export function listJobs(source: JobCatalogueSource, now: Date): JobSummary[] {
  return [...source.jobs]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((job) => summarizeJob(source, job, now));
}

export function describeJob(source: JobCatalogueSource, job: JobSpec, now: Date): JobDetail {
  const effective = source.effective.get(job.name);
  return {
    ...summarizeJob(source, job, now),
    sourceFile: job.sourceFile,
    settings: effective ? effectiveSettings(effective) : [],
    nextRuns: runsOf(source, job, now, 10).runs.map((run) => run.toISOString()),
  };
}

/**
 * Every run of every enabled job in [from, to), earliest first. rate() jobs keep the
 * scheduler's phase when it schedules them; otherwise they count from `from`.
 */
export function calendarRuns(
  source: JobCatalogueSource,
  from: Date,
  to: Date,
): { runs: CalendarRun[]; truncated: boolean } {
  const runs: CalendarRun[] = [];
  let truncated = false;
  for (const job of source.jobs) {
    if (!job.enabled) continue;
    const expression = parseScheduleExpression(job.schedule);
    // rate() has no phase of its own: the scheduler's next run when it runs the job, else `from`.
    const anchor = expression.kind === 'rate' ? (source.upcoming(job.name, 1)?.[0] ?? from) : undefined;
    let after = new Date(from.getTime() - 1);
    for (;;) {
      const batch = nextRuns(expression, job.timezone, after, 500, anchor ? { anchor } : {}).filter(
        (run) => run.getTime() < to.getTime(),
      );
      for (const run of batch) runs.push({ job: job.name, at: run.toISOString() });
      const last = batch.at(-1);
      if (batch.length < 500 || last === undefined) break;
      if (runs.length > MAX_CALENDAR_RUNS) {
        truncated = true;
        break;
      }
      after = last;
    }
  }
  runs.sort((a, b) => a.at.localeCompare(b.at) || a.job.localeCompare(b.job));
  if (runs.length > MAX_CALENDAR_RUNS) return { runs: runs.slice(0, MAX_CALENDAR_RUNS), truncated: true };
  return { runs, truncated };
}
