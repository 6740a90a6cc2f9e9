/* Probe, not product: exceljs's streaming writer with a style cache, kept to show in the benchmark why the converter writes its own XML. */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import {
  columnHeader,
  columnWidth,
  createExcelDateConverter,
  type RawRow,
  recordOf,
  type SheetColumn,
  type SheetOptions,
  type SheetResult,
  safeSheetName,
  textOf,
  toEpochMs,
  toNumber,
} from '../containers/xlsx-converter/xlsx-writer.ts';

const ROWS_PER_BACKPRESSURE_CHECK = 256;
/** Excel ignores HYPERLINK() targets longer than this. */
const MAX_HYPERLINK_TARGET = 255;
const EXCEL_EPOCH_OFFSET_DAYS = 25_569;
const MS_PER_DAY = 86_400_000;

/*
 * Styles are the slow part of exceljs's writer: every cell's style object goes
 * through `addStyleModel`, which serialises it to XML to find its id, unless the
 * very same object was seen before (a WeakMap keyed by object). exceljs gives each
 * new cell a fresh style object, so the cache never hits. We assign one shared,
 * never-mutated style object per column kind instead, so each style is
 * serialised once per file and every later cell is one WeakMap lookup.
 */
const headerStyle: Partial<ExcelJS.Style> = {
  font: { bold: true },
  fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } },
  alignment: { vertical: 'middle' },
};
const plainStyle: Partial<ExcelJS.Style> = {};
const numberStyle: Partial<ExcelJS.Style> = {};
const booleanStyle: Partial<ExcelJS.Style> = {};
const datetimeStyle: Partial<ExcelJS.Style> = { numFmt: 'yyyy-mm-dd hh:mm' };
const dateStyle: Partial<ExcelJS.Style> = { numFmt: 'yyyy-mm-dd' };
const temperatureStyle: Partial<ExcelJS.Style> = { numFmt: '0.0' };
const outOfRangeStyle: Partial<ExcelJS.Style> = {
  numFmt: '0.0',
  font: { bold: true, color: { argb: 'FF9C0006' } },
  fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFC7CE' } },
};
const linkStyle: Partial<ExcelJS.Style> = { font: { underline: true, color: { argb: 'FF0563C1' } } };
const rowStyle: Partial<ExcelJS.Style> = {};

type CellValue = ExcelJS.CellValue;
interface Cell {
  value: CellValue;
  style: Partial<ExcelJS.Style>;
}

/** Builds one column's cell writer: raw value in, typed value and shared style out. */
function cellWriter(column: SheetColumn, toExcelDate: (epochMs: number) => number) {
  const set = (cell: Cell, value: CellValue, style: Partial<ExcelJS.Style>): void => {
    cell.value = value;
    cell.style = style;
  };
  switch (column.kind) {
    case 'number':
      return (cell: Cell, raw: unknown) => {
        const number = toNumber(raw);
        if (number === undefined) set(cell, raw == null ? null : textOf(raw), plainStyle);
        else set(cell, number, numberStyle);
      };
    case 'temperature': {
      const min = column.min ?? Number.NEGATIVE_INFINITY;
      const max = column.max ?? Number.POSITIVE_INFINITY;
      return (cell: Cell, raw: unknown) => {
        const number = toNumber(raw);
        if (number === undefined) set(cell, raw == null ? null : textOf(raw), plainStyle);
        else set(cell, number, number < min || number > max ? outOfRangeStyle : temperatureStyle);
      };
    }
    case 'datetime':
      return (cell: Cell, raw: unknown) => {
        const ms = toEpochMs(raw);
        if (ms === undefined) set(cell, raw == null ? null : textOf(raw), plainStyle);
        else set(cell, toExcelDate(ms), datetimeStyle);
      };
    case 'date':
      return (cell: Cell, raw: unknown) => {
        // A date has no time of day and no zone: `2026-10-31` is that day everywhere.
        const ms =
          raw instanceof Date
            ? Date.UTC(raw.getUTCFullYear(), raw.getUTCMonth(), raw.getUTCDate())
            : typeof raw === 'string'
              ? Date.parse(`${raw.slice(0, 10)}T00:00:00Z`)
              : Number.NaN;
        if (Number.isNaN(ms)) set(cell, raw == null ? null : textOf(raw), plainStyle);
        else set(cell, ms / MS_PER_DAY + EXCEL_EPOCH_OFFSET_DAYS, dateStyle);
      };
    case 'yes_no':
      return (cell: Cell, raw: unknown) => {
        if (typeof raw === 'boolean') set(cell, raw, booleanStyle);
        else if (raw === 'yes' || raw === 'true') set(cell, true, booleanStyle);
        else if (raw === 'no' || raw === 'false') set(cell, false, booleanStyle);
        else set(cell, raw == null ? null : textOf(raw), plainStyle);
      };
    case 'multi_choice':
      return (cell: Cell, raw: unknown) => {
        set(cell, Array.isArray(raw) ? textOf(raw.map(textOf).join(', ')) : textOf(raw) || null, plainStyle);
      };
    case 'photo':
      return (cell: Cell, raw: unknown) => {
        const record = recordOf(raw);
        const url = typeof raw === 'string' ? raw : typeof record?.url === 'string' ? record.url : undefined;
        if (url === undefined || url === '') {
          set(cell, raw == null ? null : textOf(raw), plainStyle);
          return;
        }
        const text = typeof record?.name === 'string' ? textOf(record.name) : textOf(url);
        // A HYPERLINK() formula, not an exceljs hyperlink: those keep one
        // relationship per cell in memory until the sheet ends (1M rows → 100+ MB).
        if (url.length > MAX_HYPERLINK_TARGET || !/^https?:\/\//i.test(url)) {
          set(cell, text, plainStyle);
          return;
        }
        const quote = (s: string) => s.replaceAll('"', '""');
        set(cell, { formula: `HYPERLINK("${quote(url)}","${quote(text)}")`, result: text }, linkStyle);
      };
    case 'signature':
      return (cell: Cell, raw: unknown) => {
        const record = recordOf(raw);
        if (record === undefined) {
          set(cell, raw == null ? null : textOf(raw), plainStyle);
          return;
        }
        const by = textOf(record.signedBy ?? record.name);
        const ms = toEpochMs(record.signedAt);
        if (ms === undefined) {
          set(cell, by ? `signed by ${by}` : null, plainStyle);
          return;
        }
        set(cell, `signed by ${by} at ${formatLocal(toExcelDate(ms))}`, plainStyle);
      };
    default:
      return (cell: Cell, raw: unknown) => {
        set(cell, raw == null ? null : textOf(raw), plainStyle);
      };
  }
}

