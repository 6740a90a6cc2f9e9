import { createWriteStream, statSync } from 'node:fs';
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

const sheet = { sheetName: 'Records', columns: benchColumns, timeZone: 'Asia/Tokyo' };
// Each case loads only its own modules (exceljs alone takes a while), before the clock starts.
type Run = () => Promise<number>;
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
  'deflate-only': async () => {
    const { readySheetXml, writeDeflateOnly } = await import('./lower-bound.ts');
    const chunks = readySheetXml(rows);
    return async () => {
      await writeDeflateOnly(createWriteStream(output), chunks);
      return rows;
    };
  },
  'zip-writer': async () => {
    const { readySheetXml, writeWithOurZipWriter } = await import('./lower-bound.ts');
    const chunks = readySheetXml(rows);
    return async () => {
      await writeWithOurZipWriter(createWriteStream(output), chunks);
      return rows;
    };
  },
  'zip-stream': async () => {
    const [{ readySheetXml }, { writeWithZipStream }] = await Promise.all([
      import('./lower-bound.ts'),
      import('./zip-libraries.ts'),
    ]);
    const chunks = readySheetXml(rows);
    return async () => {
      await writeWithZipStream(createWriteStream(output), chunks);
      return rows;
    };
  },
  yazl: async () => {
    const [{ readySheetXml }, { writeWithYazl }] = await Promise.all([
      import('./lower-bound.ts'),
      import('./zip-libraries.ts'),
    ]);
    const chunks = readySheetXml(rows);
    return async () => {
      await writeWithYazl(createWriteStream(output), chunks);
      return rows;
    };
  },
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
