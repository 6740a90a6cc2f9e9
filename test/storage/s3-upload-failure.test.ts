import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openS3Storage } from '#lib/storage/s3-storage.ts';
import { startTestS3, type TestS3 } from '../support/s3rver.ts';

/**
 * An HTTP proxy in front of s3rver that forwards everything until the first UploadPart has
 * been answered, and from then on drops the connection of every UploadPart request: S3
 * becomes unreachable for parts mid-stream, while CreateMultipartUpload, AbortMultipartUpload
 * and HeadObject still reach the real server (so the test can see what was left behind).
 */
async function startPartDroppingProxy(target: string) {
  const upstream = new URL(target);
  const seen: { method: string; query: string; status: number }[] = [];
  let partAnswered = false;
  const server: Server = createServer((incoming, outgoing) => {
    const query = new URL(incoming.url ?? '/', 'http://proxy').searchParams;
    const isUploadPart = incoming.method === 'PUT' && query.has('partNumber');
    if (isUploadPart && partAnswered) {
      seen.push({ method: 'PUT', query: `partNumber=${query.get('partNumber')}`, status: 0 });
      incoming.socket.destroy();
      return;
    }
    if (incoming.method === 'DELETE' && query.has('uploadId')) {
      // s3rver 3.7 does not implement AbortMultipartUpload (it answers 405); S3 answers 204.
      seen.push({ method: 'DELETE', query: 'uploadId', status: 204 });
      incoming.resume();
      outgoing.writeHead(204).end();
      return;
    }
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        seen.push({
          method: incoming.method ?? '',
          query: [...query.keys()].join('&'),
          status: answer.statusCode ?? 0,
        });
        if (isUploadPart) partAnswered = true;
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('S3 writeAtomically when the upload fails mid-stream', () => {
  let s3: TestS3;
  let proxy: Awaited<ReturnType<typeof startPartDroppingProxy>>;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startTestS3();
    proxy = await startPartDroppingProxy(s3.endpoint);
    client = new S3Client({
      endpoint: proxy.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
  afterAll(async () => {
    client?.destroy();
    await proxy?.close();
    await s3?.close();
  });

  // Before writeAtomically raced the writer against the upload, the writer waited for
  // 'drain' forever once the upload had stopped reading, and this test hit its timeout.
  it('fails with the upload error, aborts the upload and stops the writer, publishing nothing', {
    timeout: 30_000,
  }, async () => {
    // Prepare
    const storage = openS3Storage(`s3://${s3.bucket}/tenant-a`, {}, client);
    const key = 'exports/9/9/2026-10.xlsx';
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const { promise: writerOutcome, resolve: writerEnded } = Promise.withResolvers<unknown>();
    // Like the xlsx converter: writes until it is stopped, waiting for 'drain' when told to.
    const write = async (sink: Writable) => {
      const chunk = Buffer.alloc(64 * 1024, 7);
      try {
        for (;;) if (!sink.write(chunk)) await once(sink, 'drain');
      } catch (error) {
        writerEnded(error);
        throw error;
      }
    };

    // Act
    const outcome = await storage.writeAtomically(key, write).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    const writerError = await writerOutcome;
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', onUnhandled);

    // Assess
    // The dropped part's own error (the SDK's, after its retries), not a hang or a later one.
    expect(outcome).toBeInstanceOf(Error);
    expect(outcome).toMatchObject({ code: expect.stringMatching(/^(EPIPE|ECONNRESET)$/) });
    expect(writerError).toBeInstanceOf(Error);
    expect(unhandled).toEqual([]);
    expect(proxy.seen.some((request) => request.method === 'PUT' && request.status === 0)).toBe(true);
    expect(proxy.seen.filter((request) => request.method === 'DELETE')).toEqual([
      { method: 'DELETE', query: 'uploadId', status: 204 },
    ]);
    await expect(
      s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `tenant-a/${key}` })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });
});
