/** S3 URL parsing, apart from s3-storage.ts so that reading the config never loads the AWS SDK. */
export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slash; '' for the bucket root. */
  prefix: string;
}

/** Parses `s3://bucket/optional/prefix`. */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match?.[1]) {
    throw new Error(
      `Storage URL ${JSON.stringify(url)} is not a valid S3 URL: use s3://<bucket>/<optional prefix>, e.g. s3://acme-exports/sfn-batch`,
    );
  }
  return { bucket: match[1], prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}
