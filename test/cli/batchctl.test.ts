import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runBatchctl } from './run-batchctl.ts';

const BROKEN_ROOT = path.join(REPO, 'test', 'schedule', 'fixtures', 'broken');
/** validate's warning for the demo catalogue's one-off backfill once its time has passed. */
const BACKFILL_IS_PAST =
  /^schedules\/backfill-compliance-scores-2026\.yml:3:11 {2}warning: schedule: at\(2026-12-01T03:00:00\) is in the past /;

describe('batchctl validate', () => {
  it('exits 0 on the demo catalogue, on any date', async () => {
    // Act
    const result = await runBatchctl(['validate']);

    // Assess: the only warning that can appear is the one-off backfill's, once its date has passed.
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^OK: \d+ jobs valid(, 1 warning)?\.$/m);
    const warnings = result.stdout.split('\n').filter((line) => line.includes(' warning: '));
    for (const line of warnings) expect(line).toMatch(BACKFILL_IS_PAST);
    expect(result.exitCode).toBe(0);
  });

  it('keeps the one-off backfill valid after its date, with one warning that it will not run again', async () => {
    // Act: the backfill runs at(2026-12-01T03:00:00) Tokyo = 2026-11-30T18:00:00Z.
    const [before, after] = await Promise.all([
      runBatchctl(['validate', '--now', '2026-11-30T17:59:59Z']),
      runBatchctl(['validate', '--now', '2027-06-01T00:00:00Z']),
    ]);

    // Assess
    expect(before.stdout).not.toContain('warning');
    expect(before.stdout).toMatch(/^OK: \d+ jobs valid\.$/m);
    expect(before.exitCode).toBe(0);
    const warnings = after.stdout.split('\n').filter((line) => line.includes(' warning: '));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(BACKFILL_IS_PAST);
    expect(after.stdout).toMatch(/^OK: \d+ jobs valid, 1 warning\.$/m);
    expect(after.exitCode).toBe(0);
    // Two batchctl processes: generous for a loaded 2-core machine.
  }, 90_000);

  it('refuses a --now that is not an ISO instant', async () => {
    const result = await runBatchctl(['validate', '--now', 'tomorrow']);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--now must be an ISO 8601 instant');
  });

  it('exits 1 and prints every located problem of every file on stdout', async () => {
    // Act
    const result = await runBatchctl(['validate', '--root', BROKEN_ROOT]);

    // Assess: on stdout, so that `batchctl validate > report.txt` keeps the report.
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n').filter((line) => /^schedules\/\S+:\d+:\d+ {2}/.test(line));
    expect(lines).toHaveLength(10);
    expect(result.stdout).toContain(
      'schedules/many-mistakes.yml:4:1  enabeld: unknown key "enabeld" (did you mean "enabled"?)',
    );
    expect(result.stdout).toContain(
      'schedules/many-mistakes.yml:6:9  memory: 4096 MiB is not valid with cpu 256 on Fargate; cpu 256 allows 512, 1024, 2048 MiB. Example: 512',
    );
    expect(result.stdout).toContain('10 problems in 4 files; 0 valid jobs.');
  });

  it('lists a one-off at() in the past as a warning and still exits 0', async () => {
    // Prepare
    const root = await mkdtemp(path.join(tmpdir(), 'batchctl-warning-'));
    await mkdir(path.join(root, 'schedules'));
    await writeFile(
      path.join(root, 'schedules', '_defaults.yml'),
      await readFile(path.join(REPO, 'schedules', '_defaults.yml')),
    );
    await writeFile(
      path.join(root, 'schedules', 'one-off.yml'),
      'description: A one-off backfill.\nschedule: at(2020-01-01T03:00:00)\ncommand: [analyze-tables]\n',
    );

    // Act
    const result = await runBatchctl(['validate', '--root', root]);
    const github = await runBatchctl(['validate', '--root', root, '--format', 'github']);
    await rm(root, { recursive: true, force: true });

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      'schedules/one-off.yml:2:11  warning: schedule: at(2020-01-01T03:00:00) is in the past (2020-01-01 03:00 Wed +09:00), so this one-off job will not run again; remove the file or give a future time. ' +
        `Example: at(${new Date().getUTCFullYear() + 1}-01-01T09:00:00)\n\nOK: 1 jobs valid, 1 warning.\n`,
    );
    expect(github.exitCode).toBe(0);
    expect(github.stdout).toMatch(/^::warning file=schedules\/one-off\.yml,line=2,col=11,/);
  });

  it('refuses a schedule file that is not UTF-8 instead of reading it with replacement characters', async () => {
    // Prepare: a Shift_JIS comment ("日本" is 0x93 0xFA 0x96 0x7B) in an otherwise valid job.
    const root = await mkdtemp(path.join(tmpdir(), 'batchctl-encoding-'));
    await mkdir(path.join(root, 'schedules'));
    const job = await readFile(path.join(REPO, 'schedules', 'analyze-tables.yml'));
    const comment = Buffer.from([0x23, 0x20, 0x93, 0xfa, 0x96, 0x7b, 0x0a]);
    await writeFile(path.join(root, 'schedules', 'analyze-tables.yml'), Buffer.concat([comment, job]));
    await writeFile(
      path.join(root, 'schedules', '_defaults.yml'),
      await readFile(path.join(REPO, 'schedules', '_defaults.yml')),
    );

    // Act
    const result = await runBatchctl(['validate', '--root', root]);
    await rm(root, { recursive: true, force: true });

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain(
      'schedules/analyze-tables.yml:1:3  (file): is not valid UTF-8: byte 0x93 at byte offset 2',
    );
  });
});

