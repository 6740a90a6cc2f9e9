import type { Writable } from 'node:stream';
import { intlOffsetReader } from '#lib/cron/time-zone.ts';
import { FIELD_TYPES, type FieldType } from '#lib/db/field-types.ts';
import { ZipWriter } from './zip-writer.ts';

/*
 * Why not exceljs's streaming WorkbookWriter: measured here on 30 mixed columns
 * (docs/benchmarks.md), exceljs with typed and styled cells reaches about 0.2 of
 * the zip+zlib lower bound even with a style cache, because every cell becomes a
 * Cell object, a model and an XmlStream before it is a string. This writer emits
 * the same SpreadsheetML straight as strings into a streaming zip (zip-writer.ts:
 * node:zlib deflate level 1 as exceljs uses, ZIP64 when needed), with a fixed style table, so typed and styled
 * output costs little more than the lower bound and memory stays flat.
 */

/** Cell kinds of the export sheet: the template field types (plus plain text for fixed columns). */
export type ColumnKind = FieldType;

export const COLUMN_KINDS: readonly ColumnKind[] = FIELD_TYPES;

export interface SheetColumn {
  header: string;
  kind: ColumnKind;
  /** Shown in the header as `Header (unit)`. */
  unit?: string;
  /** Allowed range of a temperature; values outside are marked red. */
  min?: number;
  max?: number;
}

export interface SheetOptions {
  sheetName: string;
  columns: readonly SheetColumn[];
  /** IANA zone in which datetimes are shown (Excel dates carry no zone). */
  timeZone: string;
}

export interface SheetResult {
  rowCount: number;
}

/**
 * One row of raw values in column order, as the records table holds them:
 * text/single_choice: string; number/temperature: number or numeric string;
 * datetime: Date, ISO string or epoch ms; date: `YYYY-MM-DD` or Date; yes_no:
 * boolean or 'yes'/'no'; multi_choice: string[]; photo: URL or `{ url, name? }`;
 * signature: `{ signedBy, signedAt }` or a string. null/undefined → empty cell.
 */
export type RawRow = readonly unknown[];

/** Style ids: indexes into `cellXfs` of STYLES_XML, in this order. */
const STYLE = { plain: 0, header: 1, datetime: 2, date: 3, temperature: 4, outOfRange: 5, link: 6 } as const;

const STYLES_XML =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
  '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/>' +
  '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd"/><numFmt numFmtId="166" formatCode="0.0"/></numFmts>' +
  '<fonts count="4"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>' +
  '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>' +
  '<font><b/><sz val="11"/><color rgb="FF9C0006"/><name val="Calibri"/><family val="2"/></font>' +
  '<font><u/><sz val="11"/><color rgb="FF0563C1"/><name val="Calibri"/><family val="2"/></font></fonts>' +
  '<fills count="4"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>' +
  '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill>' +
  '<fill><patternFill patternType="solid"><fgColor rgb="FFFFC7CE"/><bgColor indexed="64"/></patternFill></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
  '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>' +
  '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="166" fontId="2" fillId="3" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1" applyFill="1"/>' +
  '<xf numFmtId="0" fontId="3" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
  '</styleSheet>';

const CONTENT_TYPES_XML =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
  '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
  '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
  '</Types>';

const ROOT_RELS_XML =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>' +
  '</Relationships>';

const WORKBOOK_RELS_XML =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>' +
  '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>' +
  '</Relationships>';

/**
 * Rows are encoded one by one into a buffer of this size, written when full. Each
 * row string then dies young; concatenating rows into a long string kept them alive
 * across scavenges, promoted them to the old generation and raised peak RSS.
 */
const WRITE_BUFFER_BYTES = 128 * 1024;
/** Excel's limit for one cell's text. */
const MAX_CELL_TEXT = 32_767;
/** Excel ignores HYPERLINK() targets longer than this. */
const MAX_HYPERLINK_TARGET = 255;
/** Excel's row limit, header included. */
export const MAX_SHEET_ROWS = 1_048_576;
const EXCEL_EPOCH_OFFSET_DAYS = 25_569;
const MS_PER_DAY = 86_400_000;
// XML 1.0 forbids these; a single one makes Excel call the whole file corrupt.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const INVALID_XML_CHARS_GLOBAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const XML_SPECIAL = /[&<>"]/;

