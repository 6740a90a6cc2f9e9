import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireFolderLock, FolderInUseError, lockFileOf } from '../../lib/db/folder-lock.ts';
import { NODE, REPO } from '../support/processes.ts';

function tempFolder(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'folder-lock-')), 'pglite');
}

describe('acquireFolderLock', () => {
  it('refuses a second holder in the same process and frees the folder on release', () => {
    // Prepare
    const folder = tempFolder();
    const release = acquireFolderLock(folder);

    // Act
    const second = () => acquireFolderLock(folder);

    // Assess
    expect(second).toThrow(FolderInUseError);
    expect(second).toThrow(/in use by this process/);
    release();
    expect(existsSync(lockFileOf(folder))).toBe(false);
    acquireFolderLock(folder)();
  });

  it('locks a data folder whose parent does not exist yet (a fresh SFN_BATCH_DATA_DIR)', () => {
    // Prepare
    const folder = path.join(tempFolder(), 'not', 'yet', 'pglite');

    // Act
    const release = acquireFolderLock(folder);

    // Assess
    expect(existsSync(lockFileOf(folder))).toBe(true);
    release();
    expect(existsSync(lockFileOf(folder))).toBe(false);
  });

  it('refuses while another live process holds it, and takes over once that process is killed', async () => {
    // Prepare
    const folder = tempFolder();
    const holder = spawn(
      NODE,
      [
        '--input-type=module',
        '-e',
        `import { acquireFolderLock } from ${JSON.stringify(path.join(REPO, 'lib/db/folder-lock.ts'))};
         acquireFolderLock(process.argv[1]); console.log('locked'); setInterval(() => {}, 1000);`,
        folder,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));

    // Act
    let refusal: unknown;
    try {
      acquireFolderLock(folder);
    } catch (error) {
      refusal = error;
    }
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    const release = acquireFolderLock(folder);

    // Assess
    expect(refusal).toBeInstanceOf(FolderInUseError);
    expect((refusal as FolderInUseError).holder.pid).toBe(holder.pid);
    expect((refusal as Error).message).toContain(`process ${holder.pid}`);
    release();
  });

  it('takes over a lock whose pid now belongs to another process (pid reuse)', () => {
    // Prepare: pid 1 is alive, but it did not start at tick 0.
    const folder = tempFolder();
    writeFileSync(
      lockFileOf(folder),
      JSON.stringify({
        pid: 1,
        command: 'old',
        startedAt: '2020-01-01T00:00:00Z',
        processStart: '0',
        token: 'x',
      }),
    );

    // Act
    const release = acquireFolderLock(folder);

    // Assess
    expect(existsSync(lockFileOf(folder))).toBe(true);
    release();
  });
});