describe('batchctl list', () => {
  it('prints one row per job with the schedule in words and the next run in the job zone', async () => {
    // Act
    const result = await runBatchctl(['list', '--after', '2026-11-21T23:30:00Z']);

    // Assess
    expect(result.exitCode).toBe(0);
    const row = result.stdout.split('\n').find((line) => line.startsWith('export-monthly-records-us '));
    expect(row).toMatch(
      /At 00:00, on day 1 of the month\s+America\/New_York\s+yes\s+2026-12-01 00:00 Tue -05:00$/,
    );
    const disabled = result.stdout.split('\n').find((line) => line.startsWith('purge-orphaned-photos '));
    expect(disabled).toMatch(/\sno\s+-$/);
  });

  it('prints JSON with the next run as a UTC instant', async () => {
    // Act
    const result = await runBatchctl(['list', '--json', '--lang', 'ja', '--after', '2026-11-21T23:30:00Z']);

    // Assess
    expect(result.exitCode).toBe(0);
    const jobs = JSON.parse(result.stdout) as { name: string; nextRun: string | null; timezone: string }[];
    expect(jobs.find((job) => job.name === 'export-monthly-records')).toMatchObject({
      timezone: 'Asia/Tokyo',
      nextRun: '2026-11-30T15:00:00.000Z',
    });
  });

  it('prints the whole table in Japanese with --lang ja', async () => {
    // Act
    const result = await runBatchctl(['list', '--lang', 'ja', '--after', '2026-11-21T23:30:00Z']);

    // Assess
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^ジョブ\s+スケジュール\s+タイムゾーン\s+有効\s+次回実行 \(ジョブのタイムゾーン\)$/,
    );
    expect(lines.find((line) => line.startsWith('compute-compliance-scores '))).toMatch(
      /\s06:00、毎月最初の平日\s+Asia\/Tokyo\s+はい\s+2026-12-01 06:00 \(火\) \+09:00$/,
    );
    expect(lines.find((line) => line.startsWith('purge-orphaned-photos '))).toMatch(/\sいいえ\s+-$/);
    expect(result.stdout).not.toMatch(/\b(yes|no|Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b/);
  });

  it('rejects an unsupported language with exit code 2', async () => {
    // Act
    const result = await runBatchctl(['list', '--lang', 'fr']);

    // Assess
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("argument 'fr' is invalid");
  });
});

