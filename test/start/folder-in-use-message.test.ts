import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderInUseError } from '../../lib/db/folder-lock.ts';
import { describeFolderInUse, writeRuntimeFile } from '../../local/runtime-file.ts';

describe('describeFolderInUse: the refusal for a data folder another process holds', () => {
  it('names the database process left by an npm start that has ended, and how to end it', async () => {
    // Prepare: runtime.json of an npm start that is gone (a process that has exited), and a
    // lock held by its database process (this test's own pid stands in for it: it is alive).
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-folder-in-use-'));
    const endedPid = spawnSync('true').pid;
    await writeRuntimeFile(dataDir, {
      endpoint: 'http://127.0.0.1:4000',
      pid: endedPid,
      startedAt: '2026-11-30T00:00:00.000Z',
      stage: 'local',
      databasePid: process.pid,
    });
    const folder = path.join(dataDir, 'pglite');
    const error = new FolderInUseError(folder, `${folder}.lock`, {
      pid: process.pid,
      command: 'node local/database/database-process.ts --pglite-dir .data/pglite',
      startedAt: '2026-11-30T00:00:00.000Z',
      token: 'abc',
    });

    // Act
    const message = await describeFolderInUse(error, dataDir);

    // Assess: not "Stop it first (Ctrl-C in its terminal, or kill <the ended pid>)".
    expect(message).toContain(`is still held by pid ${process.pid}`);
    expect(message).toContain(
      `an npm start (pid ${endedPid}, up since 2026-11-30T00:00:00.000Z) that has ended`,
    );
    expect(message).toContain(`kill -KILL ${process.pid}`);
    expect(message).not.toContain(`kill ${endedPid}`);
  });
});