const typeWidth: Record<ColumnKind, number> = {
  text: 30,
  number: 10,
  datetime: 17,
  date: 11,
  yes_no: 8,
  single_choice: 16,
  multi_choice: 28,
  temperature: 10,
  photo: 24,
  signature: 36,
};

/** The header text of a column: `label (unit)` when it has a unit. */
export function columnHeader(column: SheetColumn): string {
  return column.unit ? `${column.header} (${column.unit})` : column.header;
}

/** Display width in Excel character units; East Asian wide characters take two. */
function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    width += code >= 0x1100 && (code <= 0x115f || (code >= 0x2e80 && code <= 0xffdc)) ? 2 : 1;
  }
  return width;
}

/** Width from the header and the kind, so no pass over the rows is needed. */
export function columnWidth(column: SheetColumn): number {
  const header = displayWidth(columnHeader(column)) + 3; // room for the autofilter button
  return Math.min(60, Math.max(8, header, typeWidth[column.kind]));
}

/** `A`, `B`, …, `Z`, `AA`, … for a zero-based column index. */
export function columnLetter(index: number): string {
  let letters = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  }
  return letters;
}

/**
 * Converts instants to Excel serial days as wall-clock time in one zone. The
 * offset is cached per UTC hour because Intl formatting is far too slow per cell.
 */
export function createExcelDateConverter(timeZone: string): (epochMs: number) => number {
  const intlOffsetAt = intlOffsetReader(timeZone);
  const offsets = new Map<number, number>();
  const offsetAt = (epochMs: number): number => {
    const hour = Math.floor(epochMs / 3_600_000);
    let offset = offsets.get(hour);
    if (offset === undefined) {
      offset = intlOffsetAt(hour * 3_600_000);
      if (offsets.size > 10_000) offsets.clear();
      offsets.set(hour, offset);
    }
    return offset;
  };
  return (epochMs) => (epochMs + offsetAt(epochMs)) / MS_PER_DAY + EXCEL_EPOCH_OFFSET_DAYS;
}

export function toEpochMs(value: unknown): number | undefined {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value !== '') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const number = Number(value);
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}

/** Plain text of any raw value, cleaned of characters XML cannot carry, capped at Excel's cell limit. */
export function textOf(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value === null || value === undefined) return '';
  else if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  else if (value instanceof Date) return value.toISOString();
  else text = JSON.stringify(value) ?? '';
  if (INVALID_XML_CHARS.test(text)) text = text.replace(INVALID_XML_CHARS_GLOBAL, '');
  return text.length > MAX_CELL_TEXT ? text.slice(0, MAX_CELL_TEXT) : text;
}

