import type { Writable } from 'node:stream';

export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}

/** Object storage for exports, manifests and archives: a local folder or an S3 bucket/prefix. */
export interface ObjectStorage {
  /** "local folder .data/objects" / "s3://bucket/prefix" */
  readonly description: string;
  putObject(key: string, body: Buffer | string): Promise<void>;
  /** Throws ObjectNotFoundError (name 'ObjectNotFoundError') when the key does not exist. */
  getObject(key: string): Promise<Buffer>;
  exists(key: string): Promise<boolean>;
  /** Objects whose key starts with prefix, sorted by key. */
  list(prefix: string): Promise<StoredObject[]>;
  /** Idempotent: deleting a missing key succeeds. */
  deleteObject(key: string): Promise<void>;
  /**
   * Streams into a temporary object, then publishes atomically at `key`. A crash or a
   * throwing `write` leaves nothing new at `key` (a previous object stays intact).
   * `write` may end the sink itself (e.g. through `pipeline` or exceljs `commit()`);
   * if it does not, the sink is ended when `write` resolves.
   */
  writeAtomically(
    key: string,
    write: (sink: Writable) => Promise<void>,
    options?: WriteAtomicallyOptions,
  ): Promise<{ bytes: number }>;
  /**
   * The version writeAtomically reported (to `beforePublish`) for the object now at `key`;
   * undefined when there is no object there, or one written some other way.
   */
  versionOf(key: string): Promise<string | undefined>;
  /**
   * Removes what writers killed mid-write left behind for keys starting with `prefix`:
   * local temporary files last modified before `startedBefore`, or S3 incomplete multipart
   * uploads initiated before it. Returns how many were removed. Pick a cutoff well before any
   * write that may still be running: a removed in-flight write fails.
   */
  removeAbandonedWrites(prefix: string, startedBefore: Date): Promise<number>;
}

/** What a write will publish, told to `beforePublish` while nothing of it is visible yet. */
export interface PendingPublish {
  bytes: number;
  /**
   * Identifies this write's object: `versionOf(key)` returns it once (and as long as) the
   * object is at its key. S3: a random token in the object's metadata; local folder: the temp
   * file's device, inode, size and mtime, which the publishing rename keeps.
   */
  version: string;
}

export interface WriteAtomicallyOptions {
  /**
   * Awaited after every byte is written and before the object becomes visible at its key. A
   * caller records the version here (e.g. in the database): after a crash between publish and
   * its own bookkeeping, `versionOf(key)` tells whether this write was published. A throw
   * abandons the write.
   */
  beforePublish?: (pending: PendingPublish) => Promise<void>;
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  readonly key: string;
  constructor(key: string, where: string) {
    super(`Object ${key} does not exist in ${where}`);
    this.key = key;
  }
}

export class InvalidObjectKeyError extends Error {
  override readonly name = 'InvalidObjectKeyError';
}

function hasBackslashOrControlCharacter(key: string): boolean {
  for (const character of key) {
    const code = character.charCodeAt(0);
    if (character === '\\' || code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Keys are relative slash-separated paths such as `exports/12/345/2026-10.xlsx`: no leading
 * slash, no empty, `.` or `..` segment, no backslash or control character. This keeps a
 * local-folder key from escaping its root and keeps keys identical on S3.
 */
export function assertValidKey(key: string): void {
  const problem =
    key.length === 0
      ? 'is empty'
      : key.length > 1024
        ? 'is longer than 1024 characters'
        : hasBackslashOrControlCharacter(key)
          ? 'contains a backslash or control character'
          : key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')
            ? 'has an empty, "." or ".." segment (or a leading/trailing slash)'
            : undefined;
  if (problem) {
    throw new InvalidObjectKeyError(
      `Object key ${JSON.stringify(key)} ${problem}; use a relative path like exports/12/345/2026-10.xlsx`,
    );
  }
}
