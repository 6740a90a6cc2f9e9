import { describe, expect, it } from 'vitest';
import { insert, insertRecord } from './fixtures.ts';
import { resultOf, runOk, snapshot, useSeededJobWorld } from './harness.ts';

// Each test starts the job as a child process two or three times (about a second each, more under load).
describe('reminders, digests and corrective actions (child process, PostgreSQL)', { timeout: 90_000 }, () => {
  const suite = useSeededJobWorld();

  const outbox = (kind: string) =>
    suite.env.db.query<{
      dedupe_key: string;
      workspace_id: number;
      recipient_ids: number[];
      payload: Record<string, unknown>;
    }>(
      // recipient_ids as integer[] because pg returns bigint[] elements as strings.
      'SELECT dedupe_key, workspace_id, recipient_ids::integer[] AS recipient_ids, payload FROM notification_outbox WHERE kind = $1 ORDER BY id',
      [kind],
    );

  it('reminds each site whose opening checklist is not yet submitted today, only where it is morning, once', async () => {
    const { tokyo, london, templates } = suite.world;
    // 08:00 in Tokyo on the 21st: Shinjuku is done, Shibuya is not; London's Camden is not.
    await insertRecord(suite.env.db, {
      workspace: tokyo.id,
      template: templates.tokyoOpening,
      site: tokyo.sites[0],
      createdAt: '2026-11-20T22:50:00Z',
      submittedAt: '2026-11-20T23:00:00Z',
    });
    const tokyoMorning = '2026-11-21T00:30:00Z'; // 09:30 in Tokyo, 00:30 in London
    const londonMorning = '2026-11-21T10:30:00Z'; // 19:30 in Tokyo, 10:30 in London

    const run = await runOk(suite.env, ['send-checklist-reminders', '--shift', 'opening'], {
      scheduledTime: tokyoMorning,
    });
    const rerun = await runOk(suite.env, ['send-checklist-reminders', '--shift', 'opening'], {
      scheduledTime: tokyoMorning,
    });
    const later = await runOk(suite.env, ['send-checklist-reminders', '--shift', 'opening'], {
      scheduledTime: londonMorning,
    });

    const { rows } = await outbox('checklist-reminder');
    expect(rows.map((row) => [row.workspace_id, row.payload.siteId, row.payload.templateId])).toEqual([
      [tokyo.id, tokyo.sites[1], templates.tokyoOpening],
      [london.id, london.sites[0], templates.londonOpening],
    ]);
    expect(rows[0]?.dedupe_key).toBe(
      `checklist-reminder:${templates.tokyoOpening}:${tokyo.sites[1]}:2026-11-20T15:00Z`,
    );
    expect(rows[0]?.recipient_ids).toEqual([tokyo.users.manager, tokyo.users.staff, tokyo.users.newcomer]);
    expect(rows[1]?.payload.deadline).toBe('2026-11-21T10:00:00+00:00');
    expect(resultOf(run)).toMatchObject({ missing: 1, enqueued: 1 });
    expect(resultOf(rerun)).toMatchObject({ missing: 1, enqueued: 0 });
    expect(resultOf(later)).toMatchObject({ missing: 1, enqueued: 1 });
  });

  it('reminds weekly checklists per ISO week and leaves sites that submitted this week alone', async () => {
    const { tokyo, templates } = suite.world;
    await insertRecord(suite.env.db, {
      workspace: tokyo.id,
      template: templates.tokyoCleaning,
      site: tokyo.sites[0],
      createdAt: '2026-11-17T01:00:00Z',
      submittedAt: '2026-11-17T01:00:00Z',
    });

    await runOk(suite.env, ['send-checklist-reminders', '--shift', 'weekly'], {
      scheduledTime: '2026-11-21T00:30:00Z',
    });

    const { rows } = await outbox('checklist-reminder');
    const weekly = rows.filter((row) => row.payload.cadence === 'weekly');
    expect(weekly.map((row) => row.dedupe_key)).toEqual([
      `checklist-reminder:${templates.tokyoCleaning}:${tokyo.sites[1]}:2026-11-15T15:00Z`,
    ]);
  });

  it('opens one corrective action per out-of-range temperature field in the lookback window, never twice', async () => {
    const { tokyo, templates } = suite.world;
    const fridge = (submittedAt: string, values: Record<string, number>) =>
      insertRecord(suite.env.db, {
        workspace: tokyo.id,
        template: templates.tokyoFridge,
        site: tokyo.sites[0],
        createdAt: submittedAt,
        submittedAt,
        values,
      });
    const inWindow = await fridge('2026-11-21T05:30:00Z', { fridge: 9, freezer: -20 });
    const earlier = await fridge('2026-11-21T04:00:00Z', { fridge: 10, freezer: -12 });
    await fridge('2026-11-21T05:40:00Z', { fridge: 4, freezer: -19 });
    const scheduledTime = '2026-11-21T06:00:00Z';

    const run = await runOk(suite.env, ['detect-temperature-excursions', '--lookback-minutes', '60'], {
      scheduledTime,
    });
    const wider = await runOk(suite.env, ['detect-temperature-excursions', '--lookback-minutes', '180'], {
      scheduledTime,
    });
    const again = await runOk(suite.env, ['detect-temperature-excursions', '--lookback-minutes', '180'], {
      scheduledTime,
    });

    const { rows } = await suite.env.db.query<{
      record_id: number;
      field_key: string;
      description: string;
      due_at: Date;
    }>(
      'SELECT record_id, field_key, description, due_at FROM corrective_actions ORDER BY record_id, field_key',
    );
    expect(rows.map((row) => [row.record_id, row.field_key])).toEqual(
      [
        [inWindow, 'fridge'],
        [earlier, 'freezer'],
        [earlier, 'fridge'],
      ].sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1]))),
    );
    const first = rows.find((row) => row.record_id === inWindow);
    expect(first?.description).toContain('冷蔵庫');
    expect(first?.due_at).toEqual(new Date('2026-11-22T05:30:00Z'));
    expect(resultOf(run)).toMatchObject({ created: 1 });
    expect(resultOf(wider)).toMatchObject({ created: 2 });
    expect(resultOf(again)).toMatchObject({ created: 0 });
  });

  it('escalates overdue unresolved corrective actions once, with one notification each', async () => {
    const { tokyo, templates } = suite.world;
    const recordId = await insertRecord(suite.env.db, {
      workspace: tokyo.id,
      template: templates.tokyoClosing,
      site: tokyo.sites[0],
      createdAt: '2026-11-18T12:00:00Z',
      submittedAt: '2026-11-18T12:00:00Z',
    });
    const action = (dueAt: string, resolvedAt: string | null) =>
      insert(
        suite.env.db,
        `INSERT INTO corrective_actions (record_id, workspace_id, description, due_at, resolved_at)
         VALUES ($1, $2, '施錠不備', $3, $4)`,
        [recordId, tokyo.id, dueAt, resolvedAt],
      );
    const overdue = await action('2026-11-19T00:00:00Z', null);
    await action('2026-11-22T00:00:00Z', null); // only 30 hours overdue
    await action('2026-11-18T00:00:00Z', '2026-11-18T06:00:00Z');
    const scheduledTime = '2026-11-23T06:00:00Z';

    const run = await runOk(suite.env, ['escalate-corrective-actions', '--overdue-hours', '48'], {
      scheduledTime,
    });
    const before = await snapshot(suite.env.db, 'corrective_actions', 'id');
    const rerun = await runOk(suite.env, ['escalate-corrective-actions', '--overdue-hours', '48'], {
      scheduledTime,
    });

    const { rows } = await suite.env.db.query<{ id: number }>(
      'SELECT id FROM corrective_actions WHERE escalated_at IS NOT NULL ORDER BY id',
    );
    expect(rows.map((row) => row.id)).toEqual([overdue]);
    const { rows: sent } = await outbox('corrective-action-escalation');
    expect(sent).toEqual([
      expect.objectContaining({
        dedupe_key: `corrective-action-escalation:${overdue}`,
        recipient_ids: [tokyo.users.owner, tokyo.users.admin, tokyo.users.manager],
      }),
    ]);
    expect(resultOf(run)).toMatchObject({ escalated: 1, notifications: 1 });
    expect(resultOf(rerun)).toMatchObject({ escalated: 0 });
    expect(await snapshot(suite.env.db, 'corrective_actions', 'id')).toEqual(before);
  });

  it('enqueues one digest of the previous ISO week per workspace, to owners and admins, once', async () => {
    const { tokyo, london, templates } = suite.world;
    const opening = (createdAt: string, submittedAt: string) =>
      insertRecord(suite.env.db, {
        workspace: london.id,
        template: templates.londonOpening,
        site: london.sites[0],
        createdAt,
        submittedAt,
      });
    await opening('2026-11-16T07:00:00Z', '2026-11-16T07:30:00Z');
    await opening('2026-11-17T07:00:00Z', '2026-11-17T11:00:00Z'); // after the 10:00 deadline
    await opening('2026-11-23T07:00:00Z', '2026-11-23T07:10:00Z'); // next week
    const scheduledTime = '2026-11-24T08:00:00Z';

    const run = await runOk(suite.env, ['send-weekly-digest'], { scheduledTime });
    const rerun = await runOk(suite.env, ['send-weekly-digest'], { scheduledTime });

    const { rows } = await outbox('weekly-digest');
    expect(rows.map((row) => row.dedupe_key)).toEqual([
      `weekly-digest:${tokyo.id}:2026-11-16`,
      `weekly-digest:${london.id}:2026-11-16`,
    ]);
    expect(rows[1]).toMatchObject({
      recipient_ids: [london.users.owner],
      payload: { weekStart: '2026-11-16', recordsSubmitted: 2, late: 1, outOfRangeTemperatures: 0 },
    });
    const tokyoWeek = await suite.env.db.query<{ n: number }>(
      `SELECT count(*)::integer AS n FROM records WHERE workspace_id = $1 AND status = 'submitted' AND deleted_at IS NULL
       AND submitted_at >= '2026-11-15T15:00:00Z' AND submitted_at < '2026-11-22T15:00:00Z'`,
      [tokyo.id],
    );
    expect(rows[0]?.payload).toMatchObject({
      recordsSubmitted: tokyoWeek.rows[0]?.n,
      outOfRangeTemperatures: 3,
    });
    expect(resultOf(run)).toMatchObject({ enqueued: 2 });
    expect(resultOf(rerun)).toMatchObject({ enqueued: 0 });
  });
});
