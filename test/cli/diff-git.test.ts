import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, runBatchctl } from './run-batchctl.ts';

const execFileAsync = promisify(execFile);
const AFTER = '2026-11-21T23:30:00Z';

async function git(cwd: string, ...args: string[]): Promise<void> {
  await execFileAsync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd });
}

async function editFile(file: string, from: string, to: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} does not contain ${from}`);
  await writeFile(file, text.replace(from, to));
}

describe('batchctl diff in a git repository (spawns git and batchctl)', () => {
  let repo: string;

  beforeEach(async () => {
    // Prepare: a repository with the demo catalogue committed twice, the second time with one edit.
    repo = await mkdtemp(path.join(tmpdir(), 'batchctl-diff-'));
    await cp(path.join(REPO, 'schedules'), path.join(repo, 'schedules'), { recursive: true });
    await git(repo, 'init', '-q');
    await git(repo, 'add', 'schedules');
    await git(repo, 'commit', '-q', '-m', 'catalogue');
    await editFile(
      path.join(repo, 'schedules', 'aggregate-record-stats-daily.yml'),
      'cron(5 0 * * ? *)',
      'cron(15 0 * * ? *)',
    );
    await git(repo, 'commit', '-q', '-a', '-m', 'move the daily stats');
  });

  afterEach(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('shows exactly the one edited schedule against HEAD~1', async () => {
    // Act
    const result = await runBatchctl(['diff', '--base', 'HEAD~1', '--after', AFTER], { cwd: repo });

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('## Schedule changes: `HEAD~1` → `working tree`');
    expect(result.stdout).toMatch(/1 changed, 0 added, 0 removed, \d+ unchanged\./);
    expect(result.stdout.match(/^#### /gm)).toEqual(['#### ']);
    expect(result.stdout).toContain('#### `aggregate-record-stats-daily`');
    expect(result.stdout).toContain('| schedule | `cron(5 0 * * ? *)` | `cron(15 0 * * ? *)` |');
    expect(result.stdout).toContain(
      '| 1 | 2026-11-23 00:05 Mon +09:00 (2026-11-22 15:05 Sun UTC) | 2026-11-23 00:15 Mon +09:00 (2026-11-22 15:15 Sun UTC) |',
    );
    expect(result.stdout.match(/^\| field \|/gm)).toHaveLength(1);
  });

  it('reports the working tree against HEAD when nothing changed', async () => {
    // Act
    const result = await runBatchctl(['diff', '--after', AFTER], { cwd: repo });

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('`HEAD` → `working tree`');
    expect(result.stdout).toContain('No job changes.');
  });

  it('compares two refs with --head and reports an added job', async () => {
    // Prepare
    await writeFile(
      path.join(repo, 'schedules', 'rotate-api-keys.yml'),
      'description: Rotate API keys.\nschedule: cron(0 2 ? * SUN *)\ncommand: [expire-share-links]\n',
    );
    await git(repo, 'add', 'schedules');
    await git(repo, 'commit', '-q', '-m', 'add a job');

    // Act
    const result = await runBatchctl(['diff', '--base', 'HEAD~1', '--head', 'HEAD', '--after', AFTER], {
      cwd: repo,
    });

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/0 changed, 1 added, 0 removed/);
    expect(result.stdout).toContain('#### `rotate-api-keys`');
  });

  it('reports an invalid head with exit code 1 and still prints the report', async () => {
    // Prepare
    await editFile(
      path.join(repo, 'schedules', 'analyze-tables.yml'),
      'cron(30 4 * * ? *)',
      'cron(30 4 * * * *)',
    );

    // Act
    const result = await runBatchctl(['diff', '--base', 'HEAD', '--after', AFTER], { cwd: repo });

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('### ❌ Problems in working tree (1)');
    expect(result.stdout).toMatch(/schedules\/analyze-tables\.yml:\d+:11 {2}schedule: /);
  });

  it('exits 2 for a ref that does not exist, without running it through a shell', async () => {
    // Act
    const result = await runBatchctl(['diff', '--base', 'no-such-branch;touch pwned'], { cwd: repo });

    // Assess
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('"no-such-branch;touch pwned" is not a commit');
  });
});

describe('batchctl diff outside a git repository', () => {
  it('exits 2 and says that it needs git', async () => {
    // Prepare
    const folder = await mkdtemp(path.join(tmpdir(), 'batchctl-nogit-'));
    await cp(path.join(REPO, 'schedules'), path.join(folder, 'schedules'), { recursive: true });

    try {
      // Act
      const result = await runBatchctl(['diff'], { cwd: folder });

      // Assess
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('is not in a git repository');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
