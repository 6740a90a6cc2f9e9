import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStorage } from '#lib/storage/index.ts';
import { openStorage, parseS3Url, storageConfigFromEnv } from '#lib/storage/index.ts';
import { startTestS3 } from '../support/s3rver.ts';

const KINDS = ['local', 's3'] as const;

/** A readable of `size` bytes in 64 KiB chunks, each byte derived from its offset. */
function patternStream(size: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= size) {
        this.push(null);
        return;
      }
      const length = Math.min(64 * 1024, size - offset);
      const chunk = Buffer.alloc(length);
      for (let index = 0; index < length; index += 1) chunk[index] = (offset + index) % 251;
      offset += length;
      this.push(chunk);
    },
  });
}

describe.each(KINDS)('object storage (%s)', (kind) => {
  let storage: ObjectStorage;
  let cleanup: () => Promise<void>;
  let localRoot = '';

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), `sfn-storage-${kind}-`));
    if (kind === 'local') {
      localRoot = join(dir, 'objects');
      storage = openStorage({ rootDir: localRoot });
      cleanup = () => rm(dir, { recursive: true, force: true });
      return;
    }
    // s3rver (npm) speaks the S3 REST API on 127.0.0.1, including multipart uploads.
    const server = await startTestS3();
    storage = openStorage({ url: `s3://${server.bucket}/tenant-a`, s3Client: server.client });
    cleanup = async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    };
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('stores, reads, lists and deletes objects with Japanese content', async () => {
    await storage.putObject('manifests/run-1.json', JSON.stringify({ name: '冷蔵庫温度記録' }));
    await storage.putObject('manifests/run-2.json', Buffer.from('{}'));
    await storage.putObject('exports/1/2/2026-10.xlsx', 'x');

    const body = await storage.getObject('manifests/run-1.json');
    const listed = await storage.list('manifests/');
    await storage.deleteObject('manifests/run-2.json');

    expect(JSON.parse(body.toString('utf8'))).toEqual({ name: '冷蔵庫温度記録' });
    expect(listed.map((object) => [object.key, object.size])).toEqual([
      ['manifests/run-1.json', Buffer.byteLength(JSON.stringify({ name: '冷蔵庫温度記録' }))],
      ['manifests/run-2.json', 2],
    ]);
    expect(listed[0]?.lastModified).toBeInstanceOf(Date);
    expect(await storage.exists('manifests/run-2.json')).toBe(false);
    expect(await storage.exists('manifests/run-1.json')).toBe(true);
  });

  it('throws ObjectNotFoundError for a missing key', async () => {
    await expect(storage.getObject('missing/nothing.json')).rejects.toMatchObject({
      name: 'ObjectNotFoundError',
    });
  });

  it('deletes a missing key without error', async () => {
    await expect(storage.deleteObject('missing/again.json')).resolves.toBeUndefined();
  });

  it('rejects keys that could escape the storage root', async () => {
    await expect(storage.putObject('../outside.txt', 'x')).rejects.toThrow(/\.\./);
    await expect(storage.getObject('/absolute')).rejects.toThrow(/relative path/);
  });

  it('streams a multi-part object and publishes it whole at the key', async () => {
    const size = 12 * 1024 * 1024 + 123;
    let visibleDuringWrite = true;

    const { bytes } = await storage.writeAtomically('exports/1/2/big.xlsx', async (sink) => {
      await pipeline(patternStream(size / 2), sink, { end: false });
      visibleDuringWrite = await storage.exists('exports/1/2/big.xlsx');
      await pipeline(patternStream(size - Math.floor(size / 2)), sink);
    });

    const stored = await storage.getObject('exports/1/2/big.xlsx');
    expect(bytes).toBe(size);
    expect(stored.length).toBe(size);
    expect(stored[size - 1]).toBe((size - Math.floor(size / 2) - 1) % 251);
    expect(visibleDuringWrite).toBe(false);
  });

  it('ends the sink itself when the writer does not', async () => {
    const { bytes } = await storage.writeAtomically('exports/1/2/small.xlsx', async (sink) => {
      sink.write('年月日');
    });

    expect(bytes).toBe(Buffer.byteLength('年月日'));
    expect((await storage.getObject('exports/1/2/small.xlsx')).toString('utf8')).toBe('年月日');
  });

  it('leaves the previous object and no partial file when the writer fails', async () => {
    await storage.putObject('exports/1/3/2026-10.xlsx', 'previous version');

    const failed = storage.writeAtomically('exports/1/3/2026-10.xlsx', async (sink) => {
      sink.write(Buffer.alloc(6 * 1024 * 1024, 1));
      throw new Error('converter crashed');
    });

    await expect(failed).rejects.toThrow('converter crashed');
    expect((await storage.getObject('exports/1/3/2026-10.xlsx')).toString()).toBe('previous version');
    expect((await storage.list('exports/1/3/')).map((object) => object.key)).toEqual([
      'exports/1/3/2026-10.xlsx',
    ]);
    if (kind === 'local')
      expect(await readdir(join(localRoot, 'exports', '1', '3'))).toEqual(['2026-10.xlsx']);
  });
});

describe('storage configuration', () => {
  it('parses bucket and prefix from an s3 url', () => {
    expect(parseS3Url('s3://acme-exports/sfn-batch/')).toEqual({
      bucket: 'acme-exports',
      prefix: 'sfn-batch',
    });
    expect(parseS3Url('s3://acme-exports')).toEqual({ bucket: 'acme-exports', prefix: '' });
  });

  it('reads S3 settings and the local data folder from the environment', () => {
    expect(
      storageConfigFromEnv({
        SFN_BATCH_STORAGE_URL: 's3://b/p',
        SFN_BATCH_S3_ENDPOINT: 'http://127.0.0.1:4569',
      }),
    ).toEqual({ url: 's3://b/p', s3: { endpoint: 'http://127.0.0.1:4569', forcePathStyle: true } });
    expect(storageConfigFromEnv({ SFN_BATCH_DATA_DIR: '/tmp/d' })).toEqual({ rootDir: '/tmp/d/objects' });
    expect(storageConfigFromEnv({})).toEqual({ rootDir: '.data/objects' });
  });

  it('names the variable when the storage url is not an s3 url', () => {
    expect(() => storageConfigFromEnv({ SFN_BATCH_STORAGE_URL: 'gs://x' })).toThrow(/SFN_BATCH_STORAGE_URL/);
  });
});
