import { beforeAll, describe, expect, it } from 'vitest';
import { insert, insertRecord } from './fixtures.ts';
import { resultOf, runOk, snapshot, useSeededJobWorld } from './harness.ts';

// Each test starts the job as a child process two or three times (about a second each, more under load).
describe('usage metering, invoices, compliance and search (child process, PostgreSQL)', {
  timeout: 90_000,
}, () => {
  const suite = useSeededJobWorld();

  beforeAll(async () => {
    const { tokyo, templates } = suite.world;
    const [shinjuku] = tokyo.sites;
    const submit = (template: number, createdAt: string, submittedAt: string, user: number, values = {}) =>
      insertRecord(suite.env.db, {
        workspace: tokyo.id,
        template,
        site: shinjuku,
        user,
        createdAt,
        submittedAt,
        values,
      });
    // November (Tokyo): four records by two people, one photo. October: one record.
    await submit(templates.tokyoOpening, '2026-11-17T22:00:00Z', '2026-11-17T22:30:00Z', tokyo.users.staff, {
      note: 'シンク清掃済み',
      area: '厨房',
    }); // 07:30 JST on the 18th: on time
    await submit(templates.tokyoOpening, '2026-11-18T23:00:00Z', '2026-11-19T02:00:00Z', tokyo.users.staff); // 11:00 JST: late
    const fridge = await submit(
      templates.tokyoFridge,
      '2026-11-18T03:00:00Z',
      '2026-11-18T03:05:00Z',
      tokyo.users.manager,
      { fridge: 4, freezer: -20 },
    );
    await submit(templates.tokyoFridge, '2026-11-18T08:00:00Z', '2026-11-18T08:05:00Z', tokyo.users.manager);
    await submit(templates.tokyoOpening, '2026-10-10T00:00:00Z', '2026-10-10T00:10:00Z', tokyo.users.staff);
    await insert(
      suite.env.db,
      `INSERT INTO record_photos (record_id, workspace_id, field_key, object_key, bytes, created_at)
       VALUES ($1, $2, 'photo', 'photos/x.jpg', 1000, '2026-11-10T00:00:00Z')`,
      [fridge, tokyo.id],
    );
    await insertRecord(suite.env.db, {
      workspace: tokyo.id,
      template: templates.tokyoOpening,
      site: shinjuku,
      createdAt: '2026-11-18T00:00:00Z', // draft
    });
  });

  it('issues invoices for the previous month from the usage meter (metering first when needed), once', async () => {
    const scheduledTime = '2026-12-01T00:30:00Z';

    const run = await runOk(suite.env, ['generate-usage-invoices'], { scheduledTime });
    await suite.env.db.query(
      `UPDATE users SET last_login_at = '2026-11-25T00:00:00Z' WHERE workspace_id = $1`,
      [suite.world.london.id],
    );
    const rerun = await runOk(suite.env, ['generate-usage-invoices'], { scheduledTime });

    const { rows } = await suite.env.db.query(
      'SELECT workspace_id, period_start, plan, total_amount FROM invoices ORDER BY workspace_id',
    );
    expect(rows).toEqual([
      // standard: 9,800 base + 2 active users x 500
      {
        workspace_id: suite.world.tokyo.id,
        period_start: '2026-11-01',
        plan: 'standard',
        total_amount: 10800,
      },
      // pro: 29,800 base + 1 active user (the owner logged in) x 400
      { workspace_id: suite.world.london.id, period_start: '2026-11-01', plan: 'pro', total_amount: 30200 },
    ]);
    expect(resultOf(run)).toMatchObject({ metered: 2, issued: 2 });
    expect(resultOf(rerun)).toMatchObject({ metered: 0, issued: 0 });
  });

  it('meters records, photos, storage and active users per workspace for the previous local month and day', async () => {
    await runOk(suite.env, ['meter-usage', '--granularity', 'monthly'], {
      scheduledTime: '2026-12-01T00:30:00Z',
    });
    await runOk(suite.env, ['meter-usage', '--granularity', 'daily'], {
      scheduledTime: '2026-11-19T00:30:00Z',
    });
    const before = await snapshot(suite.env.db, 'usage_meter', 'granularity, period_start, workspace_id');
    await runOk(suite.env, ['meter-usage', '--granularity', 'daily'], {
      scheduledTime: '2026-11-19T00:30:00Z',
    });

    const { rows } = await suite.env.db.query(
      `SELECT granularity, period_start, workspace_id, records_submitted, photos_uploaded, storage_bytes, active_users
       FROM usage_meter ORDER BY granularity, workspace_id`,
    );
    expect(rows).toEqual([
      // Tokyo's 18th: the on-time opening check and both fridge checks; 03:05Z and 08:05Z.
      {
        granularity: 'daily',
        period_start: '2026-11-18',
        workspace_id: suite.world.tokyo.id,
        records_submitted: 3,
        photos_uploaded: 0,
        storage_bytes: 1000,
        active_users: 2,
      },
      {
        granularity: 'daily',
        period_start: '2026-11-18',
        workspace_id: suite.world.london.id,
        records_submitted: 0,
        photos_uploaded: 0,
        storage_bytes: 0,
        active_users: 0,
      },
      // London's login on the 25th happened after its invoice; the monthly rerun updates the meter, not the invoice.
      {
        granularity: 'monthly',
        period_start: '2026-11-01',
        workspace_id: suite.world.tokyo.id,
        records_submitted: 4,
        photos_uploaded: 1,
        storage_bytes: 1000,
        active_users: 2,
      },
      {
        granularity: 'monthly',
        period_start: '2026-11-01',
        workspace_id: suite.world.london.id,
        records_submitted: 0,
        photos_uploaded: 0,
        storage_bytes: 0,
        active_users: 2,
      },
    ]);
    expect(await snapshot(suite.env.db, 'usage_meter', 'granularity, period_start, workspace_id')).toEqual(
      before,
    );
  });

  it('scores each site by due windows met on time over the last N local days', async () => {
    const scheduledTime = '2026-11-21T00:30:00Z'; // window: Tokyo days 14th to 20th

    const run = await runOk(suite.env, ['compute-compliance-scores', '--window-days', '7'], {
      scheduledTime,
    });
    const before = await snapshot(suite.env.db, 'compliance_scores', 'site_id');
    await runOk(suite.env, ['compute-compliance-scores', '--window-days', '7'], { scheduledTime });

    const { rows } = await suite.env.db.query(
      `SELECT site_id, window_end, expected, submitted_on_time, submitted_late, score
       FROM compliance_scores ORDER BY site_id`,
    );
    const [shinjuku, shibuya] = suite.world.tokyo.sites;
    expect(rows).toEqual([
      // 3 daily checklists x 7 days; the weekly and monthly ones have no whole window inside.
      // Met on time: opening on the 18th, fridge on the 18th (two records, one window). Late: opening on the 19th.
      {
        site_id: shinjuku,
        window_end: '2026-11-21',
        expected: 21,
        submitted_on_time: 2,
        submitted_late: 1,
        score: 0.0952,
      },
      {
        site_id: shibuya,
        window_end: '2026-11-21',
        expected: 21,
        submitted_on_time: 0,
        submitted_late: 0,
        score: 0,
      },
      {
        site_id: suite.world.london.sites[0],
        window_end: '2026-11-21',
        expected: 7,
        submitted_on_time: 0,
        submitted_late: 0,
        score: 0,
      },
    ]);
    expect(resultOf(run)).toMatchObject({ sites: 3, written: 3 });
    expect(await snapshot(suite.env.db, 'compliance_scores', 'site_id')).toEqual(before);
  });

  it('indexes submitted records changed since the watermark and drops deleted ones from the index', async () => {
    const first = await runOk(suite.env, ['refresh-search-index', '--batch-size', '2'], {
      scheduledTime: '2026-11-30T00:00:00Z',
    });
    const before = await snapshot(suite.env.db, 'record_search', 'record_id');
    const rerun = await runOk(suite.env, ['refresh-search-index'], { scheduledTime: '2026-11-30T00:00:00Z' });

    const { rows } = await suite.env.db.query<{ record_id: number }>(
      `SELECT record_id FROM record_search WHERE document @@ to_tsquery('simple', 'シンク清掃済み & 厨房 & 新宿店')`,
    );
    expect(rows).toHaveLength(1);
    const indexed = await suite.env.db.query<{ n: number }>(
      'SELECT count(*)::integer AS n FROM record_search',
    );
    expect(indexed.rows[0]?.n).toBe(5); // the five submitted records; the draft stays out
    expect(resultOf(first)).toMatchObject({ changed: 6, indexed: 5 });
    expect(resultOf(rerun)).toMatchObject({ changed: 0 });
    expect(await snapshot(suite.env.db, 'record_search', 'record_id')).toEqual(before);

    await suite.env.db.query(
      `UPDATE records SET deleted_at = '2026-12-01T00:00:00Z', updated_at = '2026-12-01T00:00:00Z' WHERE id = $1`,
      [rows[0]?.record_id],
    );
    const later = await runOk(suite.env, ['refresh-search-index'], { scheduledTime: '2026-12-02T00:00:00Z' });

    expect(resultOf(later)).toMatchObject({ changed: 1, removed: 1 });
    const after = await suite.env.db.query('SELECT 1 FROM record_search WHERE record_id = $1', [
      rows[0]?.record_id,
    ]);
    expect(after.rows).toEqual([]);

    // A soft deletion that left updated_at alone is still swept out of the index.
    const { rows: other } = await suite.env.db.query<{ record_id: number }>(
      'SELECT record_id FROM record_search LIMIT 1',
    );
    await suite.env.db.query(`UPDATE records SET deleted_at = '2026-12-01T00:00:00Z' WHERE id = $1`, [
      other[0]?.record_id,
    ]);
    const sweep = await runOk(suite.env, ['refresh-search-index'], { scheduledTime: '2026-12-02T00:00:00Z' });

    expect(resultOf(sweep)).toMatchObject({ changed: 0, removed: 1 });
    const gone = await suite.env.db.query('SELECT 1 FROM record_search WHERE record_id = $1', [
      other[0]?.record_id,
    ]);
    expect(gone.rows).toEqual([]);
  });

  it('meters a 25-hour local day when London leaves summer time', async () => {
    const { london, templates } = suite.world;
    const submit = (at: string) =>
      insertRecord(suite.env.db, {
        workspace: london.id,
        template: templates.londonOpening,
        site: london.sites[0],
        createdAt: at,
        submittedAt: at,
      });
    await submit('2026-10-24T22:30:00Z'); // 23:30 BST on the 24th
    await submit('2026-10-24T23:30:00Z'); // 00:30 BST on the 25th
    await submit('2026-10-25T23:30:00Z'); // 23:30 GMT on the 25th, 25 hours after local midnight

    await runOk(suite.env, ['meter-usage', '--granularity', 'daily'], {
      scheduledTime: '2026-10-26T06:00:00Z',
    });

    const { rows } = await suite.env.db.query(
      `SELECT records_submitted FROM usage_meter WHERE granularity = 'daily' AND period_start = '2026-10-25'
       AND workspace_id = $1`,
      [london.id],
    );
    expect(rows).toEqual([{ records_submitted: 2 }]);
  });
});
