import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDeflateRaw } from 'node:zlib';
import { DEFLATE_OPTIONS, ZipWriter } from '../containers/xlsx-converter/zip-writer.ts';
import { benchColumns, benchRows } from './sheet-data.ts';

/*
 * The floor: the same sheet XML as the converter writes for `benchColumns`, built
 * with the column types fixed in code (no type checks, no escaping, which the
 * bench data does not need), then either deflated at level 1 into a zip by our
 * zip writer (the xlsx floor) or deflated alone with no container at all (the floor
 * that does not depend on our zip writer). The converter's rate is reported as a
 * share of both; bench/zip-libraries.ts packs the same chunks with zip-stream and yazl.
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

/**
 * The sheet XML for `rows` bench rows as UTF-8 buffers of about 64 KiB: the one input
 * of every lower-bound and zip-writer case, so they differ only in what packs it.
 */
export function* sheetXmlChunks(rows: number): Generator<Buffer> {
  let batch = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet><sheetData>';
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
  yield Buffer.from(`${batch}</sheetData></worksheet>`, 'utf8');
}

/** Writes `rows` bench rows as a one-sheet zip (sheet part only) with our zip writer into `sink`. */
export async function writeLowerBound(sink: Writable, rows: number): Promise<number> {
  const zip = new ZipWriter(sink);
  const sheet = await zip.openEntry(SHEET_ENTRY);
  for (const chunk of sheetXmlChunks(rows)) await sheet.write(chunk);
  await sheet.end();
  await zip.finish();
  return rows;
}

/**
 * The floor below any zip writer: the same sheet XML deflated by node:zlib at level 1
 * straight into `sink`, no container (no headers, no CRC), with the deflate queue our
 * zip writer gives zlib. Zip cost alone = a zip case's time minus this one's.
 */
export async function writeDeflateOnly(sink: Writable, rows: number): Promise<number> {
  await pipeline(Readable.from(sheetXmlChunks(rows)), createDeflateRaw(DEFLATE_OPTIONS), sink);
  return rows;
}
