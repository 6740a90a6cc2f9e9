import { createWriteStream, statSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { writeXlsxSheet } from '../containers/xlsx-converter/xlsx-writer.ts';
import { writeExceljsReadme } from './exceljs-readme.ts';
import { writeXlsxSheet as writeExceljsStream } from './exceljs-stream-writer.ts';
import { writeDeflateOnly, writeLowerBound } from './lower-bound.ts';
import { benchColumns, benchRows } from './sheet-data.ts';
import { writeWithYazl, writeWithZipStream } from './zip-libraries.ts';

/*
 * Runs one benchmark case in this (fresh) process and prints one JSON line, so
 * each case's peak RSS (`maxRSS`) is its own. Usage:
 *   node bench/child.ts <case> <rows> <output file>
 */
const [caseName, rowsText, output] = process.argv.slice(2);
const rows = Number(rowsText);
if (!caseName || !Number.isInteger(rows) || rows <= 0 || !output) {
  console.error('usage: node bench/child.ts <case> <rows> <output file>');
  process.exit(2);
}

const sheet = { sheetName: 'Records', columns: benchColumns, timeZone: 'Asia/Tokyo' };
const cases: Record<string, () => Promise<number>> = {
  converter: async () => (await writeXlsxSheet(createWriteStream(output), sheet, benchRows(rows))).rowCount,
  'exceljs-stream-styled': async () => {
    const sink = createWriteStream(output);
    const result = await writeExceljsStream(sink, sheet, benchRows(rows));
    await finished(sink);
    return result.rowCount;
  },
  'exceljs-readme': () => writeExceljsReadme(output, rows),
  'lower-bound': () => writeLowerBound(createWriteStream(output), rows),
  'deflate-only': () => writeDeflateOnly(createWriteStream(output), rows),
  'zip-stream': () => writeWithZipStream(createWriteStream(output), rows),
  yazl: () => writeWithYazl(createWriteStream(output), rows),
};
const run = cases[caseName];
if (!run) {
  console.error(`unknown case "${caseName}"; known: ${Object.keys(cases).join(', ')}`);
  process.exit(2);
}
const started = performance.now();
const cpuBefore = process.cpuUsage();
const written = await run();
const seconds = (performance.now() - started) / 1000;
// The whole process (zlib's thread-pool work included): less sensitive to other load than wall time.
const cpu = process.cpuUsage(cpuBefore);
console.log(
  JSON.stringify({
    case: caseName,
    rows: written,
    seconds,
    rowsPerSecond: written / seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    bytes: statSync(output).size,
  }),
);
