import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatProblem,
  loadJobSpecs,
  loadSchedules,
  parseScheduleCatalogue,
  parseScheduleSources,
  ScheduleValidationError,
} from '../../lib/schedule/load.ts';
import { DEFAULTS, parseFiles } from './catalogue-fixture.ts';

const BROKEN = path.join(import.meta.dirname, 'fixtures', 'broken', 'schedules');

describe('the demo catalogue', () => {
  it('loads every job without problems', async () => {
    // Act
    const { jobs, problems } = await loadSchedules();

    // Assess
    expect(problems.map(formatProblem)).toEqual([]);
    expect(jobs.length).toBeGreaterThanOrEqual(28);
    expect(jobs.every((job) => job.sourceFile === `schedules/${job.name}.yml`)).toBe(true);
  });

  it('maps file keys and defaults into the JobSpec', async () => {
    // Act
    const jobs = await loadJobSpecs();

    // Assess
    const daily = jobs.find((job) => job.name === 'aggregate-record-stats-daily');
    expect(daily).toMatchObject({
      schedule: 'cron(5 0 * * ? *)',
      timezone: 'Asia/Tokyo',
      enabled: true,
      workflow: 'task',
      container: 'batch-jobs',
      command: ['aggregate-record-stats', '--granularity', 'daily'],
      size: { cpu: 256, memory: 512 },
      timeoutSeconds: 1800,
      concurrency: 'forbid',
      retry: { maxAttempts: 3, intervalSeconds: 30, backoffRate: 2, retryOnJobFailure: false },
      owner: { team: 'records-platform', slackChannel: '#records-batch' },
      export: undefined,
    });
    const monthly = jobs.find((job) => job.name === 'export-monthly-records');
    expect(monthly?.export).toEqual({ frequency: 'monthly', maxConcurrency: 4, recordsPerBatch: 200000 });
    expect(monthly?.retry).toMatchObject({ maxAttempts: 4, intervalSeconds: 60, backoffRate: 2 });
  });

  it('covers rate, at, L, #, W, a disabled job and DST time zones', async () => {
    // Act
    const jobs = await loadJobSpecs();

    // Assess
    const schedules = jobs.map((job) => job.schedule);
    expect(schedules.some((text) => text.startsWith('rate('))).toBe(true);
    expect(schedules.some((text) => text.startsWith('at('))).toBe(true);
    expect(schedules.some((text) => / L /.test(text))).toBe(true);
    expect(schedules.some((text) => text.includes('#'))).toBe(true);
    expect(schedules.some((text) => /\dW /.test(text))).toBe(true);
    expect(jobs.some((job) => !job.enabled && /disabled/i.test(job.description))).toBe(true);
    const zones = new Set(jobs.map((job) => job.timezone));
    expect(zones).toContain('America/New_York');
    expect(zones).toContain('Europe/London');
    expect(jobs.filter((job) => job.timezone === 'Asia/Tokyo').length).toBeGreaterThan(jobs.length / 2);
    expect(jobs.filter((job) => job.workflow === 'xlsx-export').length).toBeGreaterThanOrEqual(4);
  });
});

