import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedEnv, NODE, REPO, runProcess } from '../support/processes.ts';

describe('npm start with an invalid schedule file', () => {
  const project = mkdtempSync(path.join(tmpdir(), 'sfn-batch-invalid-'));

  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
  });

  it('prints the located problems like batchctl validate, exits 1 and opens no database', async () => {
    // Prepare
    const schedules = path.join(project, 'schedules');
    mkdirSync(schedules);
    symlinkSync(path.join(REPO, 'containers'), path.join(project, 'containers'));
    copyFileSync(path.join(REPO, 'schedules', '_defaults.yml'), path.join(schedules, '_defaults.yml'));
    writeFileSync(
      path.join(schedules, 'nightly-report.yml'),
      'description: A report.\nschedule: cron(0 3 * * * *)\ncommand: [aggregate-record-stats]\n',
    );
    const dataDir = path.join(project, 'data');

    // Act
    const result = await runProcess(NODE, [path.join(REPO, 'local', 'main.ts'), '--schedules', schedules], {
      cwd: REPO,
      env: isolatedEnv(project, { SFN_BATCH_DATA_DIR: dataDir }),
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('problem(s) in schedules/');
    expect(result.stderr).toMatch(/schedules\/nightly-report\.yml:2:\d+ {2}schedule: .*\?/);
    expect(existsSync(path.join(dataDir, 'pglite'))).toBe(false);
  });
});
