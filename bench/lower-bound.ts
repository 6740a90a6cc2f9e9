import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDeflateRaw } from 'node:zlib';
import { DEFLATE_OPTIONS, ZipWriter } from '../containers/xlsx-converter/zip-writer.ts';
import { benchColumns, benchRows } from './sheet-data.ts';

/*
 * The floor: the same sheet XML as the converter writes for `benchColumns`, built
 * with the column types fixed in code (no type checks, no escaping, which the
 * bench data does not need) and deflated at level 1 into a zip by our zip writer
 * (the xlsx floor, (b)). `readySheetXml` makes the same XML ready before the clock
 * starts for the deflate-only floor (no zip container at all, so it does not depend
 * on our zip writer) and for the zip-writer comparison (bench/zip-libraries.ts packs
 * the same chunks with zip-stream and yazl).
 */

const letters = benchColumns.map((_, index) => {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26))
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
});
const TOKYO_OFFSET_MS = 9 * 3_600_000;
const serial = (ms: number) => (ms + TOKYO_OFFSET_MS) / 86_400_000 + 25_569;
const dateSerial = (day: string) => Date.parse(`${day}T00:00:00Z`) / 86_400_000 + 25_569;
const str = (ref: string, text: string) =>
  text ? `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>` : '';
const num = (ref: string, value: number, style: number) =>
  style ? `<c r="${ref}" s="${style}"><v>${value}</v></c>` : `<c r="${ref}"><v>${value}</v></c>`;
const bool = (ref: string, value: boolean) => `<c r="${ref}" t="b"><v>${value ? 1 : 0}</v></c>`;
const temp = (ref: string, value: number, min: number, max: number) =>
  num(ref, value, value < min || value > max ? 5 : 4);
const link = (ref: string, url: string, text: string) =>
  `<c r="${ref}" s="6" t="str"><f>HYPERLINK(&quot;${url}&quot;,&quot;${text}&quot;)</f><v>${text}</v></c>`;
const hhmm = (ms: number) => {
  const iso = new Date(ms + TOKYO_OFFSET_MS).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
};

function renderRow(r: readonly unknown[], n: number): string {
  const c = (i: number) => `${letters[i]}${n}`;
  const photo = r[20] as { url: string; name: string };
  const receipt = r[21] as string | null;
  const signature = r[22] as { signedBy: string; signedAt: string };
  return (
    `<row r="${n}">` +
    str(c(0), r[0] as string) +
    num(c(1), serial((r[1] as Date).getTime()), 2) +
    str(c(2), r[2] as string) +
    str(c(3), r[3] as string) +
    num(c(4), dateSerial(r[4] as string), 3) +
    str(c(5), r[5] as string) +
    temp(c(6), r[6] as number, 0, 10) +
    temp(c(7), r[7] as number, -25, -15) +
    temp(c(8), r[8] as number, 75, 100) +
    bool(c(9), r[9] as boolean) +
    bool(c(10), r[10] as boolean) +
    bool(c(11), r[11] as boolean) +
    num(c(12), r[12] as number, 0) +
    num(c(13), r[13] as number, 0) +
    num(c(14), r[14] as number, 0) +
    str(c(15), r[15] as string) +
    str(c(16), (r[16] as string[]).join(', ')) +
    str(c(17), (r[17] as string[]).join(', ')) +
    str(c(18), r[18] as string) +
    str(c(19), (r[19] as string | null) ?? '') +
    link(c(20), photo.url, photo.name) +
    (receipt ? link(c(21), receipt, receipt) : '') +
    str(c(22), `signed by ${signature.signedBy} at ${hhmm(Date.parse(signature.signedAt))}`) +
    num(c(23), serial((r[23] as Date).getTime()), 2) +
    num(c(24), serial((r[24] as Date).getTime()), 2) +
    str(c(25), r[25] as string) +
    num(c(26), dateSerial(r[26] as string), 3) +
    num(c(27), r[27] as number, 0) +
    num(c(28), r[28] as number, 0) +
    str(c(29), r[29] as string) +
    '</row>'
  );
}

