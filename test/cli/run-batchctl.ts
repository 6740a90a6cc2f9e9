import { execFile } from 'node:child_process';
import path from 'node:path';

import { REPO } from '../support/processes.ts';

export { REPO };

const NODE = path.join(REPO, 'node_modules', '.bin', 'node');
const CLI = path.join(REPO, 'cli', 'batchctl.ts');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the real batchctl as a child process (argv array, no shell) and captures its result. */
export function runBatchctl(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      NODE,
      [CLI, ...args],
      { cwd: options.cwd ?? REPO, encoding: 'utf8', env: { ...process.env, ...options.env } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        resolve({ exitCode: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}
