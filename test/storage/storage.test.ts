import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  type ListMultipartUploadsCommandOutput,
  NoSuchUpload,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ObjectStorage } from '#lib/storage/index.ts';
import { openStorage, parseS3Url, storageConfigFromEnv } from '#lib/storage/index.ts';
import { openS3Storage } from '#lib/storage/s3-storage.ts';
import { NODE, REPO, spawnWithOutput } from '../support/processes.ts';
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

  it('tells beforePublish every byte and a version that versionOf reports once published, and only then', async () => {
    // Prepare
    const key = 'exports/1/4/2026-10.xlsx';
    const seen: { bytes: number; version: string; visible: boolean; versionThen: string | undefined }[] = [];
    const write = (body: string) =>
      storage.writeAtomically(key, async (sink) => void sink.end(body), {
        beforePublish: async (pending) => {
          seen.push({
            ...pending,
            visible: await storage.exists(key),
            versionThen: await storage.versionOf(key),
          });
        },
      });

    // Act
    await write('first');
    const firstVersion = await storage.versionOf(key);
    await write('second, longer');
    const secondVersion = await storage.versionOf(key);
    const refused = storage.writeAtomically(key, async (sink) => void sink.end('third'), {
      beforePublish: async () => {
        throw new Error('database down');
      },
    });

    // Assess
    await expect(refused).rejects.toThrow('database down');
    expect(seen.map(({ bytes, visible }) => ({ bytes, visible }))).toEqual([
      { bytes: 5, visible: false },
      { bytes: 14, visible: true },
    ]);
    expect(seen[0]?.versionThen).toBeUndefined();
    expect(firstVersion).toBe(seen[0]?.version);
    expect(seen[1]?.versionThen).toBe(firstVersion);
    expect(secondVersion).toBe(seen[1]?.version);
    expect(secondVersion).not.toBe(firstVersion);
    expect(await storage.versionOf(key)).toBe(secondVersion);
    expect((await storage.getObject(key)).toString()).toBe('second, longer');
    expect(await storage.versionOf('exports/1/4/missing.xlsx')).toBeUndefined();
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

const CUTOFF = new Date('2026-11-20T18:00:00Z');
const OLD = new Date('2026-11-19T00:00:00Z');
const FRESH = new Date('2026-11-21T12:00:00Z');

describe('abandoned writes (local folder)', () => {
  it('removes temp files under the prefix last modified before the cutoff and keeps the rest', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sfn-storage-abandoned-'));
    const storage = openStorage({ rootDir: root });
    const file = async (path: string, mtime: Date) => {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), 'x');
      await utimes(join(root, path), mtime, mtime);
    };
    await file('exports/1/2/.2026-09.xlsx.tmp-0a1b2c', OLD);
    await file('exports/1/3/.2026-09.xlsx.tmp-3d4e5f', OLD);
    await file('exports/1/2/.2026-10.xlsx.tmp-abcdef', FRESH);
    await file('exports/1/2/2026-08.xlsx', OLD);
    await file('manifests/.run-1.json.tmp-012345', OLD);

    const removed = await storage.removeAbandonedWrites('exports/1/', CUTOFF);

    try {
      expect(removed).toBe(2);
      expect((await readdir(join(root, 'exports', '1', '2'))).sort()).toEqual([
        '.2026-10.xlsx.tmp-abcdef',
        '2026-08.xlsx',
      ]);
      expect(await readdir(join(root, 'exports', '1', '3'))).toEqual([]);
      expect(await readdir(join(root, 'manifests'))).toEqual(['.run-1.json.tmp-012345']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("removes a SIGKILLed writer's temporary file at the next write in its folder, and keeps a live writer's", async () => {
    // Prepare: two real writer processes stop mid-write in one folder; one is SIGKILLed.
    const root = await mkdtemp(join(tmpdir(), 'sfn-storage-dead-writer-'));
    const folder = join(root, 'exports', '1', '2');
    const writer = (key: string) =>
      spawnWithOutput('writer', NODE, [
        '--input-type=module',
        '-e',
        `import { openLocalStorage } from ${JSON.stringify(join(REPO, 'lib', 'storage', 'local-storage.ts'))};
         setInterval(() => undefined, 1000);
         await openLocalStorage(${JSON.stringify(root)}).writeAtomically(${JSON.stringify(key)}, async (sink) => {
           sink.write('half a file');
           // The temp file exists once the stream has opened it.
           if (sink.pending) await new Promise((resolve) => sink.once('ready', resolve));
           console.log('writing');
           await new Promise(() => undefined);
         });`,
      ]);
    const dead = writer('exports/1/2/2026-09.xlsx');
    const live = writer('exports/1/2/2026-10.xlsx');
    try {
      await dead.waitForOutput('writing', 30_000);
      await live.waitForOutput('writing', 30_000);
      dead.child.kill('SIGKILL');
      await dead.exit;
      // A pid that lives on (1) but started at another time: the writer died and its pid was reused.
      await writeFile(join(folder, '.2026-07.xlsx.tmp-1-999999999999-0a1b2c'), 'x');
      const before = (await readdir(folder)).sort();

      // Act
      await openStorage({ rootDir: root }).putObject('exports/1/2/2026-08.xlsx', 'done');

      // Assess
      expect(before).toEqual([
        '.2026-07.xlsx.tmp-1-999999999999-0a1b2c',
        expect.stringMatching(new RegExp(`^\\.2026-09\\.xlsx\\.tmp-${dead.child.pid}-\\d+-[0-9a-f]+$`)),
        expect.stringMatching(new RegExp(`^\\.2026-10\\.xlsx\\.tmp-${live.child.pid}-\\d+-[0-9a-f]+$`)),
      ]);
      expect((await readdir(folder)).sort()).toEqual([before[2], '2026-08.xlsx']);
    } finally {
      live.child.kill('SIGKILL');
      await live.exit;
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('finds nothing to remove when the prefix folder does not exist', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sfn-storage-abandoned-'));

    const removed = await openStorage({ rootDir: root }).removeAbandonedWrites('exports/', CUTOFF);

    await rm(root, { recursive: true, force: true });
    expect(removed).toBe(0);
  });
});

// s3rver answers ListMultipartUploads with NotImplemented, so the S3 side is tested with the
// SDK client mocked at its `send` boundary: real command objects in, S3-shaped pages out.
describe('abandoned writes (S3, client mocked at send)', () => {
  it('pages through incomplete uploads under the prefix and aborts those initiated before the cutoff', async () => {
    const client = new S3Client({ region: 'us-east-1' });
    const pages: ListMultipartUploadsCommandOutput[] = [
      {
        $metadata: {},
        IsTruncated: true,
        NextKeyMarker: 'tenant-a/exports/1/2/2026-10.xlsx',
        NextUploadIdMarker: 'u2',
        Uploads: [
          { Key: 'tenant-a/exports/1/2/2026-09.xlsx', UploadId: 'u1', Initiated: OLD },
          { Key: 'tenant-a/exports/1/2/2026-10.xlsx', UploadId: 'u2', Initiated: FRESH },
        ],
      },
      {
        $metadata: {},
        IsTruncated: false,
        Uploads: [
          { Key: 'tenant-a/exports/1/3/2026-09.xlsx', UploadId: 'u3', Initiated: OLD },
          { Key: 'tenant-a/exports/1/4/2026-09.xlsx', UploadId: 'u4', Initiated: OLD },
        ],
      },
    ];
    const lists: unknown[] = [];
    const aborts: unknown[] = [];
    const send = async (command: unknown) => {
      if (command instanceof ListMultipartUploadsCommand) {
        lists.push(command.input);
        return pages.shift();
      }
      if (command instanceof AbortMultipartUploadCommand) {
        aborts.push(command.input);
        // Completed between the listing and the abort: counts as already gone, not as an error.
        if (command.input.UploadId === 'u4')
          throw new NoSuchUpload({ message: 'The specified upload does not exist', $metadata: {} });
        return { $metadata: {} };
      }
      throw new Error(`unexpected command ${String(command)}`);
    };
    vi.spyOn(client, 'send').mockImplementation(send as never);
    const storage = openS3Storage('s3://acme-exports/tenant-a', {}, client);

    const removed = await storage.removeAbandonedWrites('exports/1/', CUTOFF);

    expect(removed).toBe(2);
    expect(lists).toEqual([
      {
        Bucket: 'acme-exports',
        Prefix: 'tenant-a/exports/1/',
        KeyMarker: undefined,
        UploadIdMarker: undefined,
      },
      {
        Bucket: 'acme-exports',
        Prefix: 'tenant-a/exports/1/',
        KeyMarker: 'tenant-a/exports/1/2/2026-10.xlsx',
        UploadIdMarker: 'u2',
      },
    ]);
    expect(aborts).toEqual([
      { Bucket: 'acme-exports', Key: 'tenant-a/exports/1/2/2026-09.xlsx', UploadId: 'u1' },
      { Bucket: 'acme-exports', Key: 'tenant-a/exports/1/3/2026-09.xlsx', UploadId: 'u3' },
      { Bucket: 'acme-exports', Key: 'tenant-a/exports/1/4/2026-09.xlsx', UploadId: 'u4' },
    ]);
  });

  it('propagates a listing error such as a missing permission', async () => {
    const client = new S3Client({ region: 'us-east-1' });
    vi.spyOn(client, 'send').mockImplementation((async () => {
      throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    }) as never);

    const removing = openS3Storage('s3://acme-exports', {}, client).removeAbandonedWrites('exports/', CUTOFF);

    await expect(removing).rejects.toThrow('Access Denied');
  });
});

describe('storage configuration', () => {
  it('describes an s3 storage without loading the AWS SDK first', () => {
    expect(openStorage({ url: 's3://acme-exports/sfn-batch/' }).description).toBe(
      's3://acme-exports/sfn-batch',
    );
    expect(() => openStorage({ url: 's3://Bad_Bucket' })).toThrow(/not a valid S3 URL/);
  });

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
