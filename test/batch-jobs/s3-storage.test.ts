import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStorage } from '#lib/storage/index.ts';
import { openStorage } from '#lib/storage/index.ts';
import { startTestS3 } from '../support/s3rver.ts';
import { insert, seedWorld, type World } from './fixtures.ts';
import { type JobWorld, openJobWorld, resultOf, runOk } from './harness.ts';

const SCHEDULED = '2026-11-21T18:00:00Z';

// The container configured for S3 only through its environment, as on Fargate, against
// s3rver (an S3-compatible server from npm) on 127.0.0.1.
describe('storage jobs on S3 (child process, s3rver)', { timeout: 90_000 }, () => {
  let env: JobWorld;
  let world: World;
  let s3: ObjectStorage;
  let s3Env: Record<string, string>;
  let close: () => Promise<void>;

  beforeAll(async () => {
    env = await openJobWorld();
    world = await seedWorld(env.db);
    const server = await startTestS3();
    s3 = openStorage({ url: `s3://${server.bucket}/prod`, s3Client: server.client });
    s3Env = { ...server.environment, SFN_BATCH_STORAGE_URL: `s3://${server.bucket}/prod` };
    close = () => server.close();
  });
  afterAll(async () => {
    await close?.();
    await env?.dispose();
  });

  it('archives audit logs to S3 and merges a rerun without duplicate lines', async () => {
    for (const at of ['2026-06-01T01:00:00Z', '2026-06-01T02:00:00Z']) {
      await env.db.query(
        `INSERT INTO audit_logs (workspace_id, action, entity_type, at, detail) VALUES ($1, 'record.updated', 'record', $2, '{"by":"検査員"}')`,
        [world.tokyo.id, at],
      );
    }

    const run = await runOk(env, ['archive-audit-logs', '--older-than-days', '90'], {
      scheduledTime: SCHEDULED,
      env: s3Env,
    });
    await env.db.query(
      `INSERT INTO audit_logs (workspace_id, action, entity_type, at) VALUES ($1, 'record.late', 'record', '2026-06-01T03:00:00Z')`,
      [world.tokyo.id],
    );
    await runOk(env, ['archive-audit-logs', '--older-than-days', '90'], {
      scheduledTime: SCHEDULED,
      env: s3Env,
    });

    expect(resultOf(run)).toMatchObject({ days: 1, lines: 2 });
    const lines = gunzipSync(await s3.getObject('audit-archive/2026/06/01.jsonl.gz'))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string; detail: unknown });
    expect(lines.map((line) => line.action)).toEqual(['record.updated', 'record.updated', 'record.late']);
    expect(lines[0]?.detail).toEqual({ by: '検査員' });
    expect((await s3.list('audit-archive/')).map((object) => object.key)).toEqual([
      'audit-archive/2026/06/01.jsonl.gz',
    ]);
  });

  it('deletes expired export files from S3 and keeps recent ones', async () => {
    await env.db.query(
      `INSERT INTO export_runs (run_id, job, frequency, period_label, period_start, period_end)
       VALUES ('run-s3', 'export-monthly', 'monthly', '2026-07', '2026-07-01', '2026-08-01')`,
    );
    for (const [label, updatedAt] of [
      ['2026-07', '2026-08-01T03:00:00Z'],
      ['2026-10', '2026-11-01T03:00:00Z'],
    ] as const) {
      const key = `exports/${world.tokyo.id}/${world.templates.tokyoFridge}/${label}.xlsx`;
      await s3.putObject(key, 'xlsx');
      await insert(
        env.db,
        `INSERT INTO export_targets (run_id, workspace_id, template_id, period_label, period_start, period_end,
                                     object_key, status, bytes, updated_at)
         VALUES ('run-s3', $1, $2, $3, '2026-07-01', '2026-08-01', $4, 'done', 4, $5) RETURNING target_id AS id --`,
        [world.tokyo.id, world.templates.tokyoFridge, label, key, updatedAt],
      );
    }

    await runOk(env, ['cleanup-expired-exports', '--retention-days', '90'], {
      scheduledTime: SCHEDULED,
      env: s3Env,
    });

    expect((await s3.list('exports/')).map((object) => object.key)).toEqual([
      `exports/${world.tokyo.id}/${world.templates.tokyoFridge}/2026-10.xlsx`,
    ]);
  });
});
