import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import ZipStream from 'zip-stream';
import { DEFLATE_OPTIONS } from '../containers/xlsx-converter/zip-writer.ts';
import { SHEET_ENTRY, sheetXmlChunks } from './lower-bound.ts';

/*
 * The zip-writer comparison: the lower bound's sheet XML (the same chunks
 * bench/lower-bound.ts gives our own ZipWriter) packed by the two libraries a
 * reviewer would reach for instead, at the same zlib level 1, streamed from a
 * Readable so neither holds the sheet in memory.
 */

/**
 * zip-stream (archiver's engine, through compress-commons). It passes `zlib` options
 * on to its DeflateRaw, so it gets the same deep queue as ours: only its CRC-32
 * (the pure-JS `crc-32` package, in a Transform of its own) and its framing differ.
 */
export async function writeWithZipStream(sink: Writable, rows: number): Promise<number> {
  const archive = new ZipStream({ zlib: { ...DEFLATE_OPTIONS } });
  const written = pipeline(archive, sink);
  await new Promise<void>((resolve, reject) => {
    archive.entry(Readable.from(sheetXmlChunks(rows)), { name: SHEET_ENTRY }, (error) =>
      error ? reject(error) : resolve(),
    );
  });
  archive.finish();
  await written;
  return rows;
}

/**
 * yazl: deflate at `compressionLevel` 1 with zlib's default 16 KiB queue (yazl takes
 * no other zlib options) and the pure-JS `buffer-crc32`.
 */
export async function writeWithYazl(sink: Writable, rows: number): Promise<number> {
  const zip = new yazl.ZipFile();
  zip.addReadStream(Readable.from(sheetXmlChunks(rows)), SHEET_ENTRY, { compressionLevel: 1 });
  zip.end();
  zip.outputStream.pipe(sink);
  await finished(sink);
  return rows;
}
