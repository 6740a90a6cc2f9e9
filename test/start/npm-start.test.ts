import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE = path.join(REPO, 'node_modules', '.bin', 'node');

/** Pids of live processes whose environment mentions `marker` (our data folder): the runtime and its tasks. */
function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) pids.push(Number(entry));
    } catch {
      // The process ended, or is not ours to read.
    }
  }
  return pids;
}

function runBatchctl(
  dataDir: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [path.join(REPO, 'cli', 'batchctl.ts'), ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dataDir, SFN_BATCH_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Slow (spawns the whole runtime, seeds a small database and runs a real job in a child process):
// this is the "fresh clone, npm start, batchctl run" path end to end.
describe('npm start', () => {
  let dataDir: string;
  let runtime: ChildProcess;
  let output = '';
  let exit: Promise<number | null>;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-start-'));
    runtime = spawn(NODE, [path.join(REPO, 'local', 'main.ts'), '--no-schedule', '--port', '0'], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dataDir,
        SFN_BATCH_DATA_DIR: dataDir,
        SFN_BATCH_SEED_RECORDS: '500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    runtime.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    runtime.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    exit = new Promise((resolve) => runtime.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 150_000;
    while (!output.includes('Run a job now')) {
      if (runtime.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`no status block within 150 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 180_000);

  afterAll(() => {
    if (runtime.exitCode === null) runtime.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the status block with the API endpoint and writes runtime.json', () => {
    expect(output).toMatch(/Step Functions API {2}http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toContain('scheduler off (--no-schedule)');
    expect(output).toMatch(/database: seeded 500 records/);
    expect(JSON.parse(readFileSync(path.join(dataDir, 'runtime.json'), 'utf8'))).toMatchObject({
      pid: runtime.pid,
      stage: 'local',
    });
  });

  it('runs an ordinary job to SUCCEEDED through batchctl and prints its start and end', async () => {
    // Act
    const result = await runBatchctl(dataDir, ['run', 'aggregate-record-stats-daily', '--wait']);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/aggregate-record-stats-daily-manual-\d{8}T\d{6}Z: SUCCEEDED after/);
    expect(result.code).toBe(0);
    expect(output).toMatch(/started {3}aggregate-record-stats-daily/);
    expect(output).toMatch(/SUCCEEDED aggregate-record-stats-daily/);
  }, 60_000);

  it('runs the monthly export to SUCCEEDED and publishes xlsx files', async () => {
    // Act
    const result = await runBatchctl(dataDir, [
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
    runtime.kill('SIGINT');
    const code = await exit;

    // Assess
    expect(code).toBe(0);
    expect(output).toContain('stopped.');
    expect(existsSync(path.join(dataDir, 'runtime.json'))).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
  }, 60_000);
});
