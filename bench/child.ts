import { createWriteStream, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { benchColumns, benchRows } from './sheet-data.ts';

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

// Narrowed here for the helper below (a function declaration does not see the check above).
const outputFile: string = output;
const sheet = { sheetName: 'Records', columns: benchColumns, timeZone: 'Asia/Tokyo' };
// Each case loads only its own modules (exceljs alone takes a while), before the clock starts.
type Run = () => Promise<number>;
type Pack = (sink: Writable, chunks: () => Iterable<Buffer>) => Promise<void>;
async function packing(loadPack: () => Promise<Pack>): Promise<Run> {
  const [pack, { readySheetXml }] = await Promise.all([loadPack(), import('./lower-bound.ts')]);
  const chunks = readySheetXml(rows);
  return async () => {
    await pack(createWriteStream(outputFile), chunks);
    return rows;
  };
}
const cases: Record<string, () => Promise<Run>> = {
  converter: async () => {
    const { writeXlsxSheet } = await import('../containers/xlsx-converter/xlsx-writer.ts');
    return async () => (await writeXlsxSheet(createWriteStream(output), sheet, benchRows(rows))).rowCount;
  },
  'exceljs-stream-styled': async () => {
    const { writeXlsxSheet } = await import('./exceljs-stream-writer.ts');
    return async () => {
      const sink = createWriteStream(output);
      const result = await writeXlsxSheet(sink, sheet, benchRows(rows));
      await finished(sink);
      return result.rowCount;
    };
  },
  'exceljs-readme': async () => {
    const { writeExceljsReadme } = await import('./exceljs-readme.ts');
    return () => writeExceljsReadme(output, rows);
  },
  'lower-bound': async () => {
    const { writeLowerBound } = await import('./lower-bound.ts');
    return () => writeLowerBound(createWriteStream(output), rows);
  },
  // The same XML, rendered before the clock starts: these cases time the packing alone.
  'deflate-only': () => packing(async () => (await import('./lower-bound.ts')).writeDeflateOnly),
  'zip-writer': () => packing(async () => (await import('./lower-bound.ts')).writeWithOurZipWriter),
  'zip-stream': () => packing(async () => (await import('./zip-libraries.ts')).writeWithZipStream),
  yazl: () => packing(async () => (await import('./zip-libraries.ts')).writeWithYazl),
};
const load = cases[caseName];
if (!load) {
  console.error(`unknown case "${caseName}"; known: ${Object.keys(cases).join(', ')}`);
  process.exit(2);
}
const run = await load();
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
