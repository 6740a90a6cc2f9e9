import { join } from 'node:path';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { dataDirSchema, emptyAsUnset, parseEnv } from '../env.ts';
import { openLocalStorage } from './local-storage.ts';
import { parseS3Url } from './s3-url.ts';
import type { ObjectStorage } from './types.ts';

export { parseS3Url } from './s3-url.ts';
export type { ObjectStorage, PendingPublish, StoredObject, WriteAtomicallyOptions } from './types.ts';
export { assertValidKey, InvalidObjectKeyError, ObjectNotFoundError } from './types.ts';

/** Default local storage folder, relative to the working directory. */
export const DEFAULT_OBJECTS_DIR = join('.data', 'objects');

export interface StorageConfig {
  /** `s3://bucket/prefix` → S3; otherwise a local folder. */
  url?: string;
  /** Local folder (default `.data/objects`). */
  rootDir?: string;
  /** S3 client settings, e.g. `{ endpoint, forcePathStyle: true }` for an S3-compatible server. */
  s3?: S3ClientConfig;
  /** A ready S3 client (tests); wins over `s3`. */
  s3Client?: S3Client;
}

/**
 * Opens object storage: S3 (streaming multipart uploads) for an `s3://bucket/prefix` url,
 * else the local folder `rootDir` (default `.data/objects`).
 */
export function openStorage(config: StorageConfig): ObjectStorage {
  if (config.url) return openS3StorageLazily(config.url, config.s3, config.s3Client);
  return openLocalStorage(config.rootDir ?? DEFAULT_OBJECTS_DIR);
}

/**
 * The AWS SDK takes about half a second to load, which every container start paid even with
 * local storage; so s3-storage.ts is imported only when an s3:// url is configured. The import
 * starts now (overlapping the caller's other start-up work) and each method awaits it, which
 * keeps openStorage synchronous for its callers. A bad url still throws here.
 */
function openS3StorageLazily(url: string, clientConfig?: S3ClientConfig, client?: S3Client): ObjectStorage {
  const { bucket, prefix } = parseS3Url(url);
  const ready = import('./s3-storage.ts').then((module) => module.openS3Storage(url, clientConfig, client));
  // A failed import is reported by the first method call; do not crash on it as unhandled.
  ready.catch(() => undefined);
  return {
    description: `s3://${bucket}${prefix ? `/${prefix}` : ''}`,
    putObject: async (key, body) => (await ready).putObject(key, body),
    getObject: async (key) => (await ready).getObject(key),
    exists: async (key) => (await ready).exists(key),
    list: async (keyPrefix) => (await ready).list(keyPrefix),
    deleteObject: async (key) => (await ready).deleteObject(key),
    writeAtomically: async (key, write, options) => (await ready).writeAtomically(key, write, options),
    versionOf: async (key) => (await ready).versionOf(key),
    removeAbandonedWrites: async (keyPrefix, startedBefore) =>
      (await ready).removeAbandonedWrites(keyPrefix, startedBefore),
  };
}

const envSchema = z.object({
  SFN_BATCH_STORAGE_URL: emptyAsUnset(
    z
      .string()
      .trim()
      .regex(/^s3:\/\/[^/]+/, 'SFN_BATCH_STORAGE_URL must look like s3://<bucket>/<optional prefix>'),
  ),
  SFN_BATCH_DATA_DIR: dataDirSchema,
  SFN_BATCH_S3_ENDPOINT: emptyAsUnset(
    z.url('SFN_BATCH_S3_ENDPOINT must be a URL such as http://127.0.0.1:4569'),
  ),
});

/**
 * Reads SFN_BATCH_STORAGE_URL (S3), SFN_BATCH_DATA_DIR (local objects in `<dir>/objects`,
 * default `.data/objects`) and SFN_BATCH_S3_ENDPOINT (an S3-compatible server, path-style).
 */
export function storageConfigFromEnv(env: NodeJS.ProcessEnv): StorageConfig {
  const {
    SFN_BATCH_STORAGE_URL: url,
    SFN_BATCH_DATA_DIR: dataRoot,
    SFN_BATCH_S3_ENDPOINT: endpoint,
  } = parseEnv(envSchema, env, 'storage');
  if (url) return endpoint ? { url, s3: { endpoint, forcePathStyle: true } } : { url };
  return { rootDir: dataRoot ? join(dataRoot, 'objects') : DEFAULT_OBJECTS_DIR };
}