/** `YYYY-MM-DD HH:MM` of an Excel serial day (already shifted into the zone). */
function formatLocal(serial: number): string {
  const iso = new Date(Math.round((serial - EXCEL_EPOCH_OFFSET_DAYS) * MS_PER_DAY)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

interface PipedStreamBuf {
  pipes?: Writable[];
}

/** Waits until the zip stream and the sink have room; `row.commit()` alone never waits. */
async function waitForRoom(worksheet: ExcelJS.Worksheet, sink: Writable): Promise<void> {
  // exceljs's StreamBuf pushes each 64 KiB chunk into archiver without looking at
  // the return value, so the queue to watch is archiver's entry stream behind it.
  const pipes = (worksheet as unknown as { stream: PipedStreamBuf }).stream.pipes ?? [];
  for (const pipe of pipes) {
    if (pipe.writableNeedDrain) await once(pipe, 'drain');
  }
  if (sink.writableNeedDrain) await once(sink, 'drain');
}

/**
 * Streams one sheet into `sink` as an xlsx file: a bold header row from
 * `columns` in order, typed and styled cells, a frozen header, an autofilter
 * over the data and column widths from header and type. Memory stays flat
 * whatever the row count, as it waits for the zip stream between chunks.
 * Resolves when the whole file has been written to `sink` (not ended by us
 * beyond what the zip does: the sink receives `end()` from the zip pipe).
 */
export async function writeXlsxSheet(
  sink: Writable,
  options: SheetOptions,
  rowChunks: AsyncIterable<readonly RawRow[]> | Iterable<readonly RawRow[]>,
  signal?: AbortSignal,
): Promise<SheetResult> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: sink,
    useSharedStrings: false,
    useStyles: true,
  });
  const columns = options.columns;
  const worksheet = workbook.addWorksheet(safeSheetName(options.sheetName), {
    views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }],
  });
  worksheet.columns = columns.map((column) => ({ width: columnWidth(column) }));
  const header = worksheet.addRow(columns.map(columnHeader));
  (header as unknown as { style: unknown }).style = rowStyle;
  for (let index = 1; index <= columns.length; index++) header.getCell(index).style = headerStyle;
  header.commit();

  const toExcelDate = createExcelDateConverter(options.timeZone);
  const writers = columns.map((column) => cellWriter(column, toExcelDate));
  let rowCount = 0;
  for await (const chunk of rowChunks) {
    for (const raw of chunk) {
      signal?.throwIfAborted();
      const row = worksheet.addRow([]);
      (row as unknown as { style: unknown }).style = rowStyle;
      for (let index = 0; index < writers.length; index++) {
        const write = writers[index];
        if (write) write(row.getCell(index + 1) as unknown as Cell, raw[index]);
      }
      row.commit();
      rowCount++;
      if (rowCount % ROWS_PER_BACKPRESSURE_CHECK === 0) await waitForRoom(worksheet, sink);
    }
  }
  signal?.throwIfAborted();
  worksheet.autoFilter = {
    from: { row: 1, column: 1 },
    to: { row: rowCount + 1, column: Math.max(1, columns.length) },
  };
  worksheet.commit();
  await workbook.commit();
  return { rowCount };
}
