import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import { plannedRuns } from '../../lib/schedule/runs.ts';
import { readSchedulerState, storedRateAnchor } from '../../lib/schedule/scheduler-state.ts';
import {
  createScheduler,
  MAX_TIMER_DELAY_MS,
  type ScheduledStart,
  type SchedulerOptions,
  scheduledExecutionName,
  simulatedClock,
} from '../../local/scheduler.ts';
import { FakeClock, jobSpec, RecordingLog } from './fixtures.ts';

interface Started {
  job: string;
  name: string;
  scheduledTime: string;
}

function harness(jobs: JobSpec[], startIso: string, extra: Partial<SchedulerOptions> = {}) {
  const clock = new FakeClock(startIso);
  const log = new RecordingLog();
  const started: Started[] = [];
  const scheduler = createScheduler({
    jobs,
    clock,
    log,
    start: async (job: JobSpec, request: ScheduledStart) => {
      started.push({ job: job.name, name: request.name, scheduledTime: request.input.scheduledTime });
    },
    ...extra,
  });
  return { clock, log, started, scheduler };
}

const monthStartJobs = [
  jobSpec({ name: 'export-monthly', schedule: 'cron(0 0 1 * ? *)', defaultInput: { format: 'xlsx' } }),
  jobSpec({ name: 'aggregate-daily', schedule: 'cron(0 0 * * ? *)' }),
  jobSpec({ name: 'sync-hourly', schedule: 'cron(0 * * * ? *)' }),
  jobSpec({ name: 'utc-midnight', schedule: 'cron(0 0 * * ? *)', timezone: 'UTC' }),
  jobSpec({ name: 'monthly-disabled', schedule: 'cron(0 0 1 * ? *)', enabled: false }),
];

