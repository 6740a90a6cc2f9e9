import { beforeAll, describe, expect, it } from 'vitest';
import { insertRecord } from './fixtures.ts';
import { resultOf, runOk, snapshot, useSeededJobWorld } from './harness.ts';

// 09:30 in Tokyo on Saturday 2026-11-21, 00:30 in London: "yesterday" is 2026-11-20 in both
// zones, but it covers different UTC instants.
const SCHEDULED = '2026-11-21T00:30:00Z';

// Each test starts the job as a child process two or three times (about a second each, more under load).
describe('aggregate-record-stats (child process, PostgreSQL)', { timeout: 90_000 }, () => {
  const suite = useSeededJobWorld();

  beforeAll(async () => {
    const { tokyo, london, templates: t } = suite.world;
    const [shinjuku, shibuya] = tokyo.sites;
    await insertRecord(suite.env.db, {
      workspace: tokyo.id,
      template: t.tokyoOpening,
      site: shinjuku,
      createdAt: '2026-11-19T22:30:00Z',
      submittedAt: '2026-11-19T23:00:00Z', // 08:00 JST: before the 10:00 deadline
    });
    await insertRecord(suite.env.db, {
      workspace: tokyo.id,
      template: t.tokyoOpening,
      site: shibuya,
      createdAt: '2026-11-19T23:30:00Z',
      submittedAt: '2026-11-20T02:00:00Z', // 11:00 JST: late
    });
    await insertRecord(suite.env.db, {
      workspace: tokyo.id,
      template: t.tokyoFridge,
      site: shinjuku,
      createdAt: '2026-11-20T03:00:00Z',
      submittedAt: '2026-11-20T03:00:00Z',
      values: { fridge: 8, freezer: -20 },
    });
    await insertRecord(suite.env.db, {
      workspace: tokyo.id,
      template: t.tokyoFridge,
      site: shinjuku,
      createdAt: '2026-11-20T09:00:00Z',
      submittedAt: '2026-11-20T09:00:00Z',
      values: { fridge: 3, freezer: -10 },
    });
    await insertRecord(suite.env.db, {
      workspace: tokyo.id,
      template: t.tokyoFridge,
      site: shinjuku,
      deletedAt: '2026-11-20T10:00:00Z',
      createdAt: '2026-11-20T09:30:00Z',
      submittedAt: '2026-11-20T09:30:00Z',
      values: { fridge: 30 },
    });
    await insertRecord(suite.env.db, {
      workspace: tokyo.id,
      template: t.tokyoOpening,
      site: shinjuku,
      createdAt: '2026-11-20T16:00:00Z',
      submittedAt: '2026-11-20T16:00:00Z', // 01:00 JST on the 21st
    });
    await insertRecord(suite.env.db, {
      workspace: tokyo.id,
      template: t.tokyoOpening,
      site: shinjuku,
      createdAt: '2026-11-20T05:00:00Z', // a draft
    });
    await insertRecord(suite.env.db, {
      workspace: london.id,
      template: t.londonOpening,
      site: london.sites[0],
      createdAt: '2026-11-20T07:00:00Z',
      submittedAt: '2026-11-20T07:30:00Z',
    });
    await insertRecord(suite.env.db, {
      workspace: london.id,
      template: t.londonOpening,
      site: london.sites[0],
      createdAt: '2026-11-20T23:30:00Z',
      submittedAt: '2026-11-20T23:45:00Z', // still the 20th in London
    });
  });

  it('rolls up yesterday per workspace time zone, template and site, with on-time, late and out-of-range counts', async () => {
    const run = await runOk(suite.env, ['aggregate-record-stats', '--granularity', 'daily'], {
      scheduledTime: SCHEDULED,
    });

    const { rows } = await suite.env.db.query(
      `SELECT workspace_id, template_id, site_id, period_start, submitted_count, on_time_count, late_count,
              temperature_readings, out_of_range_count
       FROM record_stats WHERE granularity = 'daily' ORDER BY workspace_id, template_id, site_id`,
    );
    const { tokyo, london, templates: t } = suite.world;
    expect(rows).toEqual([
      {
        workspace_id: tokyo.id,
        template_id: t.tokyoOpening,
        site_id: tokyo.sites[0],
        period_start: '2026-11-20',
        submitted_count: 1,
        on_time_count: 1,
        late_count: 0,
        temperature_readings: 0,
        out_of_range_count: 0,
      },
      {
        workspace_id: tokyo.id,
        template_id: t.tokyoOpening,
        site_id: tokyo.sites[1],
        period_start: '2026-11-20',
        submitted_count: 1,
        on_time_count: 0,
        late_count: 1,
        temperature_readings: 0,
        out_of_range_count: 0,
      },
      {
        workspace_id: tokyo.id,
        template_id: t.tokyoFridge,
        site_id: tokyo.sites[0],
        period_start: '2026-11-20',
        submitted_count: 2,
        on_time_count: 2,
        late_count: 0,
        temperature_readings: 4,
        out_of_range_count: 2,
      },
      {
        workspace_id: london.id,
        template_id: t.londonOpening,
        site_id: london.sites[0],
        period_start: '2026-11-20',
        submitted_count: 2,
        on_time_count: 1,
        late_count: 1,
        temperature_readings: 0,
        out_of_range_count: 0,
      },
    ]);
    expect(resultOf(run)).toMatchObject({ workspaces: 2, groups: 4, records: 6, written: 4, removed: 0 });
  });

  it('changes nothing when rerun for the same scheduled time', async () => {
    const before = await snapshot(
      suite.env.db,
      'record_stats',
      'granularity, workspace_id, template_id, site_id',
    );

    const run = await runOk(suite.env, ['aggregate-record-stats', '--granularity', 'daily'], {
      scheduledTime: SCHEDULED,
    });

    expect(
      await snapshot(suite.env.db, 'record_stats', 'granularity, workspace_id, template_id, site_id'),
    ).toEqual(before);
    expect(resultOf(run)).toMatchObject({ written: 0, removed: 0 });
  });

  it('drops a group whose records were deleted since the last run', async () => {
    await suite.env.db.query(
      `UPDATE records SET deleted_at = '2026-11-21T00:00:00Z' WHERE template_id = $1 AND site_id = $2`,
      [suite.world.templates.tokyoOpening, suite.world.tokyo.sites[1]],
    );

    await runOk(suite.env, ['aggregate-record-stats', '--granularity', 'daily'], {
      scheduledTime: SCHEDULED,
    });

    const { rows } = await suite.env.db.query(
      'SELECT count(*)::integer AS n FROM record_stats WHERE site_id = $1',
      [suite.world.tokyo.sites[1]],
    );
    expect(rows[0]).toEqual({ n: 0 });
  });

  /** Runs the roll-up of `granularity` at `scheduledTime`; its submitted counts per workspace and period. */
  async function rollUp(granularity: 'weekly' | 'monthly', scheduledTime: string) {
    await runOk(suite.env, ['aggregate-record-stats', '--granularity', granularity], { scheduledTime });
    const { rows } = await suite.env.db.query(
      `SELECT workspace_id, period_start, sum(submitted_count)::integer AS submitted FROM record_stats
       WHERE granularity = $1 GROUP BY 1, 2 ORDER BY 1`,
      [granularity],
    );
    return rows;
  }

  it('rolls up the previous local month for monthly granularity', async () => {
    expect(await rollUp('monthly', '2026-12-01T00:30:00Z')).toEqual([
      { workspace_id: suite.world.tokyo.id, period_start: '2026-11-01', submitted: 4 },
      { workspace_id: suite.world.london.id, period_start: '2026-11-01', submitted: 2 },
    ]);
  });

  it('rolls up the previous ISO week, Monday to Sunday in each workspace time zone', async () => {
    // Monday 09:30 in Tokyo, Monday 00:30 in London: the week of 16 to 22 November is complete in both.
    expect(await rollUp('weekly', '2026-11-23T00:30:00Z')).toEqual([
      { workspace_id: suite.world.tokyo.id, period_start: '2026-11-16', submitted: 4 },
      { workspace_id: suite.world.london.id, period_start: '2026-11-16', submitted: 2 },
    ]);
  });
});
