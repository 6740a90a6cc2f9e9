import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useNpmStart } from '../support/npm-start.ts';
import { batchctl, processesMentioning } from '../support/processes.ts';

// Slow (spawns the whole runtime, seeds a small database and runs a real job in a child process):
// this is the "fresh clone, npm start, batchctl run" path end to end.
describe('npm start', () => {
  const npmStart = useNpmStart('sfn-batch-start-', { SFN_BATCH_SEED_RECORDS: '500' });
  const { dataDir } = npmStart;

  it('prints the status block with the API endpoint and writes runtime.json', () => {
    expect(npmStart.process.output).toMatch(/Step Functions API {2}http:\/\/127\.0\.0\.1:\d+/);
    expect(npmStart.process.output).toContain('scheduler off (--no-schedule)');
    expect(npmStart.process.output).toMatch(/database: seeded 500 records/);
    expect(JSON.parse(readFileSync(path.join(dataDir, 'runtime.json'), 'utf8'))).toMatchObject({
      pid: npmStart.process.child.pid,
      stage: 'local',
    });
  });

  it('runs an ordinary job to SUCCEEDED through batchctl and prints its start and end', async () => {
    // Act
    const result = await batchctl(dataDir, ['run', 'aggregate-record-stats-daily', '--wait']);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/aggregate-record-stats-daily-manual-\d{8}T\d{6}Z: SUCCEEDED after/);
    expect(result.code).toBe(0);
    expect(npmStart.process.output).toMatch(/started {3}aggregate-record-stats-daily/);
    expect(npmStart.process.output).toMatch(/SUCCEEDED aggregate-record-stats-daily/);
  }, 60_000);

  it('runs the monthly export to SUCCEEDED and publishes xlsx files', async () => {
    // Act
    const result = await batchctl(dataDir, [
      'run',
      'export-monthly-records',
      '--wait',
      '--input',
      '{"scheduledTime":"2026-11-01T00:00:00+09:00"}',
    ]);

    // Assess
    expect(result.stdout).toMatch(/export-monthly-records-manual-\d{8}T\d{6}Z: SUCCEEDED after/);
    expect(result.stdout).toContain('"label":"2026-10"');
    expect(result.code).toBe(0);
    const files = readdirSync(path.join(dataDir, 'objects', 'exports'), { recursive: true }).map(String);
    expect(files.filter((file) => file.endsWith('2026-10.xlsx')).length).toBeGreaterThan(0);
  }, 120_000);

  it('shuts down cleanly on SIGINT: exit 0, runtime.json removed, no process left', async () => {
    // Act
    npmStart.process.child.kill('SIGINT');
    const code = await npmStart.process.exit;

    // Assess
    expect(code).toBe(0);
    expect(npmStart.process.output).toContain('stopped.');
    expect(existsSync(path.join(dataDir, 'runtime.json'))).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 60_000);
});