describe('scheduler', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sfn-batch-scheduler-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts every job due at a month start in the job time zone, with the scheduled time in the input', async () => {
    // Prepare
    const { clock, started, scheduler } = harness(monthStartJobs, '2026-11-30T23:59:30+09:00');
    const inputs: ScheduledStart[] = [];
    const recording = createScheduler({
      jobs: monthStartJobs.slice(0, 1),
      clock,
      log: new RecordingLog(),
      start: async (_job, request) => void inputs.push(request),
    });
    await scheduler.start();
    await recording.start();

    // Act
    clock.advanceTo('2026-12-01T00:00:05+09:00');

    // Assess
    expect(started.map((run) => run.job).sort()).toEqual([
      'aggregate-daily',
      'export-monthly',
      'sync-hourly',
    ]);
    expect(new Set(started.map((run) => run.scheduledTime))).toEqual(new Set(['2026-11-30T15:00:00.000Z']));
    expect(inputs).toEqual([
      {
        name: 'export-monthly-20261130T1500Z',
        input: { scheduledTime: '2026-11-30T15:00:00.000Z', trigger: 'schedule', params: { format: 'xlsx' } },
      },
    ]);
  });

  it('starts the burst at once when the clock starts exactly on the month start (--at)', async () => {
    // Prepare
    const { started, scheduler } = harness(monthStartJobs, '2026-12-01T00:00:00+09:00');

    // Act
    await scheduler.start();

    // Assess
    expect(started.map((run) => run.name).sort()).toEqual([
      'aggregate-daily-20261130T1500Z',
      'export-monthly-20261130T1500Z',
      'sync-hourly-20261130T1500Z',
    ]);
  });

  it('starts the burst when the clock reaches the scheduler a moment after the month start', async () => {
    // Prepare: `--at 2026-12-01T00:00+09:00`, but start() runs a few milliseconds later.
    const { started, scheduler } = harness(monthStartJobs, '2026-12-01T00:00:00.040+09:00');

    // Act
    await scheduler.start();

    // Assess
    expect(started.map((run) => run.job).sort()).toEqual([
      'aggregate-daily',
      'export-monthly',
      'sync-hourly',
    ]);
  });

  it('skips a local time that does not exist on the DST spring-forward day', async () => {
    // Prepare: 2027-03-14 02:30 does not exist in New York.
    const job = jobSpec({ name: 'nightly-ny', schedule: 'cron(30 2 * * ? *)', timezone: 'America/New_York' });
    const { clock, started, scheduler } = harness([job], '2027-03-13T12:00:00Z');
    await scheduler.start();

    // Act
    clock.advanceTo('2027-03-15T12:00:00Z');

    // Assess
    expect(started.map((run) => run.scheduledTime)).toEqual(['2027-03-15T06:30:00.000Z']);
  });

  it('skips runs missed while the runtime was down and logs them once per job', async () => {
    // Prepare
    const stateFile = join(dataDir, 'scheduler.json');
    const job = jobSpec({ name: 'sync-hourly', schedule: 'cron(0 * * * ? *)', timezone: 'UTC' });
    const first = harness([job], '2026-11-21T09:10:00Z', { stateFile });
    await first.scheduler.start();
    first.clock.advanceTo('2026-11-21T10:30:00Z');
    await first.scheduler.stop();
    const second = harness([job], '2026-11-21T13:40:00Z', { stateFile });

    // Act
    await second.scheduler.start();
    second.clock.advanceTo('2026-11-21T14:00:10Z');

    // Assess
    expect(first.started.map((run) => run.name)).toEqual(['sync-hourly-20261121T1000Z']);
    expect(second.log.lines.filter((line) => line.level === 'warn').map((line) => line.message)).toEqual([
      'missed 3 runs of sync-hourly between 2026-11-21T11:00:00.000Z and 2026-11-21T13:00:00.000Z; not replayed (set --catch-up to start the latest one late)',
    ]);
    expect(second.started.map((run) => run.name)).toEqual(['sync-hourly-20261121T1400Z']);
  });

  it('starts the latest missed run once, late, when it is inside the catch-up window', async () => {
    // Prepare
    const stateFile = join(dataDir, 'scheduler.json');
    const job = jobSpec({ name: 'sync-hourly', schedule: 'cron(0 * * * ? *)', timezone: 'UTC' });
    const first = harness([job], '2026-11-21T10:30:00Z', { stateFile });
    await first.scheduler.start();
    await first.scheduler.stop();
    const second = harness([job], '2026-11-21T13:40:00Z', { stateFile, catchUpSeconds: 3600 });

    // Act
    await second.scheduler.start();

    // Assess
    expect(second.started.map((run) => run.name)).toEqual(['sync-hourly-20261121T1300Z']);
    expect(second.log.lines.map((line) => line.message)).toEqual([
      'missed 2 runs of sync-hourly between 2026-11-21T11:00:00.000Z and 2026-11-21T12:00:00.000Z; not replayed (older than the catch-up window)',
      'starting missed run of sync-hourly scheduled at 2026-11-21T13:00:00.000Z (within the catch-up window)',
    ]);
  });

  it('does not start a missed run older than the catch-up window', async () => {
    // Prepare
    const stateFile = join(dataDir, 'scheduler.json');
    const job = jobSpec({ name: 'export-monthly', schedule: 'cron(0 0 1 * ? *)' });
    const first = harness([job], '2026-11-30T12:00:00+09:00', { stateFile });
    await first.scheduler.start();
    await first.scheduler.stop();
    const second = harness([job], '2026-12-01T03:00:00+09:00', { stateFile, catchUpSeconds: 2 * 3600 });

    // Act
    await second.scheduler.start();

    // Assess
    expect(second.started).toEqual([]);
    expect(second.log.lines.map((line) => line.message)).toEqual([
      'missed 1 run of export-monthly at 2026-11-30T15:00:00.000Z; not replayed (older than the catch-up window)',
    ]);
  });

  it('records the last scheduled time per job in scheduler.json', async () => {
    // Prepare
    const stateFile = join(dataDir, 'scheduler.json');
    const job = jobSpec({ name: 'sync-hourly', schedule: 'cron(0 * * * ? *)', timezone: 'UTC' });
    const { clock, scheduler } = harness([job], '2026-11-21T09:59:00Z', { stateFile });
    await scheduler.start();

    // Act
    clock.advanceTo('2026-11-21T10:00:01Z');
    await scheduler.stop();

    // Assess
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    expect(state.jobs['sync-hourly']).toMatchObject({
      lastScheduledTime: '2026-11-21T10:00:00.000Z',
      handledThrough: '2026-11-21T10:00:01.000Z',
    });
  });

  it('keeps the rate() cadence anchored at the first start across restarts', async () => {
    // Prepare
    const stateFile = join(dataDir, 'scheduler.json');
    const job = jobSpec({ name: 'poll', schedule: 'rate(30 minutes)', timezone: 'UTC' });
    const first = harness([job], '2026-11-21T09:05:00Z', { stateFile });
    await first.scheduler.start();
    await first.scheduler.stop();
    const second = harness([job], '2026-11-21T09:20:00Z', { stateFile });
    await second.scheduler.start();

    // Act
    second.clock.advanceTo('2026-11-21T10:10:00Z');

    // Assess
    expect(first.started.map((run) => run.scheduledTime)).toEqual(['2026-11-21T09:05:00.000Z']);
    expect(second.started.map((run) => run.scheduledTime)).toEqual([
      '2026-11-21T09:35:00.000Z',
      '2026-11-21T10:05:00.000Z',
    ]);
    await second.scheduler.stop();
  });

  it('stores the rate() anchor that batchctl reads, so both name the same instants', async () => {
    // Prepare
    const stateFile = join(dataDir, 'scheduler.json');
    const job = jobSpec({ name: 'poll', schedule: 'rate(5 minutes)', timezone: 'Asia/Tokyo' });
    const { started, scheduler } = harness([job], '2026-11-21T10:00:11Z', { stateFile });
    await scheduler.start();
    await scheduler.stop();

    // Act: what `batchctl next` computes at 10:01, and what the scheduler then starts.
    const { state } = await readSchedulerState(stateFile);
    const shown = plannedRuns(job, new Date('2026-11-21T10:01:00Z'), 2, storedRateAnchor(state, job));
    const resumed = harness([job], '2026-11-21T10:01:00Z', { stateFile });
    await resumed.scheduler.start();
    resumed.clock.advanceTo('2026-11-21T10:10:30Z');
    await resumed.scheduler.stop();

    // Assess
    expect(started.map((run) => run.scheduledTime)).toEqual(['2026-11-21T10:00:11.000Z']);
    expect(shown.runs.map((run) => run.toISOString())).toEqual(
      resumed.started.map((run) => run.scheduledTime),
    );
    expect(shown.runs.map((run) => run.toISOString())).toEqual([
      '2026-11-21T10:05:11.000Z',
      '2026-11-21T10:10:11.000Z',
    ]);
  });

  it('starts an at() schedule once', async () => {
    // Prepare
    const job = jobSpec({ name: 'one-off', schedule: 'at(2026-11-21T18:30:00)' });
    const { clock, started, scheduler } = harness([job], '2026-11-21T18:00:00+09:00');
    await scheduler.start();

    // Act
    clock.advanceTo('2026-11-23T00:00:00+09:00');

    // Assess
    expect(started.map((run) => run.scheduledTime)).toEqual(['2026-11-21T09:30:00.000Z']);
    expect(scheduler.scheduledJobCount()).toBe(0);
  });

  it('never arms a timer longer than a minute, so far-off runs and clock jumps are handled', async () => {
    // Prepare
    const job = jobSpec({ name: 'yearly', schedule: 'cron(0 0 1 1 ? *)', timezone: 'UTC' });
    const { clock, started, scheduler } = harness([job], '2026-12-25T00:00:00Z');

    // Act
    await scheduler.start();
    const delays = clock.pendingTimerDelays();
    clock.advanceTo('2027-01-01T00:00:30Z');

    // Assess
    expect(delays).toEqual([MAX_TIMER_DELAY_MS]);
    expect(started.map((run) => run.name)).toEqual(['yearly-20270101T0000Z']);
  });

  it('reports runs skipped by a wall-clock jump and starts the one still on time', async () => {
    // Prepare
    const job = jobSpec({ name: 'sync-hourly', schedule: 'cron(0 * * * ? *)', timezone: 'UTC' });
    const { clock, log, started, scheduler } = harness([job], '2026-11-21T09:30:00Z');
    await scheduler.start();

    // Act: the laptop sleeps from 09:30 to 12:00:20; timers did not run meanwhile.
    clock.jumpTo('2026-11-21T12:00:20Z');
    clock.advanceTo('2026-11-21T12:01:30Z');

    // Assess
    expect(started.map((run) => run.name)).toEqual(['sync-hourly-20261121T1200Z']);
    expect(log.lines.map((line) => line.message)).toEqual([
      'missed 2 runs of sync-hourly between 2026-11-21T10:00:00.000Z and 2026-11-21T11:00:00.000Z; not replayed (set --catch-up to start the latest one late)',
    ]);
  });

  it('logs a failed start and keeps scheduling', async () => {
    // Prepare
    const job = jobSpec({ name: 'sync-hourly', schedule: 'cron(0 * * * ? *)', timezone: 'UTC' });
    const clock = new FakeClock('2026-11-21T09:59:00Z');
    const log = new RecordingLog();
    const attempts: string[] = [];
    const scheduler = createScheduler({
      jobs: [job],
      clock,
      log,
      start: async (_job, request) => {
        attempts.push(request.name);
        throw new Error('connect ECONNREFUSED');
      },
    });
    await scheduler.start();

    // Act
    clock.advanceTo('2026-11-21T11:00:01Z');
    await scheduler.stop();

    // Assess
    expect(attempts).toEqual(['sync-hourly-20261121T1000Z', 'sync-hourly-20261121T1100Z']);
    expect(log.lines.filter((line) => line.level === 'error').map((line) => line.message)).toEqual([
      'scheduled start of sync-hourly (sync-hourly-20261121T1000Z) failed: connect ECONNREFUSED',
      'scheduled start of sync-hourly (sync-hourly-20261121T1100Z) failed: connect ECONNREFUSED',
    ]);
  });

  it('starts fresh with a warning when scheduler.json is corrupt', async () => {
    // Prepare
    const stateFile = join(dataDir, 'scheduler.json');
    await writeFile(stateFile, '{"version": 1, "jobs": ');
    const job = jobSpec({ name: 'sync-hourly', schedule: 'cron(0 * * * ? *)', timezone: 'UTC' });
    const { log, scheduler } = harness([job], '2026-11-21T09:30:00Z', { stateFile });

    // Act
    await scheduler.start();

    // Assess
    expect(log.lines[0]?.message).toMatch(/scheduler\.json is not a valid scheduler state file/);
  });

  it('lists the next runs across jobs, earliest first', async () => {
    // Prepare
    const { scheduler } = harness(monthStartJobs, '2026-11-30T22:00:00+09:00');
    await scheduler.start();

    // Act
    const upcoming = scheduler.upcoming(4);

    // Assess
    expect(upcoming.map((run) => `${run.job}@${run.at.toISOString()}`)).toEqual([
      'sync-hourly@2026-11-30T14:00:00.000Z',
      'aggregate-daily@2026-11-30T15:00:00.000Z',
      'export-monthly@2026-11-30T15:00:00.000Z',
      'sync-hourly@2026-11-30T15:00:00.000Z',
    ]);
  });

  it('names executions deterministically in UTC minutes', () => {
    expect(scheduledExecutionName('aggregate-daily', new Date('2026-12-01T00:00:00+09:00'))).toBe(
      'aggregate-daily-20261130T1500Z',
    );
  });
});

