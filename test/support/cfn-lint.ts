/** cfn-lint on a CloudFormation template, for the deploy suites. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Runs cfn-lint on a copy of `template` in a fresh temporary folder: outside any dot-folder,
 * as CI lints it, and safe from another packaging run rewriting the original mid-check.
 */
export function cfnLint(template: string): {
  error: Error | undefined;
  output: string;
  status: number | null;
} {
  const directory = mkdtempSync(path.join(tmpdir(), 'sfn-batch-cfn-lint-'));
  const copy = path.join(directory, path.basename(template));
  copyFileSync(template, copy);
  try {
    const result = spawnSync('cfn-lint', [copy], { encoding: 'utf8' });
    return { error: result.error, output: `${result.stdout}${result.stderr}`, status: result.status };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
