import { spawn } from 'node:child_process';
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
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE = path.join(REPO, 'node_modules', '.bin', 'node');

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
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(NODE, [path.join(REPO, 'local', 'main.ts'), '--schedules', schedules], {
        cwd: REPO,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project, SFN_BATCH_DATA_DIR: dataDir },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('problem(s) in schedules/');
    expect(result.stderr).toMatch(/schedules\/nightly-report\.yml:2:\d+ {2}schedule: .*\?/);
    expect(existsSync(path.join(dataDir, 'pglite'))).toBe(false);
  });
});