/** A scheduler of one UTC job on a simulated clock over a hand-driven real clock (2026-11-30T13:00Z). */
function simulatedHarness(
  schedule: string,
  startAt: string,
  speed: number,
  extra: Partial<SchedulerOptions> = {},
) {
  const real = new FakeClock('2026-11-30T13:00:00Z');
  const clock = simulatedClock(new Date(startAt), speed, real);
  const log = new RecordingLog();
  const started: ScheduledStart[] = [];
  const scheduler = createScheduler({
    jobs: [jobSpec({ name: 'job', schedule, timezone: 'UTC' })],
    clock,
    log,
    start: async (_job, request) => void started.push(request),
    ...extra,
  });
  return { real, log, started, scheduler };
}

describe('simulated clock (npm start --at/--speed)', () => {
  it('starts at --at when the scheduler first reads it, then runs speed times as fast', () => {
    // Prepare: real time is the hand-driven clock; 30 s pass before anything reads the clock.
    const real = new FakeClock('2026-11-30T13:00:00Z');
    const clock = simulatedClock(new Date('2027-02-28T12:00:00Z'), 1000, real);
    real.advanceTo('2026-11-30T13:00:30Z');

    // Act
    const first = clock.now();
    real.advanceTo('2026-11-30T13:00:36Z');

    // Assess: the start-up time does not count; 6 real seconds are 100 simulated minutes.
    expect(new Date(first).toISOString()).toBe('2027-02-28T12:00:00.000Z');
    expect(new Date(clock.now()).toISOString()).toBe('2027-02-28T13:40:00.000Z');
  });

  it('fires a timer after its delay divided by the speed, in real time', () => {
    // Prepare
    const real = new FakeClock('2026-11-30T13:00:00Z');
    const clock = simulatedClock(undefined, 600, real);
    const fired: number[] = [];
    clock.now();

    // Act: an hour of scheduler time is 6 real seconds.
    clock.setTimer(() => fired.push(clock.now()), 3_600_000);
    real.advanceTo('2026-11-30T13:00:05.999Z');
    const before = fired.length;
    real.advanceTo('2026-11-30T13:00:06Z');

    // Assess
    expect(before).toBe(0);
    expect(fired.map((at) => new Date(at).toISOString())).toEqual(['2026-11-30T14:00:00.000Z']);
  });

  it('starts every run that fell due during an event-loop stall of a fast clock, none missed', async () => {
    // Prepare: at 1000x, rate(5 minutes) is due every 300 real ms; the loop stalls 2 real s.
    const { real, log, started, scheduler } = simulatedHarness(
      'rate(5 minutes)',
      '2027-03-01T00:00:00Z',
      1000,
    );
    await scheduler.start();

    // Act
    real.jumpTo('2026-11-30T13:00:02Z');
    real.advanceTo('2026-11-30T13:00:02.1Z');
    await scheduler.stop();

    // Assess: 2.1 real s are 35 simulated minutes: the anchor run at start and every 5 minutes.
    expect(started.map((run) => run.input.scheduledTime)).toEqual(
      [0, 5, 10, 15, 20, 25, 30, 35].map((minute) => new Date(Date.UTC(2027, 2, 1, 0, minute)).toISOString()),
    );
    expect(log.lines).toEqual([]);
  });

  it('still reports runs as missed when the real stall is longer than the on-time tolerance', async () => {
    // Prepare
    const { real, log, started, scheduler } = simulatedHarness(
      'cron(0 * * * ? *)',
      '2027-03-01T00:00:00Z',
      100,
    );
    await scheduler.start();

    // Act: 5 real minutes asleep are 500 simulated minutes; 60 real seconds (100 min) count as on time.
    real.jumpTo('2026-11-30T13:05:00Z');
    real.advanceTo('2026-11-30T13:05:00.1Z');
    await scheduler.stop();

    // Assess
    expect(started.map((run) => run.name)).toEqual([
      'job-20270301T0000Z',
      'job-20270301T0700Z',
      'job-20270301T0800Z',
    ]);
    expect(log.lines.map((line) => line.message)).toEqual([
      'missed 6 runs of job between 2027-03-01T01:00:00.000Z and 2027-03-01T06:00:00.000Z; not replayed (set --catch-up to start the latest one late)',
    ]);
  });

  it('starts no run at or after --until and says when it has started the last one', async () => {
    // Prepare
    const { real, log, started, scheduler } = simulatedHarness(
      'cron(0 * * * ? *)',
      '2027-03-01T00:00:00Z',
      3600,
      { until: new Date('2027-03-01T03:00:00Z') },
    );
    await scheduler.start();

    // Act: 10 real seconds are 10 simulated hours.
    real.advanceTo('2026-11-30T13:00:10Z');
    await scheduler.stop();
    await Promise.resolve();

    // Assess
    expect(started.map((run) => run.name)).toEqual([
      'job-20270301T0000Z',
      'job-20270301T0100Z',
      'job-20270301T0200Z',
    ]);
    expect(log.lines.map((line) => line.message)).toEqual([
      'no runs left before 2027-03-01T03:00:00.000Z (--until); every start is done, no more runs are started',
    ]);
    expect(real.pendingTimerDelays()).toEqual([]);
  });
});
