import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ObjectStorage, StoredObject } from './types.ts';
import { assertValidKey, ObjectNotFoundError } from './types.ts';

/** Temporary files are named `.<name>.tmp-<random>` next to their final name; list() hides them. */
const TEMPORARY_FILE = /^\..+\.tmp-[0-9a-f]+$/;

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

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
  ): Promise<{ bytes: number }> {
    const finalPath = pathOf(key);
    const dir = dirname(finalPath);
    await mkdir(dir, { recursive: true });
    const tempPath = join(dir, `.${basename(finalPath)}.tmp-${randomBytes(6).toString('hex')}`);
    // flush: fsync before close, so the rename never publishes a file whose data is not on disk.
    const sink = createWriteStream(tempPath, { flush: true });
    try {
      await write(sink);
      if (!sink.writableEnded) sink.end();
      await finished(sink);
      await rename(tempPath, finalPath);
      await fsyncDirectory(dir);
      return { bytes: sink.bytesWritten };
    } catch (error) {
      sink.destroy();
      await rm(tempPath, { force: true });
      throw error;
    }
  }

  async function walk(dir: string, out: StoredObject[], prefix: string): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const key = relative(rootDir, path).split(sep).join('/');
      if (entry.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(path, out, prefix);
      } else if (entry.isFile() && !TEMPORARY_FILE.test(entry.name) && key.startsWith(prefix)) {
        const info = await stat(path).catch((error: unknown) => {
          if (isNotFound(error)) return undefined;
          throw error;
        });
        if (info) out.push({ key, size: info.size, lastModified: info.mtime });
      }
    }
  }

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
      await walk(rootDir, out, prefix);
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    async deleteObject(key) {
      await rm(pathOf(key), { force: true });
    },
    writeAtomically,
  };
}
