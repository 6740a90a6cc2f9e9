import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import ZipStream from 'zip-stream';
import { DEFLATE_OPTIONS } from '../containers/xlsx-converter/zip-writer.ts';
import { SHEET_ENTRY } from './lower-bound.ts';

/*
 * The zip-writer comparison: the bench sheet XML, made ready before the clock
 * starts (bench/lower-bound.ts `readySheetXml`, the same chunks the deflate-only
 * floor and our own ZipWriter get), packed by the two libraries a
 * reviewer would reach for instead, at the same zlib level 1, streamed from a
 * Readable so neither holds the sheet in memory.
 */

/**
 * zip-stream (archiver's engine, through compress-commons). It passes `zlib` options
 * on to its DeflateRaw, so it gets the same deep queue as ours: only its CRC-32
 * (the pure-JS `crc-32` package, in a Transform of its own) and its framing differ.
 */
export async function writeWithZipStream(sink: Writable, chunks: () => Iterable<Buffer>): Promise<void> {
  const archive = new ZipStream({ zlib: { ...DEFLATE_OPTIONS } });
  const written = pipeline(archive, sink);
  await new Promise<void>((resolve, reject) => {
    archive.entry(Readable.from(chunks()), { name: SHEET_ENTRY }, (error) =>
      error ? reject(error) : resolve(),
    );
  });
  archive.finish();
  await written;
}

/**
 * yazl: deflate at `compressionLevel` 1 with zlib's default 16 KiB queue (yazl takes
 * no other zlib options) and the pure-JS `buffer-crc32`.
 */
export async function writeWithYazl(sink: Writable, chunks: () => Iterable<Buffer>): Promise<void> {
  const zip = new yazl.ZipFile();
  zip.addReadStream(Readable.from(chunks()), SHEET_ENTRY, { compressionLevel: 1 });
  zip.end();
  zip.outputStream.pipe(sink);
  await finished(sink);
}
