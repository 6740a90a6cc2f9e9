import { once } from 'node:events';
import { PassThrough, type TransformOptions, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { constants, type ZlibOptions } from 'node:zlib';
import ZipStream from 'zip-stream';

/*
 * The converter's streaming ZIP on zip-stream (archiver's engine, on compress-commons):
 * deflate at level 1, data descriptors so entries of unknown size stream straight
 * through, ZIP64 records when an entry or the archive passes 4 GiB. Until 2026-11-30
 * this file was our own 213-line writer; on the same ready-made sheet XML
 * (docs/benchmarks.md, "Zip writers") zip-stream packed it at 1.01x our rows/s with the
 * same peak RSS, its zip cost within the noise of ours, so the library writes the format
 * and this file only gives the converter awaitable, backpressured writes. yazl was
 * slower (0.49x: zlib's default 16 KiB queue, pure-JS CRC-32).
 */

/**
 * A deep input queue lets zlib compress on the thread pool while the caller renders
 * the next rows; with the default 16 KiB the two take turns.
 */
export const DEFLATE_OPTIONS: ZlibOptions & TransformOptions = {
  level: constants.Z_BEST_SPEED,
  chunkSize: 64 * 1024,
  writableHighWaterMark: 1024 * 1024,
  readableHighWaterMark: 256 * 1024,
};

/** One entry being streamed; write text or bytes, then `end()`. */
export interface ZipEntryWriter {
  /** Resolves when the deflater has room again (backpressure). */
  write(data: string | Buffer): Promise<void>;
  end(): Promise<void>;
}

export class ZipWriter {
  readonly #archive: ZipStream;
  readonly #sink: Writable;
  readonly #modified: Date;
  /** Rejects when the sink or the archive fails; every await races it. */
  readonly #failed: Promise<never>;
  #busy = false;

  /** `forceZip64` writes ZIP64 records for every entry (tests exercise them with small files). */
  constructor(sink: Writable, options: { level?: number; modified?: Date; forceZip64?: boolean } = {}) {
    this.#sink = sink;
    this.#modified = options.modified ?? new Date();
    this.#archive = new ZipStream({
      zlib: { ...DEFLATE_OPTIONS, level: options.level ?? constants.Z_BEST_SPEED },
      forceZip64: options.forceZip64 ?? false,
    });
    this.#archive.pipe(sink);
    this.#failed = new Promise<never>((_, reject) => {
      this.#archive.once('error', reject);
      sink.once('error', reject);
    });
    this.#failed.catch(() => undefined);
  }

  #race<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.#failed]);
  }

  /** Adds a whole entry from memory. */
  async addFile(name: string, data: string | Buffer): Promise<void> {
    const entry = await this.openEntry(name);
    await entry.write(data);
    await entry.end();
  }

  /** Starts a streamed entry; only one entry may be open at a time. */
  async openEntry(name: string): Promise<ZipEntryWriter> {
    if (this.#busy) throw new Error(`zip entry "${name}" opened while another entry is still being written`);
    this.#busy = true;
    const source = new PassThrough({ highWaterMark: 256 * 1024 });
    const added = new Promise<void>((resolve, reject) => {
      this.#archive.entry(source, { name, date: this.#modified }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
    added.catch(() => undefined);
    return {
      write: async (data) => {
        if (!source.write(data)) await this.#race(Promise.race([once(source, 'drain'), added]));
      },
      end: async () => {
        source.end();
        await this.#race(added);
        this.#busy = false;
      },
    };
  }

  /** Writes the central directory and ends the sink. */
  async finish(): Promise<void> {
    if (this.#busy) throw new Error('zip finished while an entry is still being written');
    this.#archive.finish();
    await this.#race(finished(this.#sink));
  }
}
