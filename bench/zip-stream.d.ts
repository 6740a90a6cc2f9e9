// Types for the part of zip-stream (no published typings) that bench/zip-libraries.ts uses.
declare module 'zip-stream' {
  import type { Transform, TransformOptions } from 'node:stream';
  import type { ZlibOptions } from 'node:zlib';

  interface ZipStreamOptions {
    comment?: string;
    forceLocalTime?: boolean;
    forceZip64?: boolean;
    store?: boolean;
    zlib?: ZlibOptions & TransformOptions;
  }

  interface EntryData {
    name: string;
    date?: Date;
    store?: boolean;
  }

  export default class ZipStream extends Transform {
    constructor(options?: ZipStreamOptions);
    entry(
      source: Buffer | string | NodeJS.ReadableStream,
      data: EntryData,
      callback: (error: Error | null) => void,
    ): this;
    finish(): void;
  }
}
