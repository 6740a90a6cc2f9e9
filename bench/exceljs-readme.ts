import ExcelJS from 'exceljs';
import { benchColumns, benchRows } from './sheet-data.ts';

/*
 * Baseline (a): exceljs used the way its README shows — an in-memory Workbook,
 * typed values (numbers, Dates, booleans, hyperlinks), column styles, then
 * `workbook.xlsx.writeFile`. Every cell lives in memory until the end.
 */
function toExcelValue(kind: string, raw: unknown): ExcelJS.CellValue {
  if (raw === null || raw === undefined) return null;
  switch (kind) {
    case 'datetime':
      return raw instanceof Date ? new Date(raw.getTime() + 9 * 3_600_000) : null;
    case 'date':
      return new Date(`${String(raw)}T00:00:00Z`);
    case 'multi_choice':
      return (raw as string[]).join(', ');
    case 'photo': {
      const url = typeof raw === 'string' ? raw : (raw as { url: string }).url;
      const text = typeof raw === 'string' ? raw : (raw as { name: string }).name;
      return { text, hyperlink: url };
    }
    case 'signature': {
      const value = raw as { signedBy: string; signedAt: string };
      return `signed by ${value.signedBy} at ${value.signedAt.slice(0, 16).replace('T', ' ')}`;
    }
    default:
      return raw as ExcelJS.CellValue;
  }
}

export async function writeExceljsReadme(filename: string, rows: number): Promise<number> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Records', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = benchColumns.map((column) => ({
    header: column.unit ? `${column.header} (${column.unit})` : column.header,
    width: 16,
    style:
      column.kind === 'datetime'
        ? { numFmt: 'yyyy-mm-dd hh:mm' }
        : column.kind === 'date'
          ? { numFmt: 'yyyy-mm-dd' }
          : {},
  }));
  sheet.getRow(1).font = { bold: true };
  let count = 0;
  for (const chunk of benchRows(rows)) {
    for (const raw of chunk) {
      const row = sheet.addRow(benchColumns.map((column, index) => toExcelValue(column.kind, raw[index])));
      benchColumns.forEach((column, index) => {
        const value = raw[index];
        if (column.kind === 'temperature' && typeof value === 'number') {
          const outOfRange = value < (column.min ?? -Infinity) || value > (column.max ?? Infinity);
          if (outOfRange) {
            row.getCell(index + 1).fill = {
              type: 'pattern',
              pattern: 'solid',
              fgColor: { argb: 'FFFFC7CE' },
            };
          }
        }
      });
      count++;
    }
  }
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: count + 1, column: benchColumns.length } };
  await workbook.xlsx.writeFile(filename);
  return count;
}
