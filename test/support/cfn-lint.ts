/** cfn-lint on a CloudFormation template, for the deploy suites. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';

/**
 * Runs cfn-lint on a copy of `template` in a fresh temporary folder (outside any dot-folder,
 * as CI lints it, and safe from another packaging run rewriting the original mid-check) and
 * expects it to find nothing.
 */
export function expectCfnLintClean(template: string): void {
  const directory = mkdtempSync(path.join(tmpdir(), 'sfn-batch-cfn-lint-'));
  const copy = path.join(directory, path.basename(template));
  copyFileSync(template, copy);
  try {
    const result = spawnSync('cfn-lint', [copy], { encoding: 'utf8' });

    expect(result.error).toBeUndefined();
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
