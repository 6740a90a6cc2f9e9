import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '#lib/db/index.ts';
import { servePglite } from '#lib/db/serve-pglite.ts';
import { insertRecord, seedWorld } from './fixtures.ts';
import { resultOf, runContainer, runOk, useSeededJobWorld } from './harness.ts';

const SCHEDULED = '2026-11-21T18:00:00Z';

// Each test starts the job as a child process two or three times (about a second each, more under load).
describe('batch-jobs process contract', { timeout: 90_000 }, () => {
  const suite = useSeededJobWorld();

  it('exits 2 and lists the valid commands for an unknown command', async () => {
    const run = await runContainer(suite.env, ['purge-everything'], { scheduledTime: SCHEDULED });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "purge-everything"');
    expect(run.stderr).toContain('purge-deleted-records');
    expect(run.stderr).toContain('refresh-search-index');
  });

  it('exits 2 naming the flag and an example for a bad flag value', async () => {
    const run = await runContainer(suite.env, ['purge-deleted-records', '--retention-days', 'soon'], {
      scheduledTime: SCHEDULED,
    });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--retention-days');
    expect(run.stderr).toContain('"soon"');
    expect(run.stderr).toContain('example: purge-deleted-records --retention-days 30');
  });

  it('exits 2 with the field and an example when SFN_BATCH_INPUT is invalid', async () => {
    const run = await runContainer(suite.env, ['expire-share-links'], {
      scheduledTime: SCHEDULED,
      rawInput: JSON.stringify({ job: 'expire-share-links', scheduledTime: 'tomorrow', params: {} }),
    });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('SFN_BATCH_INPUT is invalid');
    expect(run.stderr).toContain('executionArn');
    expect(run.stderr).toContain('scheduledTime');
    expect(run.stderr).toContain('example: {"job"');
  });

  it('exits 1 with a clear message when PostgreSQL is unreachable', async () => {
    const run = await runContainer(
      { url: 'postgres://postgres@127.0.0.1:1/nothing', dataDir: suite.env.dataDir },
      ['expire-share-links'],
      { scheduledTime: SCHEDULED },
    );

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot connect to PostgreSQL at 127.0.0.1:1/nothing');
    expect(run.stderr).toContain('is it running? set DATABASE_URL');
  });

  it('logs JSON lines that all carry the job name and the execution ARN, and records the run in the ledger', async () => {
    const run = await runOk(suite.env, ['expire-share-links'], { scheduledTime: SCHEDULED });

    expect(run.logs.length).toBeGreaterThan(1);
    const executionArn = run.logs[0]?.executionArn;
    expect(executionArn).toMatch(/^arn:aws:states:/);
    for (const line of run.logs) {
      expect(line).toMatchObject({ job: 'expire-share-links-test', executionArn, service: 'batch-jobs' });
    }
    const { rows } = await suite.env.db.query(
      'SELECT status, command FROM batch_job_runs WHERE execution_arn = $1',
      [executionArn],
    );
    expect(rows).toEqual([{ status: 'succeeded', command: 'expire-share-links' }]);
  });

  it('exits 1, logs the cause and records a failed run when the job itself fails', async () => {
    await suite.env.db.query(
      `INSERT INTO audit_logs (workspace_id, action, entity_type, at) VALUES ($1, 'record.created', 'record', '2026-01-05T10:00:00Z')`,
      [suite.world.tokyo.id],
    );
    await suite.env.storage.putObject('audit-archive/2026/01/05.jsonl.gz', gzipSync('{"no":"id"}\n'));

    const run = await runContainer(suite.env, ['archive-audit-logs', '--older-than-days', '90'], {
      scheduledTime: SCHEDULED,
    });

    expect(run.code).toBe(1);
    const failure = run.logs.find((line) => line.message === 'job failed');
    expect(JSON.stringify(failure?.error)).toContain(
      'audit-archive/2026/01/05.jsonl.gz has a line without a numeric id',
    );
    const { rows } = await suite.env.db.query(
      `SELECT status FROM batch_job_runs WHERE command = 'archive-audit-logs'`,
    );
    expect(rows).toEqual([{ status: 'failed' }]);
    const kept = await suite.env.db.query(
      `SELECT count(*)::integer AS n FROM audit_logs WHERE at < '2026-01-06'`,
    );
    expect(kept.rows).toEqual([{ n: 1 }]);
  });

  it('exits 143 within the stop grace period when SIGTERM finds the job blocked inside one statement', async () => {
    const blocker = new pg.Client({ connectionString: suite.env.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE records IN ACCESS EXCLUSIVE MODE');
    try {
      let job: { kill(signal: NodeJS.Signals): boolean } | undefined;
      const running = runContainer(suite.env, ['analyze-tables'], {
        scheduledTime: SCHEDULED,
        env: { SFN_BATCH_STOP_GRACE_MS: '300' },
        onLog: (line, child) => {
          if (line.message === 'job starting') job = child;
        },
      });
      // Wait until the job's ANALYZE is queued behind the lock, then stop it.
      for (let waited = 0; ; waited++) {
        // Polled outside the blocker's transaction: pg_stat_activity is a snapshot per transaction.
        const { rows } = await suite.env.db.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND query LIKE 'ANALYZE records%'`,
        );
        if (rows.length > 0 && job) break;
        if (waited > 300) throw new Error('analyze-tables never blocked on the lock');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      job.kill('SIGTERM');
      const run = await running;

      expect(run.code).toBe(143);
      expect(run.logs.map((line) => line.message)).toContain(
        'job did not stop within the grace period; exiting',
      );
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
  });

  it('stops at a batch boundary on SIGTERM, exits 143 and leaves every purged record audited', async () => {
    const { tokyo, templates } = suite.world;
    await suite.env.db.query(
      `INSERT INTO records (workspace_id, template_id, site_id, status, created_at, updated_at, deleted_at)
       SELECT $1, $2, $3, 'draft', '2026-01-01', '2026-01-01', '2026-02-01' FROM generate_series(1, 3000)`,
      [tokyo.id, templates.tokyoOpening, tokyo.sites[0]],
    );
    const argv = ['purge-deleted-records', '--retention-days', '30', '--batch-size', '10'];
    let signalled = false;

    const run = await runContainer(suite.env, argv, {
      scheduledTime: SCHEDULED,
      onLog: (line, child) => {
        if (line.message === 'batch committed' && !signalled) {
          signalled = true;
          child.kill('SIGTERM');
        }
      },
    });

    expect(run.code).toBe(143);
    expect(run.logs.some((line) => line.message === 'job interrupted')).toBe(true);
    const remaining = await suite.env.db.query<{ n: number }>('SELECT count(*)::integer AS n FROM records');
    const audited = await suite.env.db.query<{ n: number; still_present: number }>(
      `SELECT count(*)::integer AS n,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM records r WHERE r.id = a.id::bigint))::integer AS still_present
       FROM audit_logs, jsonb_array_elements_text(detail -> 'recordIds') AS a(id) WHERE action = 'records.purged'`,
    );
    const purged = 3000 - (remaining.rows[0]?.n ?? 0);
    expect(purged).toBeGreaterThan(0);
    expect(purged).toBeLessThan(3000);
    expect(purged % 10).toBe(0);
    expect(audited.rows[0]).toEqual({ n: purged, still_present: 0 });
    const ledger = await suite.env.db.query(
      `SELECT status FROM batch_job_runs WHERE command = 'purge-deleted-records'`,
    );
    expect(ledger.rows).toEqual([{ status: 'interrupted' }]);

    const rerun = await runOk(
      suite.env,
      ['purge-deleted-records', '--retention-days', '30', '--batch-size', '1000'],
      {
        scheduledTime: SCHEDULED,
      },
    );

    expect(resultOf(rerun)).toMatchObject({ records: 3000 - purged });
    const after = await suite.env.db.query<{ n: number }>(
      `SELECT count(*)::integer AS n FROM audit_logs, jsonb_array_elements(detail -> 'recordIds')
       WHERE action = 'records.purged'`,
    );
    expect(after.rows[0]?.n).toBe(3000);
  });
});

describe('batch-jobs against the embedded database served over the wire (servePglite)', () => {
  it('runs a job in a child process against PGlite', async () => {
    const db = await openDatabase({ dataDir: 'memory://' });
    const dataDir = await mkdtemp(join(tmpdir(), 'sfn-jobs-pglite-'));
    const server = await (async () => {
      await migrate(db);
      const world = await seedWorld(db);
      await insertRecord(db, {
        workspace: world.tokyo.id,
        template: world.templates.tokyoFridge,
        site: world.tokyo.sites[0],
        createdAt: '2026-11-21T17:50:00Z',
        submittedAt: '2026-11-21T17:50:00Z',
        values: { fridge: 9, freezer: -30 },
      });
      return servePglite(db);
    })();
    try {
      const run = await runContainer(
        { url: server.url, dataDir },
        ['detect-temperature-excursions', '--lookback-minutes', '30'],
        { scheduledTime: SCHEDULED },
      );

      expect(run.code, run.stderr).toBe(0);
      const { rows } = await db.query('SELECT field_key FROM corrective_actions ORDER BY field_key');
      expect(rows).toEqual([{ field_key: 'freezer' }, { field_key: 'fridge' }]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
      await server.close();
      await db.close();
    }
  }, 120_000); // opening an embedded PGlite takes seconds, more on a loaded machine
});