describe('a broken schedules folder', () => {
  it('reports every problem of every file in one run, located and explained', async () => {
    // Act
    const { jobs, problems } = await loadSchedules(BROKEN);

    // Assess
    expect(jobs).toEqual([]);
    const summary = problems.map(({ file, line, column, field }) => `${file}:${line}:${column} ${field}`);
    expect(summary).toEqual([
      'schedules/Bad_Name.yml:1:1 (file name)',
      'schedules/bad-yaml.yml:4:1 command',
      'schedules/export-without-settings.yml:3:11 export',
      'schedules/export-without-settings.yml:4:12 container',
      'schedules/many-mistakes.yml:2:11 schedule',
      'schedules/many-mistakes.yml:3:11 timezone',
      'schedules/many-mistakes.yml:4:1 enabeld',
      'schedules/many-mistakes.yml:6:9 memory',
      'schedules/many-mistakes.yml:7:10 timeout',
      'schedules/many-mistakes.yml:9:23 retry.maxAttempts',
    ]);
    const byField = new Map(problems.map((problem) => [problem.field, problem]));
    expect(byField.get('(file name)')).toMatchObject({
      message: expect.stringMatching(/kebab-case/),
      example: 'bad-name.yml',
    });
    expect(byField.get('command')).toMatchObject({
      message: expect.stringMatching(/^YAML syntax: Flow sequence/),
    });
    expect(byField.get('export')).toMatchObject({
      message: 'is required when workflow is xlsx-export',
      example: expect.stringContaining('frequency'),
    });
    expect(byField.get('container')).toMatchObject({
      message: expect.stringContaining('did you mean "xlsx-converter"'),
      example: 'xlsx-converter',
    });
    expect(byField.get('schedule')).toMatchObject({
      message: expect.stringMatching(/\?/),
      example: expect.stringMatching(/^cron\(.*\?.*\)$/),
    });
    expect(byField.get('timezone')).toMatchObject({
      message: expect.stringContaining('did you mean "Asia/Tokyo"'),
      example: 'Asia/Tokyo',
    });
    expect(byField.get('memory')).toMatchObject({
      message: '4096 MiB is not valid with cpu 256 on Fargate; cpu 256 allows 512, 1024, 2048 MiB',
      example: '512',
    });
    expect(byField.get('timeout')).toMatchObject({
      message: 'must be a duration such as 30m, got 90',
      example: '30m',
    });
    expect(byField.get('retry.maxAttempts')).toMatchObject({ message: 'must be at least 1', example: '3' });
  });

  it('throws a ScheduleValidationError listing all problems from loadJobSpecs', async () => {
    // Act
    const error = await loadJobSpecs(BROKEN).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(ScheduleValidationError);
    const validationError = error as ScheduleValidationError;
    expect(validationError.problems).toHaveLength(10);
    expect(validationError.message).toContain(
      'schedules/many-mistakes.yml:7:10  timeout: must be a duration',
    );
  });
});