function escapeXml(text: string): string {
  if (!XML_SPECIAL.test(text)) return text;
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

export function recordOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** `<c>` of an inline string; '' for an empty cell (cells may be left out). */
function stringCell(ref: string, text: string, style = 0): string {
  if (text === '') return '';
  const space =
    text.charCodeAt(0) <= 32 || text.charCodeAt(text.length - 1) <= 32 ? ' xml:space="preserve"' : '';
  const s = style === 0 ? '' : ` s="${style}"`;
  return `<c r="${ref}"${s} t="inlineStr"><is><t${space}>${escapeXml(text)}</t></is></c>`;
}

function numberCell(ref: string, value: number, style: number): string {
  return style === 0 ? `<c r="${ref}"><v>${value}</v></c>` : `<c r="${ref}" s="${style}"><v>${value}</v></c>`;
}

/** Text of a value that did not parse as its column's type: kept, not lost. */
function fallbackCell(ref: string, raw: unknown): string {
  return raw === null || raw === undefined ? '' : stringCell(ref, textOf(raw));
}

/** `YYYY-MM-DD HH:MM` of an Excel serial day (already shifted into the zone). */
function formatSerial(serial: number): string {
  const iso = new Date(Math.round((serial - EXCEL_EPOCH_OFFSET_DAYS) * MS_PER_DAY)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

type CellRenderer = (ref: string, raw: unknown) => string;

/** One column's renderer: raw value in, `<c>` XML with the right type and style out. */
function cellRenderer(column: SheetColumn, toExcelDate: (epochMs: number) => number): CellRenderer {
  switch (column.kind) {
    case 'number':
      return (ref, raw) => {
        const number = toNumber(raw);
        return number === undefined ? fallbackCell(ref, raw) : numberCell(ref, number, STYLE.plain);
      };
    case 'temperature': {
      const min = column.min ?? Number.NEGATIVE_INFINITY;
      const max = column.max ?? Number.POSITIVE_INFINITY;
      return (ref, raw) => {
        const number = toNumber(raw);
        if (number === undefined) return fallbackCell(ref, raw);
        return numberCell(ref, number, number < min || number > max ? STYLE.outOfRange : STYLE.temperature);
      };
    }
    case 'datetime':
      return (ref, raw) => {
        const ms = toEpochMs(raw);
        return ms === undefined ? fallbackCell(ref, raw) : numberCell(ref, toExcelDate(ms), STYLE.datetime);
      };
    case 'date':
      return (ref, raw) => {
        // A date has no time of day and no zone: `2026-10-31` is that day everywhere.
        const ms =
          raw instanceof Date
            ? Date.UTC(raw.getUTCFullYear(), raw.getUTCMonth(), raw.getUTCDate())
            : typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}/.test(raw)
              ? Date.parse(`${raw.slice(0, 10)}T00:00:00Z`)
              : Number.NaN;
        return Number.isNaN(ms)
          ? fallbackCell(ref, raw)
          : numberCell(ref, ms / MS_PER_DAY + EXCEL_EPOCH_OFFSET_DAYS, STYLE.date);
      };
    case 'yes_no':
      return (ref, raw) => {
        const yes = raw === true || raw === 'yes' || raw === 'true';
        const no = raw === false || raw === 'no' || raw === 'false';
        return yes || no ? `<c r="${ref}" t="b"><v>${yes ? 1 : 0}</v></c>` : fallbackCell(ref, raw);
      };
    case 'multi_choice':
      return (ref, raw) =>
        stringCell(ref, Array.isArray(raw) ? textOf(raw.map(textOf).join(', ')) : textOf(raw));
    case 'photo':
      return (ref, raw) => {
        const record = recordOf(raw);
        const url = typeof raw === 'string' ? raw : typeof record?.url === 'string' ? record.url : '';
        const text =
          typeof record?.name === 'string' && record.name !== '' ? textOf(record.name) : textOf(url);
        // A HYPERLINK() formula keeps the sheet streamable: a relationship-based
        // link needs an entry in a separate part written after the sheet.
        if (url.length > MAX_HYPERLINK_TARGET || !/^https?:\/\//i.test(url)) {
          return url === '' ? fallbackCell(ref, raw) : stringCell(ref, text);
        }
        const formula = escapeXml(
          `HYPERLINK("${url.replaceAll('"', '""')}","${text.replaceAll('"', '""')}")`,
        );
        return `<c r="${ref}" s="${STYLE.link}" t="str"><f>${formula}</f><v>${escapeXml(text)}</v></c>`;
      };
    case 'signature':
      return (ref, raw) => {
        const record = recordOf(raw);
        if (record === undefined) return fallbackCell(ref, raw);
        const by = textOf(record.signedBy ?? record.name);
        const ms = toEpochMs(record.signedAt);
        if (ms === undefined) return stringCell(ref, by ? `signed by ${by}` : '');
        return stringCell(ref, `signed by ${by} at ${formatSerial(toExcelDate(ms))}`);
      };
    default:
      return (ref, raw) => (raw === null || raw === undefined ? '' : stringCell(ref, textOf(raw)));
  }
}

/** Excel sheet names: 1–31 characters, none of `\ / ? * [ ] :`, not starting or ending with `'`. */
export function safeSheetName(name: string): string {
  const cleaned = name
    .replace(/[\\/?*[\]:]/g, ' ')
    .replace(/^'+|'+$/g, '')
    .trim();
  return [...(cleaned || 'Records')].slice(0, 31).join('').trim();
}

function sheetHead(columns: readonly SheetColumn[]): string {
  const cols = columns
    .map(
      (column, index) =>
        `<col min="${index + 1}" max="${index + 1}" width="${columnWidth(column)}" customWidth="1"/>`,
    )
    .join('');
  const header = columns.map((column, index) =>
    stringCell(`${columnLetter(index)}1`, columnHeader(column), STYLE.header),
  );
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' +
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' +
    '<sheetViews><sheetView workbookViewId="0">' +
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>' +
    '<sheetFormatPr defaultRowHeight="15"/>' +
    (cols ? `<cols>${cols}</cols>` : '') +
    `<sheetData><row r="1">${header.join('')}</row>`
  );
}

/**
 * Written before the sheet, so readers that stream the zip in order (exceljs's WorkbookReader,
 * exceljs/exceljs#962) know the sheets before their data. Hence the filter's hidden name spans
 * whole columns: the row count is not known yet. The sheet's own autoFilter has the exact range;
 * LibreOffice sizes its filter range from this name.
 */
function workbookXml(sheetName: string, lastColumn: string): string {
  const name = escapeXml(sheetName);
  const quoted = `'${name.replaceAll("'", "''")}'`;
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' +
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' +
    '<bookViews><workbookView/></bookViews>' +
    `<sheets><sheet name="${name}" sheetId="1" r:id="rId1"/></sheets>` +
    // Excel wants this hidden name next to an autoFilter, or the filter buttons misbehave.
    `<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">${quoted}!$A:$${lastColumn}</definedName></definedNames>` +
    '</workbook>'
  );
}

