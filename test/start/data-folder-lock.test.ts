import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useNpmStart } from '../support/npm-start.ts';
import { batchctl, isolatedEnv, NODE, REPO, spawnWithOutput } from '../support/processes.ts';

// Slow (real processes: npm start seeds a small database, then batchctl seed tries the same
// folder): a second process on a PGlite folder corrupted it beyond opening (issue 8, item 1).
describe('the embedded database folder has one owner at a time', () => {
  const npmStart = useNpmStart('sfn-batch-lock-', { SFN_BATCH_SEED_RECORDS: '200' });
  const { dataDir } = npmStart;

  it('refuses batchctl seed --reset while npm start runs, naming its pid, its database process and API endpoint', async () => {
    // Act
    const result = await batchctl(dataDir, ['seed', '--reset', '--records', '50']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `in use by the running local runtime (npm start): pid ${npmStart.process.child.pid}`,
    );
    expect(result.stderr).toContain('through its database process pid');
    expect(result.stderr).toContain('local/database/database-process.ts');
    expect(result.stderr).toContain(`Step Functions API ${npmStart.endpoint}`);
    expect(result.stdout).not.toContain('Seeded');
  }, 60_000);

  it('keeps serving the records to jobs after the refusal', async () => {
    // Act
    const result = await batchctl(dataDir, ['run', 'aggregate-record-stats-daily', '--wait']);

    // Assess
    expect(result.stdout).toMatch(/SUCCEEDED after/);
    expect(result.code).toBe(0);
    // The task reached the records with the password of this start; the terminal never shows it.
    expect(npmStart.process.output).toMatch(
      /served to tasks at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres/,
    );
  }, 60_000);

  it('lets the next command take over the lock of a runtime killed with SIGKILL, and the folder opens', async () => {
    // Prepare: npm start and its database process both killed at once (a power cut, kill -9 of
    // both): the database process's lock is left behind. (npm start alone SIGKILLed: its database
    // process closes and releases the lock itself, test/start/database-process.test.ts.)
    const { databasePid } = JSON.parse(readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as {
      databasePid: number;
    };
    process.kill(databasePid, 'SIGKILL');
    npmStart.process.child.kill('SIGKILL');
    await npmStart.process.exit;
    expect(existsSync(path.join(dataDir, 'pglite.lock'))).toBe(true);

    // Act
    const result = await batchctl(dataDir, ['seed', '--reset', '--records', '50']);

    // Assess
    expect(result.stderr).not.toContain('in use');
    expect(result.stdout).toContain('Seeded PGlite');
    expect(result.code).toBe(0);
    expect(existsSync(path.join(dataDir, 'pglite.lock'))).toBe(false);
  }, 120_000);

  it('opens the folder again after a seed --reset killed with SIGKILL while it writes records', async () => {
    // Prepare
    if (npmStart.process.child.exitCode === null) {
      npmStart.process.child.kill('SIGKILL');
      await npmStart.process.exit;
    }
    const seeding = spawnWithOutput(
      'batchctl seed',
      NODE,
      [path.join(REPO, 'cli', 'batchctl.ts'), 'seed', '--reset', '--records', '100000'],
      { cwd: REPO, env: isolatedEnv(dataDir, { SFN_BATCH_DATA_DIR: dataDir }) },
    );
    await seeding.waitForOutput('seed: records 5%', 120_000);

    // Act
    seeding.child.kill('SIGKILL');
    await seeding.exit;
    const result = await batchctl(dataDir, ['seed', '--reset', '--records', '50']);

    // Assess
    expect(result.stdout).toContain('Seeded PGlite');
    expect(result.code).toBe(0);
  }, 180_000);
});
