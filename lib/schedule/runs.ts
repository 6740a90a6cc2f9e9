/**
 * A job's schedule in words and its upcoming runs, for the views that show schedules
 * to people (batchctl, the local console). The schedule has been validated by the loader.
 */
import {
  type DescriptionLanguage,
  describeSchedule,
  nextRuns,
  parseScheduleExpression,
} from '../cron/index.ts';
import type { JobSpec } from './job-spec.ts';

/**
 * The next `count` instants after `after` at which EventBridge Scheduler would start the
 * job (ignores `enabled`). `rate()` has no fixed phase until the schedule is created, so
 * its runs are counted from `after`.
 */
export function upcomingRuns(
  job: Pick<JobSpec, 'schedule' | 'timezone'>,
  after: Date,
  count: number,
): Date[] {
  return nextRuns(parseScheduleExpression(job.schedule), job.timezone, after, count);
}

/** The runs a view shows for a job, as the local scheduler will start them. */
export interface RunPlan {
  runs: Date[];
  /**
   * Set for a rate() job the local scheduler has no anchor for yet (npm start has not
   * scheduled it, or its schedule changed since): when its runs will be, in words.
   */
  notAnchored?: string;
}

/**
 * Like {@link upcomingRuns}, but rate() runs are counted from `anchor`, the instant the
 * local scheduler stored for the job (see `scheduler-state.ts`), so a view shows the
 * instants that will really fire. Without an anchor there are no fixed instants yet.
 */
export function plannedRuns(
  job: Pick<JobSpec, 'schedule' | 'timezone'>,
  after: Date,
  count: number,
  anchor: Date | undefined,
  lang: DescriptionLanguage = 'en',
): RunPlan {
  const expression = parseScheduleExpression(job.schedule);
  if (expression.kind !== 'rate') return { runs: nextRuns(expression, job.timezone, after, count) };
  if (anchor) return { runs: nextRuns(expression, job.timezone, after, count, { anchor }) };
  const cadence = describeSchedule(expression, lang);
  return {
    runs: [],
    notAnchored:
      lang === 'ja'
        ? `npm start がスケジュールした時点から${cadence}`
        : `first run when npm start schedules it, then ${cadence.toLowerCase()}`,
  };
}

/** The job's schedule expression in words, in English or Japanese. */
export function scheduleInWords(schedule: string, lang: DescriptionLanguage = 'en'): string {
  return describeSchedule(parseScheduleExpression(schedule), lang);
}