export class SheetTooLargeError extends Error {
  override name = 'SheetTooLargeError';
}

/**
 * Streams one sheet as an xlsx file into `sink`: a bold header row from
 * `columns` in order, typed and styled cells (numbers, real dates shown as
 * date+time in `timeZone`, booleans, joined choices, HYPERLINK photo links,
 * out-of-range temperatures in red), a frozen header, an autofilter over the
 * data and column widths from header and type. It waits for the zip stream
 * and the sink whenever they are full, so memory stays flat at any row count.
 * Resolves after `sink` has received the whole file and finished.
 */
export async function writeXlsxSheet(
  sink: Writable,
  options: SheetOptions,
  rowChunks: AsyncIterable<readonly RawRow[]> | Iterable<readonly RawRow[]>,
  signal?: AbortSignal,
): Promise<SheetResult> {
  const { columns } = options;
  const sheetName = safeSheetName(options.sheetName);
  const zip = new ZipWriter(sink);
  const letters = columns.map((_, index) => columnLetter(index));
  // Every part the sheet does not depend on comes first (see workbookXml).
  await zip.addFile('[Content_Types].xml', CONTENT_TYPES_XML);
  await zip.addFile('_rels/.rels', ROOT_RELS_XML);
  await zip.addFile('xl/workbook.xml', workbookXml(sheetName, letters.at(-1) ?? 'A'));
  await zip.addFile('xl/_rels/workbook.xml.rels', WORKBOOK_RELS_XML);
  await zip.addFile('xl/styles.xml', STYLES_XML);
  const sheet = await zip.openEntry('xl/worksheets/sheet1.xml');

  const toExcelDate = createExcelDateConverter(options.timeZone);
  const renderers = columns.map((column) => cellRenderer(column, toExcelDate));
  let buffer = Buffer.allocUnsafe(WRITE_BUFFER_BYTES);
  let used = 0;
  const flush = async (): Promise<void> => {
    if (used === 0) return;
    const full = buffer.subarray(0, used);
    buffer = Buffer.allocUnsafe(WRITE_BUFFER_BYTES);
    used = 0;
    await sheet.write(full);
  };
  // Returns a promise only when it had to write, so the common case costs no await.
  const append = (text: string): Promise<void> | undefined => {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (used + text.length * 3 > buffer.length) {
      return flush().then(() => (text.length * 3 > buffer.length ? sheet.write(text) : append(text)));
    }
    used += buffer.write(text, used);
    return undefined;
  };

  let rowCount = 0;
  await append(sheetHead(columns));
  // On failure the sink is left unfinished; the caller's atomic write discards it.
  await writeRows();
  await zip.finish();
  return { rowCount };

  async function writeRows(): Promise<void> {
    for await (const chunk of rowChunks) {
      signal?.throwIfAborted();
      for (const raw of chunk) {
        if (rowCount + 2 > MAX_SHEET_ROWS) {
          throw new SheetTooLargeError(
            `sheet "${sheetName}" would exceed Excel's ${MAX_SHEET_ROWS} rows; split the export into shorter periods`,
          );
        }
        const rowNumber = rowCount + 2;
        let xml = `<row r="${rowNumber}">`;
        for (let index = 0; index < renderers.length; index++) {
          xml += (renderers[index] as CellRenderer)(`${letters[index]}${rowNumber}`, raw[index]);
        }
        rowCount++;
        const writing = append(`${xml}</row>`);
        if (writing) await writing;
      }
    }
    signal?.throwIfAborted();
    await append(`</sheetData><autoFilter ref="A1:${letters.at(-1) ?? 'A'}${rowCount + 1}"/>`);
    await append(
      '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>',
    );
    await flush();
    await sheet.end();
  }
}