describe('rate() jobs in list and next', () => {
  const job = 'detect-temperature-excursions';
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'batchctl-anchor-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  async function writeAnchor(schedule: string): Promise<void> {
    // As npm start's scheduler leaves it after first scheduling the job at 10:00:11 UTC.
    const state = {
      version: 1,
      jobs: {
        [job]: {
          handledThrough: '2026-11-21T10:00:11.000Z',
          anchor: '2026-11-21T10:00:11.000Z',
          schedule,
          timezone: 'Asia/Tokyo',
        },
      },
    };
    await writeFile(path.join(dataDir, 'scheduler.json'), JSON.stringify(state));
  }

  it('shows the instants counted from the anchor the local scheduler stored', async () => {
    // Prepare
    await writeAnchor('rate(5 minutes)');
    const env = { SFN_BATCH_DATA_DIR: dataDir };

    // Act
    const next = await runBatchctl(['next', job, '-n', '2', '--after', '2026-11-21T10:07:00Z'], { env });
    const list = await runBatchctl(['list', '--json', '--after', '2026-11-21T10:07:00Z'], { env });

    // Assess
    expect(next.exitCode).toBe(0);
    expect(next.stdout).toContain('2026-11-21 19:10:11 Sat +09:00  2026-11-21 10:10:11 Sat');
    expect(next.stdout).toContain('2026-11-21 19:15:11 Sat +09:00  2026-11-21 10:15:11 Sat');
    const jobs = JSON.parse(list.stdout) as { name: string; nextRun: string | null }[];
    expect(jobs.find((entry) => entry.name === job)?.nextRun).toBe('2026-11-21T10:10:11.000Z');
  });

  it('says there are no fixed instants yet when the scheduler has no anchor for the schedule', async () => {
    // Prepare: the stored anchor belongs to an older schedule, which the scheduler discards.
    await writeAnchor('rate(10 minutes)');
    const env = { SFN_BATCH_DATA_DIR: dataDir };

    // Act
    const next = await runBatchctl(['next', job, '--after', '2026-11-21T10:07:00Z'], { env });
    const list = await runBatchctl(['list', '--after', '2026-11-21T10:07:00Z'], { env });

    // Assess
    expect(next.exitCode).toBe(0);
    expect(next.stdout).toContain(
      'No fixed run instants yet: first run when npm start schedules it, then every 5 minutes.',
    );
    expect(next.stdout).not.toMatch(/\d{2}:\d{2}:\d{2}|\d{2}:\d{2} \w{3}/);
    const row = list.stdout.split('\n').find((line) => line.startsWith(`${job} `));
    expect(row).toMatch(/first run when npm start schedules it, then every 5 minutes$/);
  });
});

describe('batchctl next', () => {
  it('prints the next runs in the job zone and in UTC, skipping the missing DST hour', async () => {
    // Act
    const result = await runBatchctl([
      'next',
      'purge-deleted-records-uk',
      '--after',
      '2027-03-26T00:00:00Z',
      '-n',
      '3',
    ]);

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n').slice(1, 5)).toEqual([
      '#  Europe/London                UTC',
      '1  2027-03-26 01:30 Fri +00:00  2027-03-26 01:30 Fri',
      '2  2027-03-27 01:30 Sat +00:00  2027-03-27 01:30 Sat',
      '3  2027-03-29 01:30 Mon +01:00  2027-03-29 00:30 Mon',
    ]);
  });

  it('lists every run of each job between --after and --before as JSON, rate() counted from --anchor', async () => {
    // Act
    const rate = await runBatchctl([
      'next',
      'detect-temperature-excursions',
      '--anchor',
      '2027-02-28T12:00:00Z',
      '--after',
      '2027-02-28T11:59:59.999Z',
      '--before',
      '2027-03-01T12:00:00Z',
      '--json',
    ]);
    const uk = await runBatchctl([
      'next',
      'purge-deleted-records-uk',
      'backfill-compliance-scores-2026',
      '--after',
      '2027-03-26T00:00:00Z',
      '--before',
      '2027-03-30T00:00:00Z',
      '--json',
    ]);

    // Assess
    expect(rate.exitCode).toBe(0);
    const rateRuns = (JSON.parse(rate.stdout) as { runs: string[] }[])[0]?.runs ?? [];
    expect(rateRuns).toHaveLength(288);
    expect([rateRuns[0], rateRuns[1], rateRuns.at(-1)]).toEqual([
      '2027-02-28T12:00:00.000Z',
      '2027-02-28T12:05:00.000Z',
      '2027-03-01T11:55:00.000Z',
    ]);
    expect(JSON.parse(uk.stdout)).toEqual([
      {
        job: 'purge-deleted-records-uk',
        schedule: 'cron(30 1 * * ? *)',
        timezone: 'Europe/London',
        enabled: true,
        runs: ['2027-03-26T01:30:00.000Z', '2027-03-27T01:30:00.000Z', '2027-03-29T00:30:00.000Z'],
      },
      {
        job: 'backfill-compliance-scores-2026',
        schedule: 'at(2026-12-01T03:00:00)',
        timezone: 'Asia/Tokyo',
        enabled: true,
        runs: [],
      },
    ]);
    // Two CLI processes; generous for a loaded 2-core machine.
  }, 120_000);

  it('exits 2 for --before not after --after, and for JSON of a rate() job without an anchor', async () => {
    // Act
    const reversed = await runBatchctl([
      'next',
      'analyze-tables',
      '--after',
      '2027-03-26T00:00:00Z',
      '--before',
      '2027-03-20T00:00:00Z',
    ]);
    const unanchored = await runBatchctl(['next', 'detect-temperature-excursions', '--json'], {
      env: { SFN_BATCH_DATA_DIR: path.join(tmpdir(), `sfn-batch-no-data-${process.pid}`) },
    });

    // Assess
    expect(reversed.exitCode).toBe(2);
    expect(reversed.stderr).toContain(
      '--before (2027-03-20T00:00:00.000Z) must be later than --after (2027-03-26T00:00:00.000Z)',
    );
    expect(unanchored.exitCode).toBe(2);
    expect(unanchored.stderr).toContain('no fixed run instants yet');
    expect(unanchored.stderr).toContain('Pass --anchor <instant>.');
    // Two CLI processes; generous for a loaded 2-core machine.
  }, 120_000);

  it('exits 2 for an unknown job and suggests the closest name', async () => {
    // Act
    const result = await runBatchctl(['next', 'export-montly-records']);

    // Assess
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      'batchctl: unknown job "export-montly-records". Did you mean "export-monthly-records"?\n',
    );
  });

  it('exits 2 for a count that is not a positive number', async () => {
    // Act
    const result = await runBatchctl(['next', 'analyze-tables', '-n', 'many']);

    // Assess
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--count must be a whole number from 1 to 1000, got "many"');
  });

  it('exits 1 with the located problems when the job file is invalid', async () => {
    // Act
    const result = await runBatchctl(['next', 'many-mistakes', '--root', BROKEN_ROOT]);

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('job "many-mistakes" has invalid settings:');
    expect(result.stderr).toContain('schedules/many-mistakes.yml:7:10  timeout:');
  });
});

