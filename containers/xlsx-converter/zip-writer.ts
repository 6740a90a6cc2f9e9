import { once } from 'node:events';
import type { TransformOptions, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { constants, crc32, createDeflateRaw, type ZlibOptions } from 'node:zlib';

/*
 * A minimal streaming ZIP writer on node:zlib: deflate (level 1 by default, as
 * exceljs and archiver use), native crc32, data descriptors so entries of unknown
 * size stream straight through, and ZIP64 records only when an entry or the
 * archive passes 4 GiB (so ordinary files are plain ZIP that every reader opens).
 * yazl was measured first: its pure-JS crc32 took ~10% of the converter's CPU.
 */

const ZIP64_LIMIT = 0xffff_ffff;
const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;

/**
 * A deep input queue lets zlib compress on the thread pool while the caller renders
 * the next rows; with the default 16 KiB the two take turns. Level 1 unless the
 * writer is given another.
 */
export const DEFLATE_OPTIONS: ZlibOptions & TransformOptions = {
  level: constants.Z_BEST_SPEED,
  chunkSize: 64 * 1024,
  writableHighWaterMark: 1024 * 1024,
  readableHighWaterMark: 256 * 1024,
};

interface EntryRecord {
  name: Buffer;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  offset: number;
  dosTime: number;
  dosDate: number;
}

/** One entry being streamed; write text or bytes, then `end()`. */
export interface ZipEntryWriter {
  /** Resolves when the deflater has room again (backpressure). */
  write(data: string | Buffer): Promise<void>;
  end(): Promise<void>;
}

function dosDateTime(date: Date): { dosTime: number; dosDate: number } {
  return {
    dosTime: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2),
    dosDate: ((date.getUTCFullYear() - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  };
}

export class ZipWriter {
  readonly #sink: Writable;
  readonly #level: number;
  readonly #entries: EntryRecord[] = [];
  readonly #modified: { dosTime: number; dosDate: number };
  readonly #zip64Above: number;
  /**
   * Rejects when the sink fails (a full disk, say). Every wait for the sink races
   * it: a file stream reports a failed write later, often while the caller renders rows, and
   * an 'error' event with no listener would end the converter's process.
   */
  readonly #sinkFailed: Promise<never>;
  #offset = 0;
  #busy = false;

  /** `zip64Above` lowers the size at which ZIP64 records are used (tests exercise them with small files). */
  constructor(sink: Writable, options: { level?: number; modified?: Date; zip64Above?: number } = {}) {
    this.#sink = sink;
    this.#zip64Above = options.zip64Above ?? ZIP64_LIMIT;
    this.#level = options.level ?? constants.Z_BEST_SPEED;
    this.#modified = dosDateTime(options.modified ?? new Date());
    this.#sinkFailed = new Promise<never>((_, reject) => sink.on('error', reject));
    this.#sinkFailed.catch(() => undefined);
  }

  /** Bytes written to the sink so far. */
  get bytesWritten(): number {
    return this.#offset;
  }

  async #emit(buffer: Buffer): Promise<void> {
    this.#offset += buffer.length;
    if (!this.#sink.write(buffer)) await Promise.race([once(this.#sink, 'drain'), this.#sinkFailed]);
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
    const record: EntryRecord = {
      name: Buffer.from(name, 'utf8'),
      crc: 0,
      compressedSize: 0,
      uncompressedSize: 0,
      offset: this.#offset,
      ...this.#modified,
    };
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(45, 4); // version 4.5: may carry ZIP64 descriptors
    header.writeUInt16LE(FLAG_DATA_DESCRIPTOR | FLAG_UTF8, 6);
    header.writeUInt16LE(8, 8); // deflate
    header.writeUInt16LE(record.dosTime, 10);
    header.writeUInt16LE(record.dosDate, 12);
    header.writeUInt16LE(record.name.length, 26);
    await this.#emit(Buffer.concat([header, record.name]));

    const deflate = createDeflateRaw({ ...DEFLATE_OPTIONS, level: this.#level });
    // Reading the deflater chunk by chunk, waiting for the sink each time, carries
    // the sink's backpressure back to `write()`.
    const drained = (async () => {
      for await (const chunk of deflate) {
        record.compressedSize += (chunk as Buffer).length;
        await this.#emit(chunk as Buffer);
      }
    })();
    let failed: unknown;
    drained.catch((error: unknown) => {
      failed = error;
    });

    return {
      write: async (data) => {
        if (failed !== undefined) throw failed;
        const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
        record.crc = crc32(buffer, record.crc);
        record.uncompressedSize += buffer.length;
        if (!deflate.write(buffer)) await Promise.race([once(deflate, 'drain'), drained]);
      },
      end: async () => {
        deflate.end();
        await drained;
        const zip64 = record.compressedSize > this.#zip64Above || record.uncompressedSize > this.#zip64Above;
        const descriptor = Buffer.alloc(zip64 ? 24 : 16);
        descriptor.writeUInt32LE(0x08074b50, 0);
        descriptor.writeUInt32LE(record.crc, 4);
        if (zip64) {
          descriptor.writeBigUInt64LE(BigInt(record.compressedSize), 8);
          descriptor.writeBigUInt64LE(BigInt(record.uncompressedSize), 16);
        } else {
          descriptor.writeUInt32LE(record.compressedSize, 8);
          descriptor.writeUInt32LE(record.uncompressedSize, 12);
        }
        await this.#emit(descriptor);
        this.#entries.push(record);
        this.#busy = false;
      },
    };
  }

  /** Writes the central directory and ends the sink. */
  async finish(): Promise<void> {
    if (this.#busy) throw new Error('zip finished while an entry is still being written');
    const directoryOffset = this.#offset;
    for (const entry of this.#entries) {
      const needs64 =
        entry.compressedSize > this.#zip64Above ||
        entry.uncompressedSize > this.#zip64Above ||
        entry.offset > this.#zip64Above;
      const extra = needs64 ? Buffer.alloc(28) : Buffer.alloc(0);
      if (needs64) {
        extra.writeUInt16LE(0x0001, 0);
        extra.writeUInt16LE(24, 2);
        extra.writeBigUInt64LE(BigInt(entry.uncompressedSize), 4);
        extra.writeBigUInt64LE(BigInt(entry.compressedSize), 12);
        extra.writeBigUInt64LE(BigInt(entry.offset), 20);
      }
      const header = Buffer.alloc(46);
      header.writeUInt32LE(0x02014b50, 0);
      header.writeUInt16LE(45, 4); // made by: version 4.5, MS-DOS attributes
      header.writeUInt16LE(45, 6);
      header.writeUInt16LE(FLAG_DATA_DESCRIPTOR | FLAG_UTF8, 8);
      header.writeUInt16LE(8, 10);
      header.writeUInt16LE(entry.dosTime, 12);
      header.writeUInt16LE(entry.dosDate, 14);
      header.writeUInt32LE(entry.crc, 16);
      header.writeUInt32LE(needs64 ? ZIP64_LIMIT : entry.compressedSize, 20);
      header.writeUInt32LE(needs64 ? ZIP64_LIMIT : entry.uncompressedSize, 24);
      header.writeUInt16LE(entry.name.length, 28);
      header.writeUInt16LE(extra.length, 30);
      header.writeUInt32LE(needs64 ? ZIP64_LIMIT : entry.offset, 42);
      await this.#emit(Buffer.concat([header, entry.name, extra]));
    }
    const directorySize = this.#offset - directoryOffset;
    const count = this.#entries.length;
    const zip64End = directoryOffset > this.#zip64Above || directorySize > this.#zip64Above || count > 0xffff;
    if (zip64End) {
      const zip64End = Buffer.alloc(56);
      const zip64EndOffset = this.#offset;
      zip64End.writeUInt32LE(0x06064b50, 0);
      zip64End.writeBigUInt64LE(44n, 4);
      zip64End.writeUInt16LE(45, 12);
      zip64End.writeUInt16LE(45, 14);
      zip64End.writeBigUInt64LE(BigInt(count), 24);
      zip64End.writeBigUInt64LE(BigInt(count), 32);
      zip64End.writeBigUInt64LE(BigInt(directorySize), 40);
      zip64End.writeBigUInt64LE(BigInt(directoryOffset), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(0x07064b50, 0);
      locator.writeBigUInt64LE(BigInt(zip64EndOffset), 8);
      locator.writeUInt32LE(1, 16);
      await this.#emit(Buffer.concat([zip64End, locator]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    // With a ZIP64 end record, the classic one only points readers to it.
    end.writeUInt16LE(zip64End ? 0xffff : count, 8);
    end.writeUInt16LE(zip64End ? 0xffff : count, 10);
    end.writeUInt32LE(zip64End ? ZIP64_LIMIT : directorySize, 12);
    end.writeUInt32LE(zip64End ? ZIP64_LIMIT : directoryOffset, 16);
    await this.#emit(end);
    this.#sink.end();
    await finished(this.#sink);
  }
}
