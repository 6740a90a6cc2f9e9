/**
 * Reads schedule files as they are at a git ref, for `batchctl diff`. git runs through
 * execFile with an argv array (never a shell), so a ref cannot inject commands.
 */
import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ScheduleSource } from '../lib/schedule/load.ts';
import { CliError, EXIT } from './common.ts';

const execFileAsync = promisify(execFile);

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
  return stdout;
}

/** A file's bytes at a ref: the loader decodes them strictly, so bad UTF-8 is reported, not replaced. */
async function gitBytes(cwd: string, args: string[]): Promise<Uint8Array> {
  const { stdout } = await execFileAsync('git', args, {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'buffer',
  });
  return stdout;
}

/** Whether `ref` names a commit in the repository at `cwd`. */
export async function refExists(cwd: string, ref: string): Promise<boolean> {
  try {
    await git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The schedule files (`schedules/*.yml`) and container folder names at `ref`, with paths
 * relative to the repository root (as the loader reports them).
 */
export async function readSchedulesAtRef(
  root: string,
  ref: string,
): Promise<{ files: ScheduleSource[]; containers: string[] }> {
  try {
    await git(root, ['rev-parse', '--git-dir']);
  } catch {
    throw new CliError(
      `${root} is not in a git repository; batchctl diff compares against git refs`,
      EXIT.usage,
    );
  }
  if (ref.startsWith('-') || !(await refExists(root, ref))) {
    throw new CliError(
      `"${ref}" is not a commit in ${root}; pass a branch, tag or commit as --base`,
      EXIT.usage,
    );
  }
  const top = (await git(root, ['rev-parse', '--show-toplevel'])).trim();
  // The project may sit in a subfolder of the git repository.
  // realpath: git prints the resolved top level (on macOS /tmp is /private/tmp).
  const prefix = path
    .relative(top, await realpath(root))
    .split(path.sep)
    .join('/');
  const schedulesPath = prefix ? `${prefix}/schedules/` : 'schedules/';
  const containersPath = prefix ? `${prefix}/containers/` : 'containers/';
  const listing = await git(top, ['ls-tree', '-z', '--name-only', ref, '--', schedulesPath]);
  const names = listing.split('\0').filter((name) => /\.ya?ml$/.test(name));
  const files = await Promise.all(
    names.map(async (name) => ({
      path: prefix ? name.slice(prefix.length + 1) : name,
      text: await gitBytes(top, ['show', `${ref}:${name}`]),
    })),
  );
  const containerListing = await git(top, ['ls-tree', '-z', '-d', '--name-only', ref, '--', containersPath]);
  const containers = containerListing
    .split('\0')
    .filter(Boolean)
    .map((name) => path.posix.basename(name));
  return { files, containers };
}
