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

/** The job's schedule expression in words, in English or Japanese. */
export function scheduleInWords(schedule: string, lang: DescriptionLanguage = 'en'): string {
  return describeSchedule(parseScheduleExpression(schedule), lang);
}
