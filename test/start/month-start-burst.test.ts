import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type OutputProcess, startNpmStart } from '../support/processes.ts';

const DUE_AT_MONTH_START = ['expire-share-links', 'export-monthly-records', 'meter-usage-monthly'];
const DUE_FIVE_MINUTES_LATER = 'aggregate-record-stats-daily';

// Slow (the whole runtime in a child process, real jobs and the real export): `--at` shows the
// month-start burst without waiting for December.
describe('npm start --at on a month start', () => {
  let dataDir: string;
  let runtime: OutputProcess | undefined;

  afterAll(() => {
    if (runtime && runtime.child.exitCode === null) runtime.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts every selected job due at 2026-12-01 00:00 Tokyo, and they succeed', async () => {
    // Prepare
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-burst-'));
    const burst = startNpmStart(
      dataDir,
      [
        '--port',
        '0',
        '--at',
        '2026-12-01T00:00:00+09:00',
        '--only',
        [...DUE_AT_MONTH_START, DUE_FIVE_MINUTES_LATER].join(','),
      ],
      { SFN_BATCH_SEED_RECORDS: '500' },
    );
    runtime = burst;

    // Act
    const allSucceeded = () =>
      DUE_AT_MONTH_START.every((job) =>
        burst.output.includes(`SUCCEEDED ${job.padEnd(36)} ${job}-20261130T1500Z`),
      );
    await burst.waitWhileRunning(allSucceeded, 200);
    burst.child.kill('SIGINT');
    const code = await burst.exit;

    // Assess
    for (const job of DUE_AT_MONTH_START)
      expect(burst.output).toContain(`started   ${job.padEnd(36)} ${job}-20261130T1500Z`);
    expect(burst.output).not.toContain(`started   ${DUE_FIVE_MINUTES_LATER}`);
    expect(burst.output).toMatch(
      /4 scheduled \(--only [^)]*\), clock starts at 2026-11-30T15:00:00\.000Z \(--at\)/,
    );
    expect(code).toBe(0);
  }, 240_000);
});
