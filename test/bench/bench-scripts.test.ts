// npm run bench at a tiny size, so the benchmark scripts cannot rot: they run, print their tables,
// and write the planner's record only when asked. No timing is asserted (figures live in docs/benchmarks.md).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THROUGHPUT_FILE } from '#lib/cost/throughput.ts';
import { NODE, REPO, runProcess } from '../support/processes.ts';

const BENCH = path.join(REPO, 'bench', 'run.ts');

describe('npm run bench at a tiny size', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bench-scripts-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Slow for a unit test (about 20 child processes, a local runtime, a 1 s container): 10-20 s on
  // a quiet machine, more under load.
  it('runs the converter, zip, engine and rate suites and writes the planner record only where --record says', {
    timeout: 180_000,
  }, async () => {
    // Prepare
    const record = path.join(dir, 'throughput.json');
    const committed = await readFile(THROUGHPUT_FILE, 'utf8');
    // Act
    const result = await runProcess(
      NODE,
      [
        BENCH,
        // makespan and scheduler-precision have their own smoke tests (test/bench/).
        ...[
          '--suite',
          'converter,zip,engine,rate',
          '--quick',
          '--rows',
          '300',
          '--exceljs-sizes',
          '',
          '--skip-exceljs-stream',
        ],
        ...['--engine-runs', '1', '--rate-seconds', '1', '--starters', '1', '--record', record],
      ],
      { cwd: REPO },
    );
    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /deflate only: same XML made ready beforehand → node:zlib level 1, no zip container \| 300 \|/,
    );
    for (const label of ['our zip writer', 'zip-stream 7', 'yazl 3', 'converter (renders']) {
      expect(result.stdout).toContain(label);
    }
    expect(result.stdout).toMatch(
      /\| \*\*ratio engine \/ direct\*\* \(per run pair\) \| \*\*\d+\.?\d*\*\* \|/,
    );
    expect(result.stdout).toMatch(/container spawned → exited \| \d\.\d+ s \|/);
    expect(result.stdout).toMatch(/\| 1 \| [\d,]+ \| [\d,]+ \| \d+\.?\d* \|/);
    expect(result.stdout).toContain('load average');
    const written = JSON.parse(await readFile(record, 'utf8')) as {
      rows: number;
      rowsPerSecond: Record<string, number>;
    };
    expect(written.rows).toBe(300);
    expect(Object.keys(written.rowsPerSecond).sort()).toEqual(
      ['converter', 'deflate-only', 'lower-bound'].sort(),
    );
    expect(await readFile(THROUGHPUT_FILE, 'utf8')).toBe(committed);
  });

  it('refuses an unknown suite and --record without the converter suite', async () => {
    // Act
    const unknown = await runProcess(NODE, [BENCH, '--suite', 'zip,nope'], { cwd: REPO });
    const recordWithoutConverter = await runProcess(NODE, [BENCH, '--suite', 'zip', '--record'], {
      cwd: REPO,
    });
    // Assess
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      '--suite: unknown suite "nope"; use a comma list of converter, zip, engine, rate, makespan, scheduler-precision',
    );
    expect(recordWithoutConverter.code).toBe(2);
    expect(recordWithoutConverter.stderr).toContain('--record writes the converter rates');
  });
});
