import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JobWorld, openJobWorld, resultOf, runOk } from './harness.ts';

const SCHEDULED = '2026-11-21T18:00:00Z';

describe('cleanup-expired-exports and abandoned writes (child process, local storage)', {
  timeout: 60_000,
}, () => {
  let env: JobWorld;

  beforeAll(async () => {
    env = await openJobWorld();
  });
  afterAll(() => env.dispose());

  it('removes a temp file a killed converter left days ago and keeps one written within the last day', async () => {
    const folder = join(env.dataDir, 'objects', 'exports', '7', '8');
    await mkdir(folder, { recursive: true });
    const leftover = join(folder, '.2026-09.xlsx.tmp-0a1b2c3d4e5f');
    const recent = join(folder, '.2026-10.xlsx.tmp-abcdef012345');
    await writeFile(leftover, 'half an xlsx');
    await writeFile(recent, 'being written');
    await utimes(leftover, new Date('2026-11-19T00:00:00Z'), new Date('2026-11-19T00:00:00Z'));
    await utimes(recent, new Date('2026-11-21T12:00:00Z'), new Date('2026-11-21T12:00:00Z'));
    await env.storage.putObject('exports/7/8/2026-08.xlsx', 'published');

    const run = await runOk(env, ['cleanup-expired-exports', '--retention-days', '90'], {
      scheduledTime: SCHEDULED,
    });

    expect((await readdir(folder)).sort()).toEqual(['.2026-10.xlsx.tmp-abcdef012345', '2026-08.xlsx']);
    expect(resultOf(run)).toMatchObject({
      abandonedWritesBefore: '2026-11-20T18:00:00.000Z',
      abandonedWritesRemoved: 1,
    });
  });
});
