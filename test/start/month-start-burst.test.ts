import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE = path.join(REPO, 'node_modules', '.bin', 'node');

const DUE_AT_MONTH_START = ['expire-share-links', 'export-monthly-records', 'meter-usage-monthly'];
const DUE_FIVE_MINUTES_LATER = 'aggregate-record-stats-daily';

// Slow (the whole runtime in a child process, real jobs and the real export): `--at` shows the
// month-start burst without waiting for December.
describe('npm start --at on a month start', () => {
  let dataDir: string;
  let runtime: ChildProcess | undefined;

  afterAll(() => {
    if (runtime && runtime.exitCode === null) runtime.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts every selected job due at 2026-12-01 00:00 Tokyo, and they succeed', async () => {
    // Prepare
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-burst-'));
    let output = '';
    const child = spawn(
      NODE,
      [
        path.join(REPO, 'local', 'main.ts'),
        '--port',
        '0',
        '--at',
        '2026-12-01T00:00:00+09:00',
        '--only',
        [...DUE_AT_MONTH_START, DUE_FIVE_MINUTES_LATER].join(','),
      ],
      {
        cwd: REPO,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: dataDir,
          SFN_BATCH_DATA_DIR: dataDir,
          SFN_BATCH_SEED_RECORDS: '500',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    runtime = child;
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exit = new Promise((resolve) => child.on('exit', resolve));

    // Act
    const allSucceeded = () =>
      DUE_AT_MONTH_START.every((job) => output.includes(`SUCCEEDED ${job.padEnd(36)} ${job}-20261130T1500Z`));
    while (!allSucceeded() && child.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 200));
    child.kill('SIGINT');
    const code = await exit;

    // Assess
    for (const job of DUE_AT_MONTH_START)
      expect(output).toContain(`started   ${job.padEnd(36)} ${job}-20261130T1500Z`);
    expect(output).not.toContain(`started   ${DUE_FIVE_MINUTES_LATER}`);
    expect(output).toMatch(
      /4 scheduled \(--only [^)]*\), clock starts at 2026-11-30T15:00:00\.000Z \(--at\)/,
    );
    expect(code).toBe(0);
  }, 240_000);
});