/** Name of the sheet part in every zip case (the only entry: the others are a few hundred bytes). */
export const SHEET_ENTRY = 'xl/worksheets/sheet1.xml';
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet><sheetData>';
const XML_TAIL = '</sheetData></worksheet>';

/** The sheet XML for `rows` bench rows, rendered as it goes, as UTF-8 buffers of about 64 KiB. */
export function* sheetXmlChunks(rows: number): Generator<Buffer> {
  let batch = XML_HEAD;
  let n = 1;
  for (const chunk of benchRows(rows)) {
    for (const row of chunk) {
      n++;
      batch += renderRow(row, n);
      if (batch.length >= 64 * 1024) {
        yield Buffer.from(batch, 'utf8');
        batch = '';
      }
    }
  }
  yield Buffer.from(`${batch}${XML_TAIL}`, 'utf8');
}

/** Distinct rows rendered ahead: about 15 MiB of XML, far beyond deflate's 32 KiB window. */
const READY_ROWS = 10_000;

/**
 * The sheet XML for `rows` bench rows made ready before the clock starts: the first
 * READY_ROWS rows rendered once into ~64 KiB buffers, then those buffers again in
 * turn until `rows` rows are covered (the same bytes per row, and repeats too far
 * apart for deflate to notice). The input of the deflate-only floor and of every
 * zip-writer case, so they measure the packing alone, not the rendering.
 */
export function readySheetXml(rows: number): () => Generator<Buffer> {
  const ready: Array<{ buffer: Buffer; rows: number }> = [];
  let batch = '';
  let batchRows = 0;
  let n = 1;
  for (const chunk of benchRows(Math.min(rows, READY_ROWS))) {
    for (const row of chunk) {
      n++;
      batch += renderRow(row, n);
      batchRows++;
      if (batch.length >= 64 * 1024) {
        ready.push({ buffer: Buffer.from(batch, 'utf8'), rows: batchRows });
        batch = '';
        batchRows = 0;
      }
    }
  }
  if (batchRows > 0) ready.push({ buffer: Buffer.from(batch, 'utf8'), rows: batchRows });
  return function* () {
    yield Buffer.from(XML_HEAD, 'utf8');
    for (let written = 0, index = 0; written < rows; index = (index + 1) % ready.length) {
      const item = ready[index] as { buffer: Buffer; rows: number };
      yield item.buffer;
      written += item.rows;
    }
    yield Buffer.from(XML_TAIL, 'utf8');
  };
}

/** Writes `rows` bench rows, rendered as it goes, as a one-sheet zip (sheet part only) with our zip writer. */
export async function writeLowerBound(sink: Writable, rows: number): Promise<number> {
  await writeWithOurZipWriter(sink, () => sheetXmlChunks(rows));
  return rows;
}

/** Packs `chunks` as the sheet entry of a zip with our zip writer (containers/xlsx-converter/zip-writer.ts). */
export async function writeWithOurZipWriter(sink: Writable, chunks: () => Iterable<Buffer>): Promise<void> {
  const zip = new ZipWriter(sink);
  const sheet = await zip.openEntry(SHEET_ENTRY);
  for (const chunk of chunks()) await sheet.write(chunk);
  await sheet.end();
  await zip.finish();
}

/**
 * The floor below any zip writer: the XML deflated by node:zlib at level 1 straight
 * into `sink`, no container (no headers, no CRC-32), with the deflate queue our zip
 * writer gives zlib. Zip cost alone = a zip case's time minus this one's.
 */
export async function writeDeflateOnly(sink: Writable, chunks: () => Iterable<Buffer>): Promise<void> {
  await pipeline(Readable.from(chunks()), createDeflateRaw(DEFLATE_OPTIONS), sink);
}
