import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type BigIntStats, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { isProcessAlive, processStartTime } from '../process-identity.ts';
import type { ObjectStorage, StoredObject, WriteAtomicallyOptions } from './types.ts';
import { assertValidKey, ObjectNotFoundError } from './types.ts';

/**
 * Temporary files are named `.<name>.tmp-<pid>-<process start>-<random>` next to their final
 * name (older versions: `.<name>.tmp-<random>`); list() hides them. The writer's pid and start
 * time let a later write tell a dead writer's leftover from a live writer's file.
 */
const TEMPORARY_FILE = /^\.(.+)\.tmp-(?:(\d+)-(\d+|x)-)?[0-9a-f]+$/;

/** This process's part of its temporary names: `<pid>-<process start>`. */
const WRITER = `${process.pid}-${processStartTime(process.pid) ?? 'x'}`;

/**
 * Deletes the temporary files in `dir` whose writer process is gone (SIGKILLed mid-write, as
 * the local runtime does to leftover tasks at restart), so no hidden leftover outlives the
 * next write in its folder. A file of a live writer, or in the old naming without a writer, is
 * left alone (removeAbandonedWrites takes those by age).
 */
async function removeDeadWritersTemporaryFiles(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const match = TEMPORARY_FILE.exec(name);
    const pid = match?.[2];
    const start = match?.[3];
    if (pid === undefined || start === undefined) continue;
    if (`${pid}-${start}` === WRITER || isProcessAlive(Number(pid), start === 'x' ? undefined : start))
      continue;
    await rm(join(dir, name), { force: true });
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

/** A file's identity as far as publishing is concerned: rename keeps all four, a rewrite changes them. */
const fileVersion = (info: BigIntStats) => `${info.dev}-${info.ino}-${info.size}-${info.mtimeNs}`;

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Object storage in a local folder; writes are temp file + fsync + rename. */
export function openLocalStorage(rootDir: string): ObjectStorage {
  const where = `local folder ${rootDir}`;
  const pathOf = (key: string) => {
    assertValidKey(key);
    return join(rootDir, ...key.split('/'));
  };

  async function writeAtomically(
    key: string,
    write: (sink: Writable) => Promise<void>,
    options: WriteAtomicallyOptions = {},
  ): Promise<{ bytes: number }> {
    const finalPath = pathOf(key);
    const dir = dirname(finalPath);
    await mkdir(dir, { recursive: true });
    await removeDeadWritersTemporaryFiles(dir);
    const tempPath = join(dir, `.${basename(finalPath)}.tmp-${WRITER}-${randomBytes(6).toString('hex')}`);
    // flush: fsync before close, so the rename never publishes a file whose data is not on disk.
    const sink = createWriteStream(tempPath, { flush: true });
    try {
      await write(sink);
      if (!sink.writableEnded) sink.end();
      await finished(sink);
      if (options.beforePublish) {
        const info = await stat(tempPath, { bigint: true });
        await options.beforePublish({ bytes: sink.bytesWritten, version: fileVersion(info) });
      }
      await rename(tempPath, finalPath);
      await fsyncDirectory(dir);
      return { bytes: sink.bytesWritten };
    } catch (error) {
      // Wait for the stream to close: a writer failing at once can beat the stream's own
      // (asynchronous) open, which would otherwise create the temp file after rm removed it.
      const closed = sink.closed ? Promise.resolve() : once(sink, 'close').catch(() => undefined);
      sink.destroy();
      await closed;
      await rm(tempPath, { force: true });
      throw error;
    }
  }

  /** Visits the files under the folders that can hold keys starting with `prefix`. */
  async function walk(dir: string, prefix: string, visit: (name: string, path: string) => Promise<void>) {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        const key = relative(rootDir, path).split(sep).join('/');
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(path, prefix, visit);
      } else if (entry.isFile()) {
        await visit(entry.name, path);
      }
    }
  }

  const keyOf = (path: string) => relative(rootDir, path).split(sep).join('/');
  const statIfPresent = (path: string) =>
    lstat(path).catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });

  return {
    description: where,
    async putObject(key, body) {
      await writeAtomically(key, async (sink) => {
        sink.end(body);
      });
    },
    async getObject(key) {
      try {
        return await readFile(pathOf(key));
      } catch (error) {
        if (isNotFound(error)) throw new ObjectNotFoundError(key, where);
        throw error;
      }
    },
    async exists(key) {
      try {
        return (await stat(pathOf(key))).isFile();
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    },
    async list(prefix) {
      const out: StoredObject[] = [];
      await walk(rootDir, prefix, async (name, path) => {
        const key = keyOf(path);
        if (TEMPORARY_FILE.test(name) || !key.startsWith(prefix)) return;
        const info = await statIfPresent(path);
        if (info) out.push({ key, size: info.size, lastModified: info.mtime });
      });
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    async deleteObject(key) {
      await rm(pathOf(key), { force: true });
    },
    async versionOf(key) {
      try {
        const info = await stat(pathOf(key), { bigint: true });
        return info.isFile() ? fileVersion(info) : undefined;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    writeAtomically,
    async removeAbandonedWrites(prefix, startedBefore) {
      let removed = 0;
      await walk(rootDir, prefix, async (name, path) => {
        // Match on the key the temp file would have published, as S3 matches the upload's key.
        const finalName = TEMPORARY_FILE.exec(name)?.[1];
        if (finalName === undefined || !keyOf(join(dirname(path), finalName)).startsWith(prefix)) return;
        // A live writer keeps touching its temp file; one untouched since the cutoff was abandoned.
        const info = await statIfPresent(path);
        if (!info || info.mtime >= startedBefore) return;
        await rm(path, { force: true });
        removed += 1;
      });
      return removed;
    },
  };
}