describe('parseScheduleSources', () => {
  it('rejects an unknown key and suggests the key that was meant', () => {
    // Act
    const { jobs, problems } = parseScheduleSources([
      { path: 'schedules/_defaults.yml', text: DEFAULTS },
      {
        path: 'schedules/nightly.yml',
        text: 'description: Nightly.\nschedule: cron(0 3 * * ? *)\ncommand: [analyze-tables]\nenabeld: false\nretry: { intervall: 10s }\n',
      },
    ]);

    // Assess
    expect(jobs).toEqual([]);
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'schedules/nightly.yml',
        line: 4,
        column: 1,
        field: 'enabeld',
        message: expect.stringContaining('unknown key "enabeld" (did you mean "enabled"?)'),
        example: 'enabled: true',
      }),
      expect.objectContaining({
        line: 5,
        column: 10,
        field: 'retry.intervall',
        message: expect.stringContaining('did you mean "interval"?'),
        example: 'interval: 30s under retry',
      }),
    ]);
  });

  it('lists the allowed keys when an unknown key resembles none', () => {
    // Act
    const { problems } = parseFiles({
      '_defaults.yml': DEFAULTS,
      'nightly.yml':
        'description: Nightly.\nschedule: cron(0 3 * * ? *)\ncommand: [analyze-tables]\npriority: high\n',
    });

    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/unknown key "priority" \(allowed: description, owner, .*export\)/);
    expect(problems[0]?.example).toBe('input: { priority: … } for a job parameter');
  });

  it('merges _defaults.yml per key and records where each value came from', () => {
    // Act
    const catalogue = parseFiles({
      '_defaults.yml': DEFAULTS,
      'nightly.yml':
        'description: Nightly.\nschedule: cron(0 3 * * ? *)\ncommand: [purge-deleted-records, --retention-days, 30]\nretry: { maxAttempts: 5 }\n',
    });

    // Assess
    expect(catalogue.problems).toEqual([]);
    const job = catalogue.effective.get('nightly');
    expect(job?.spec.retry).toEqual({
      maxAttempts: 5,
      intervalSeconds: 30,
      backoffRate: 2,
      retryOnJobFailure: false,
    });
    expect(job?.spec.command).toEqual(['purge-deleted-records', '--retention-days', '30']);
    expect(job?.origins).toMatchObject({
      'retry.maxAttempts': 'job',
      'retry.interval': 'defaults',
      timezone: 'defaults',
      concurrency: 'built-in',
      schedule: 'job',
    });
  });

  it('reports a bad value in _defaults.yml once, at its place in _defaults.yml', () => {
    // Act
    const { problems } = parseFiles({
      '_defaults.yml': DEFAULTS.replace('cpu: 256', 'cpu: 300'),
      'one.yml': 'description: One.\nschedule: cron(0 3 * * ? *)\ncommand: [analyze-tables]\n',
      'two.yml': 'description: Two.\nschedule: cron(0 4 * * ? *)\ncommand: [analyze-tables]\n',
    });

    // Assess
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'schedules/_defaults.yml',
        line: 4,
        column: 6,
        field: 'cpu',
        example: '256',
      }),
    ]);
  });

  it('reports a missing required field at the top of the job file', () => {
    // Act
    const { problems } = parseFiles({
      '_defaults.yml': DEFAULTS,
      'nightly.yml': 'description: Nightly.\ncommand: [analyze-tables]\n',
    });

    // Assess
    expect(problems).toEqual([
      {
        file: 'schedules/nightly.yml',
        line: 1,
        column: 1,
        field: 'schedule',
        message: 'is required',
        example: 'cron(0 9 * * ? *)',
      },
    ]);
  });

  it('rejects an export block on a task job and a Map concurrency over 40', () => {
    // Act
    const { problems } = parseFiles({
      '_defaults.yml': DEFAULTS,
      'task.yml':
        'description: Task.\nschedule: cron(0 3 * * ? *)\ncommand: [analyze-tables]\nexport: { frequency: daily, maxConcurrency: 2, recordsPerBatch: 10 }\n',
      'wide-export.yml':
        'description: Export.\nschedule: cron(0 3 * * ? *)\nworkflow: xlsx-export\ncontainer: xlsx-converter\ncommand: [convert-batch]\nexport: { frequency: daily, maxConcurrency: 41, recordsPerBatch: 10 }\n',
    });

    // Assess
    expect(
      problems.map(
        (problem) => `${problem.file}:${problem.line}:${problem.column} ${problem.field}: ${problem.message}`,
      ),
    ).toEqual([
      'schedules/task.yml:4:9 export: is only allowed with workflow: xlsx-export; remove it or change the workflow',
      'schedules/wide-export.yml:6:45 export.maxConcurrency: must be at most 40',
    ]);
  });

  it('rejects a job name that is too long and a job defined twice', () => {
    // Act
    const body = 'description: X.\nschedule: cron(0 3 * * ? *)\ncommand: [analyze-tables]\n';
    const longName = `a${'-b'.repeat(20)}`;
    const { problems } = parseFiles({
      '_defaults.yml': DEFAULTS,
      [`${longName}.yml`]: body,
      'twice.yml': body,
      'twice.yaml': body,
    });

    // Assess
    expect(problems.map((problem) => `${problem.file} ${problem.message}`)).toEqual([
      expect.stringMatching(/^schedules\/a-b-b.*\.yml job name ".*" has 41 characters; at most 40/),
      'schedules/twice.yml job "twice" is already defined in schedules/twice.yaml; keep one file per job',
    ]);
  });

  it('ignores other files starting with an underscore', () => {
    // Act
    const { jobs, problems } = parseFiles({ '_defaults.yml': DEFAULTS, '_notes.yml': 'anything: goes' });

    // Assess
    expect(jobs).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('inputs that used to pass validation (issue 8)', () => {
  const JOB = `description: Refresh the index.
schedule: cron(0 9 * * ? *)
command: [refresh-search-index]
`;

  function parseOne(text: string | Uint8Array, now?: Date) {
    return parseScheduleCatalogue(
      [
        { path: 'schedules/_defaults.yml', text: DEFAULTS },
        { path: 'schedules/job.yml', text },
      ],
      now ? { now } : {},
    );
  }

  it.each([
    ['a NUL', 'U+0000'],
    ['an escape', 'U+001B'],
    ['a newline', 'U+000A'],
  ])('rejects %s in a command argument, naming the argument', (_label, code) => {
    // Prepare: YAML's "\x00"-style escapes produce the character in the parsed value.
    const escaped = `\\u${code.slice(2)}`;

    // Act
    const { jobs, problems } = parseOne(
      JOB.replace('[refresh-search-index]', `[refresh-search-index, "a${escaped}b"]`),
    );

    // Assess
    expect(jobs).toEqual([]);
    expect(problems.map(formatProblem)).toEqual([
      `schedules/job.yml:3:33  command[1]: must not contain control characters, found ${code} at character 2 of ${JSON.stringify(`a${String.fromCodePoint(Number.parseInt(code.slice(2), 16))}b`)}; each argument is passed to the process as it is, without a shell. Example: [aggregate-record-stats, --granularity, daily]`,
    ]);
  });

  it('refuses a file that is not valid UTF-8, naming the line, column and byte offset', () => {
    // Prepare: "café" in Latin-1 on line 2; the é (0xE9) cannot start a UTF-8 character.
    const text = JOB.replace('schedule:', '# caf\u00e9\nschedule:');
    const bytes = Buffer.from(text, 'latin1');

    // Act
    const { jobs, problems } = parseOne(bytes);

    // Assess
    expect(jobs).toEqual([]);
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'schedules/job.yml',
        line: 2,
        column: 6,
        field: '(file)',
        message: expect.stringContaining('is not valid UTF-8: byte 0xe9 at byte offset 37'),
      }),
    ]);
  });

  it('reads a file that is valid UTF-8 from bytes', () => {
    // Act
    const { jobs, problems } = parseOne(Buffer.from(JOB.replace('Refresh', 'Réfresh'), 'utf8'));

    // Assess
    expect(problems).toEqual([]);
    expect(jobs[0]?.description).toBe('Réfresh the index.');
  });

  it.each([
    ['cron(0 0 30 2 ? *)', 'never fires: no date matches', 'cron(0 0 L 2 ? *) for the last day of February'],
    [
      'cron(0 0 1 1 ? 2020-2022)',
      'has no run after 2026-11-30 12:00: every year it names is in the past',
      'cron(0 0 1 1 ? *)',
    ],
  ])('rejects %s, which never fires', (schedule, message, example) => {
    // Act
    const { jobs, problems, warnings } = parseOne(
      JOB.replace('cron(0 9 * * ? *)', schedule),
      new Date('2026-11-30T03:00:00Z'),
    );

    // Assess
    expect(jobs).toEqual([]);
    expect(warnings).toEqual([]);
    expect(problems).toEqual([
      expect.objectContaining({
        line: 2,
        column: 11,
        field: 'schedule',
        message: expect.stringContaining(message),
        example,
      }),
    ]);
  });

  it('rejects text the deployment would read as a substitution, as npm start would', () => {
    // Act
    const { jobs, problems } = parseOne(
      JOB.replace('[refresh-search-index]', '[refresh-search-index, "#{AWS::Region}"]'),
    );

    // Assess
    expect(jobs).toEqual([]);
    expect(problems).toEqual([
      expect.objectContaining({
        line: 3,
        field: 'command[1]',
        message: expect.stringContaining(
          'contains "${" or "#{", which the deployment would read as a substitution',
        ),
      }),
    ]);
  });

  it('warns about a one-off at() in the past, and keeps the job valid', () => {
    // Act
    const { jobs, problems, warnings } = parseOne(
      JOB.replace('cron(0 9 * * ? *)', 'at(2026-11-01T09:00:00)'),
      new Date('2026-11-30T03:00:00Z'),
    );

    // Assess
    expect(problems).toEqual([]);
    expect(jobs).toHaveLength(1);
    expect(warnings.map(formatProblem)).toEqual([
      'schedules/job.yml:2:11  warning: schedule: at(2026-11-01T09:00:00) is in the past (2026-11-01 09:00 Sun +09:00), so this one-off job will not run again; remove the file or give a future time. Example: at(2027-01-01T09:00:00)',
    ]);
  });

  it('does not warn about an at() in the future', () => {
    // Act
    const { warnings, problems } = parseOne(
      JOB.replace('cron(0 9 * * ? *)', 'at(2026-12-01T09:00:00)'),
      new Date('2026-11-30T03:00:00Z'),
    );

    // Assess
    expect([...problems, ...warnings]).toEqual([]);
  });

  it.each([
    ['a top-level key', `${JOB}schedule: cron(0 10 * * ? *)\n`, 4, 'schedule', 2],
    ['a nested key', `${JOB}retry:\n  maxAttempts: 2\n  maxAttempts: 3\n`, 6, 'retry.maxAttempts', 5],
  ])('reports a duplicated %s under its own name, at the repeat', (_label, text, line, field, firstLine) => {
    // Act
    const { problems } = parseOne(text);

    // Assess
    expect(problems).toEqual([
      expect.objectContaining({
        line,
        field,
        message: expect.stringContaining(`appears twice in one mapping (first on line ${firstLine})`),
      }),
    ]);
  });
});

describe('formatProblem', () => {
  it('prints file:line:column, the field, the rule and an example', () => {
    // Act
    const text = formatProblem({
      file: 'schedules/x.yml',
      line: 4,
      column: 11,
      field: 'schedule',
      message: 'day-of-week must be ? when day-of-month is set',
      example: 'cron(0 9 * * ? *)',
    });

    // Assess
    expect(text).toBe(
      'schedules/x.yml:4:11  schedule: day-of-week must be ? when day-of-month is set. Example: cron(0 9 * * ? *)',
    );
  });
});