describe('batchctl show', () => {
  it('prints effective values and marks the ones from _defaults.yml', async () => {
    // Act
    const result = await runBatchctl(['show', 'generate-usage-invoices']);

    // Assess
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('# schedules/generate-usage-invoices.yml (effective values)');
    expect(lines).toContain('schedule: cron(0 6 1 * ? *)');
    expect(lines).toContain('  maxAttempts: 5');
    expect(lines.find((line) => line.startsWith('  interval: 30s'))).toMatch(/# _defaults\.yml$/);
    expect(lines.find((line) => line.startsWith('timezone: Asia/Tokyo'))).toMatch(/# _defaults\.yml$/);
    expect(lines.find((line) => line.startsWith('input: {}'))).toMatch(/# built-in default$/);
  });
});

describe('job names', () => {
  it('lists the jobs an ambiguous prefix matches', async () => {
    // Act
    const result = await runBatchctl(['show', 'export-monthly']);

    // Assess
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      'batchctl: "export-monthly" is not a job name; it is the start of 2 jobs: export-monthly-records, export-monthly-records-us. Give the whole name.\n',
    );
  });
});

describe('batchctl usage', () => {
  it('documents the exit codes and examples in --help and exits 0', async () => {
    // Act
    const result = await runBatchctl(['--help']);

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Exit codes:');
    expect(result.stdout).toContain('2  usage error');
    expect(result.stdout).toContain('$ batchctl diff --base origin/main');
  });

  it.each(['validate', 'list', 'next', 'show', 'diff'])('has help with examples for %s', async (command) => {
    // Act
    const result = await runBatchctl([command, '--help']);

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain(`$ batchctl ${command}`);
    expect(result.stdout).toMatch(/Exit codes/);
  });

  it('exits 2 for an unknown command', async () => {
    // Act
    const result = await runBatchctl(['frobnicate']);

    // Assess
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
  });
});

describe('batchctl validate output formats', () => {
  it('prints GitHub annotations that point at the offending lines', async () => {
    // Act
    const result = await runBatchctl(['validate', '--root', BROKEN_ROOT, '--format', 'github']);

    // Assess
    expect(result.exitCode).toBe(1);
    const annotations = result.stdout.trim().split('\n');
    expect(annotations).toHaveLength(10);
    expect(annotations).toContain(
      '::error file=schedules/many-mistakes.yml,line=7,col=10,title=schedule timeout::must be a duration such as 30m, got 90. Example: 30m',
    );
  });

  it('prints JSON with every problem and exits 1', async () => {
    // Act
    const result = await runBatchctl(['validate', '--root', BROKEN_ROOT, '--format', 'json']);

    // Assess
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as { valid: boolean; problems: { field: string }[] };
    expect(report.valid).toBe(false);
    expect(report.problems.map((problem) => problem.field)).toContain('retry.maxAttempts');
  });
});

describe('bin/batchctl', () => {
  it('runs the CLI on the project Node from any folder', async () => {
    // Act
    const result = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        path.join(REPO, 'bin', 'batchctl'),
        ['--root', REPO, 'next', 'analyze-tables', '-n', '1', '--after', '2026-11-21T23:30:00Z'],
        { cwd: tmpdir(), encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } },
        (error, stdout) => resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout }),
      );
    });

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1  2026-11-23 04:30 Mon +09:00  2026-11-22 19:30 Sun');
  });
});
