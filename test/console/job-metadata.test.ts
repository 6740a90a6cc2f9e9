import { describe, expect, it } from 'vitest';
import {
  calendarRuns,
  describeJob,
  type JobCatalogueSource,
  listJobs,
} from '../../local/console/job-metadata.ts';
import { makeJob } from '../local-runtime/helpers.ts';

const monthly = makeJob('export-monthly', { schedule: 'cron(0 0 1 * ? *)', timezone: 'Asia/Tokyo' });
const every5 = makeJob('detect-excursions', { schedule: 'rate(5 minutes)' });
const disabled = makeJob('purge-photos', { enabled: false });
const now = new Date('2026-11-30T12:02:00Z');

function source(upcoming: JobCatalogueSource['upcoming']): JobCatalogueSource {
  return {
    jobs: [monthly, every5, disabled],
    effective: new Map(),
    stateMachineArn: (job) =>
      `arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-local-${job}`,
    upcoming,
  };
}

describe('console job metadata', () => {
  it('takes next runs from the running scheduler, so rate() keeps its phase', () => {
    // The scheduler's rate() anchor puts runs at :03, :08, … rather than counting from now.
    const scheduler = (job: string, count: number) =>
      job === 'detect-excursions'
        ? Array.from(
            { length: count },
            (_, index) => new Date(Date.parse('2026-11-30T12:03:00Z') + index * 300_000),
          )
        : undefined;

    const jobs = listJobs(source(scheduler), now);
    const detail = describeJob(source(scheduler), every5, now);

    const byName = new Map(jobs.map((job) => [job.name, job]));
    expect(byName.get('detect-excursions')).toMatchObject({
      scheduledHere: true,
      nextRun: '2026-11-30T12:03:00.000Z',
    });
    expect(detail.nextRuns).toHaveLength(10);
    expect(detail.nextRuns[1]).toBe('2026-11-30T12:08:00.000Z');
    expect(byName.get('export-monthly')).toMatchObject({
      scheduledHere: false,
      nextRun: '2026-11-30T15:00:00.000Z',
      scheduleInWords: { en: 'At 00:00, on day 1 of the month', ja: '00:00、毎月1日' },
    });
    expect(byName.get('purge-photos')?.nextRun).toBeNull();
  });

  it('lists every run of the enabled jobs in a window, earliest first', () => {
    const from = new Date('2026-11-30T15:00:00Z');
    const to = new Date('2026-11-30T16:00:00Z');

    const { runs, truncated } = calendarRuns(
      source(() => undefined),
      from,
      to,
    );

    expect(truncated).toBe(false);
    expect(runs[0]).toEqual({ job: 'detect-excursions', at: '2026-11-30T15:00:00.000Z' });
    expect(runs.filter((run) => run.job === 'export-monthly')).toEqual([
      { job: 'export-monthly', at: '2026-11-30T15:00:00.000Z' },
    ]);
    expect(runs.filter((run) => run.job === 'detect-excursions')).toHaveLength(12);
    expect(runs.some((run) => run.job === 'purge-photos')).toBe(false);
  });
});
