import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { PassThrough, Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { parseS3Url } from './s3-url.ts';
import type { ObjectStorage, StoredObject, WriteAtomicallyOptions } from './types.ts';

export { parseS3Url, type S3Location } from './s3-url.ts';

import { assertValidKey, ObjectNotFoundError } from './types.ts';

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string'
    ? error.name
    : undefined;
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('$metadata' in error)) return undefined;
  const metadata = error.$metadata;
  return typeof metadata === 'object' && metadata !== null && 'httpStatusCode' in metadata
    ? Number(metadata.httpStatusCode)
    : undefined;
}

/** Part size of streaming uploads: S3's minimum; memory is about partSize × queueSize. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 4;
/** User metadata (x-amz-meta-…) naming the write that published an object; see versionOf. */
const VERSION_METADATA = 'sfn-batch-version';

/**
 * Object storage in an S3 bucket under a prefix.
 *
 * writeAtomically streams a multipart upload (lib-storage Upload) straight to the final
 * key: S3 shows no object until CompleteMultipartUpload (or the single PutObject of a
 * small body) succeeds, and then shows all of it. A crash mid-upload leaves an invisible
 * incomplete upload (aborted by removeAbandonedWrites, which cleanup-expired-exports
 * runs, and by the bucket's AbortIncompleteMultipartUpload lifecycle
 * rule), never a partial object. This is as atomic for readers as temp key + CopyObject,
 * without copying every byte twice (CopyObject also caps at 5 GB per request).
 */
export function openS3Storage(
  url: string,
  clientConfig: S3ClientConfig = {},
  client?: S3Client,
): ObjectStorage {
  const { bucket, prefix } = parseS3Url(url);
  const s3 = client ?? new S3Client(clientConfig);
  const description = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
  const fullKey = (key: string) => {
    assertValidKey(key);
    return prefix ? `${prefix}/${key}` : key;
  };
  const listPrefix = prefix ? `${prefix}/` : '';

  return {
    description,
    async putObject(key, body) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: fullKey(key), Body: body }));
    },
    async getObject(key) {
      try {
        const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
        if (!result.Body) return Buffer.alloc(0);
        return Buffer.from(await result.Body.transformToByteArray());
      } catch (error) {
        if (errorName(error) === 'NoSuchKey' || httpStatus(error) === 404)
          throw new ObjectNotFoundError(key, description);
        throw error;
      }
    },
    async exists(key) {
      try {
        await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
        return true;
      } catch (error) {
        if (errorName(error) === 'NotFound' || httpStatus(error) === 404) return false;
        throw error;
      }
    },
    async list(keyPrefix) {
      const out: StoredObject[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: listPrefix + keyPrefix,
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? []) {
          if (!object.Key) continue;
          out.push({
            key: object.Key.slice(listPrefix.length),
            size: object.Size ?? 0,
            lastModified: object.LastModified ?? new Date(0),
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    async deleteObject(key) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
    },
    async versionOf(key) {
      try {
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: fullKey(key) }));
        return head.Metadata?.[VERSION_METADATA];
      } catch (error) {
        if (errorName(error) === 'NotFound' || httpStatus(error) === 404) return undefined;
        throw error;
      }
    },
    async writeAtomically(
      key,
      write: (sink: Writable) => Promise<void>,
      options: WriteAtomicallyOptions = {},
    ) {
      let bytes = 0;
      const version = randomUUID();
      // Upload pulls parts from the body, so a writer that respects write() returning false
      // is held back while parts upload (bounded memory).
      // The writer writes (and ends) this counting sink, piped into the upload body, which
      // ends only after beforePublish: S3 cannot publish (PutObject or CompleteMultipartUpload)
      // before the body ends. Once the sink has finished, every byte is counted.
      const sink = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          bytes += chunk.length;
          callback(null, chunk);
        },
      });
      const body = new PassThrough();
      sink.pipe(body, { end: false });
      const upload = new Upload({
        client: s3,
        params: { Bucket: bucket, Key: fullKey(key), Body: body, Metadata: { [VERSION_METADATA]: version } },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      });
      const uploaded = upload.done();
      // Keep a rejection from being unhandled while write() is still running.
      uploaded.catch(() => undefined);
      const writing = (async () => write(sink))();
      // When the upload fails first, the writer is left running and fails later (its sink is
      // destroyed below); that later rejection is a consequence, not news.
      writing.catch(() => undefined);
      try {
        // Once the upload has failed nothing reads the sink any more, so a writer that waits
        // for 'drain' would wait forever: the upload's failure ends the write at once.
        await Promise.race([writing, uploaded]);
        if (!sink.writableEnded) sink.end();
        await Promise.race([finished(sink), uploaded]);
        await options.beforePublish?.({ bytes, version });
        body.end();
        await uploaded;
        return { bytes };
      } catch (error) {
        await upload.abort().catch(() => undefined);
        // Destroyed with the error, so a writer still waiting on the sink ('drain', pipeline)
        // fails now instead of hanging; the listener keeps a writer that does not listen
        // for 'error' from turning it into an uncaught exception.
        sink.on('error', () => undefined);
        sink.destroy(error instanceof Error ? error : new Error(String(error)));
        body.destroy();
        await uploaded.catch(() => undefined);
        throw error;
      }
    },
    async removeAbandonedWrites(keyPrefix, startedBefore) {
      let removed = 0;
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      do {
        const page = await s3.send(
          new ListMultipartUploadsCommand({
            Bucket: bucket,
            Prefix: listPrefix + keyPrefix,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const upload of page.Uploads ?? []) {
          if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated >= startedBefore)
            continue;
          try {
            await s3.send(
              new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
            );
            removed += 1;
          } catch (error) {
            // Completed or aborted since it was listed: nothing is left to remove.
            if (errorName(error) !== 'NoSuchUpload' && httpStatus(error) !== 404) throw error;
          }
        }
        const truncated = page.IsTruncated === true;
        keyMarker = truncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = truncated ? page.NextUploadIdMarker : undefined;
      } while (keyMarker !== undefined);
      return removed;
    },
  };
}
