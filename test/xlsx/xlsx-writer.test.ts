import { PassThrough, Readable, Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import {
  columnLetter,
  createExcelDateConverter,
  type RawRow,
  type SheetColumn,
  safeSheetName,
  writeXlsxSheet,
} from '../../containers/xlsx-converter/xlsx-writer.ts';

const columns: SheetColumn[] = [
  { header: '記録ID', kind: 'text' },
  { header: '提出日時', kind: 'datetime' },
  { header: '点検日', kind: 'date' },
  { header: '冷蔵庫温度', kind: 'temperature', unit: '°C', min: 0, max: 10 },
  { header: '仕入れ数量', kind: 'number', unit: 'kg' },
  { header: '手洗い確認', kind: 'yes_no' },
  { header: '店舗', kind: 'single_choice' },
  { header: 'アレルゲン', kind: 'multi_choice' },
  { header: '写真', kind: 'photo' },
  { header: '確認者署名', kind: 'signature' },
];

const rows: RawRow[] = [
  [
    'rec-1',
    new Date('2026-10-31T14:30:00Z'), // 2026-11-01 23:30 in Tokyo
    '2026-10-31',
    4.5,
    12.25,
    true,
    '渋谷店',
    ['卵', '乳'],
    { url: 'https://files.example.com/p/1.jpg', name: '冷蔵庫.jpg' },
    { signedBy: '佐藤 花子', signedAt: '2026-10-31T15:00:00Z' },
  ],
  ['rec-2', '2026-10-01T00:00:00+09:00', '2026-10-01', 12.5, '7', false, null, [], null, null],
  ['a < b & "c"\u0001', null, null, -1, 'n/a', 'maybe', 'x', 'solo', 'not a url', 'signed on paper'],
];

/** Collects everything written into a Buffer, like a file would. */
function memorySink(): { sink: Writable; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

async function writeAndRead(
  sheetRows: RawRow[],
  sheetColumns = columns,
): Promise<{ worksheet: ExcelJS.Worksheet; rowCount: number; bytes: Buffer }> {
  const { sink, bytes } = memorySink();
  const { rowCount } = await writeXlsxSheet(
    sink,
    { sheetName: '温度記録 / 10月', columns: sheetColumns, timeZone: 'Asia/Tokyo' },
    [sheetRows],
  );
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes() as unknown as ArrayBuffer);
  const worksheet = workbook.worksheets[0];
  if (!worksheet) throw new Error('the written workbook has no sheet');
  return { worksheet, rowCount, bytes: bytes() };
}

/** Every row's cell values (from column A), read in one pass by exceljs's streaming reader. */
async function streamedRows(xlsx: Buffer): Promise<{ sheetName: string; rows: unknown[][] }> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([xlsx]), { styles: 'cache' });
  const rows: unknown[][] = [];
  let sheetName = '';
  for await (const worksheet of reader) {
    sheetName = (worksheet as unknown as { name: string }).name;
    for await (const row of worksheet) rows.push((row.values as unknown[]).slice(1));
  }
  return { sheetName, rows };
}

describe('writeXlsxSheet', () => {
  it('writes a header from the fields in order, with units, in bold', async () => {
    // Act
    const { worksheet } = await writeAndRead(rows);

    // Assess
    const header = worksheet.getRow(1).values as unknown[];
    expect(header.slice(1)).toEqual([
      '記録ID',
      '提出日時',
      '点検日',
      '冷蔵庫温度 (°C)',
      '仕入れ数量 (kg)',
      '手洗い確認',
      '店舗',
      'アレルゲン',
      '写真',
      '確認者署名',
    ]);
    expect(worksheet.getCell('A1').font?.bold).toBe(true);
    expect(worksheet.name).toBe('温度記録   10月');
  });

  it('writes typed cells: numbers, zone-local dates with time, booleans, joined choices, links, signatures', async () => {
    // Act
    const { worksheet, rowCount } = await writeAndRead(rows);

    // Assess
    expect(rowCount).toBe(3);
    const row = worksheet.getRow(2);
    expect(row.getCell(1).value).toBe('rec-1');
    // exceljs reads Excel's zone-less serials as UTC; the wall clock is Tokyo's.
    expect(row.getCell(2).value).toEqual(new Date('2026-10-31T23:30:00Z'));
    expect(row.getCell(2).numFmt?.replaceAll('\\', '')).toBe('yyyy-mm-dd hh:mm');
    expect(row.getCell(3).value).toEqual(new Date('2026-10-31T00:00:00Z'));
    expect(row.getCell(4).value).toBe(4.5);
    expect(row.getCell(5).value).toBe(12.25);
    expect(row.getCell(6).value).toBe(true);
    expect(row.getCell(7).value).toBe('渋谷店');
    expect(row.getCell(8).value).toBe('卵, 乳');
    expect(row.getCell(9).value).toEqual({
      formula: 'HYPERLINK("https://files.example.com/p/1.jpg","冷蔵庫.jpg")',
      result: '冷蔵庫.jpg',
    });
    expect(row.getCell(10).value).toBe('signed by 佐藤 花子 at 2026-11-01 00:00');
    const second = worksheet.getRow(3);
    expect(second.getCell(2).value).toEqual(new Date('2026-10-01T00:00:00Z'));
    expect(second.getCell(5).value).toBe(7);
    expect(second.getCell(6).value).toBe(false);
    expect(second.getCell(7).value).toBeNull();
    expect(second.getCell(8).value).toBeNull();
  });

  it('marks temperatures outside the allowed range with a red fill and leaves others plain', async () => {
    // Act
    const { worksheet } = await writeAndRead(rows);

    // Assess
    const inRange = worksheet.getCell('D2');
    const tooWarm = worksheet.getCell('D3');
    const tooCold = worksheet.getCell('D4');
    expect(inRange.fill).toEqual({ type: 'pattern', pattern: 'none' });
    expect(inRange.numFmt).toBe('0.0');
    for (const cell of [tooWarm, tooCold]) {
      expect(cell.fill).toMatchObject({ type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFC7CE' } });
      expect(cell.font?.color).toEqual({ argb: 'FF9C0006' });
    }
    expect(tooCold.value).toBe(-1);
  });

  it('keeps unparseable values as text and escapes XML special characters', async () => {
    // Act
    const { worksheet } = await writeAndRead(rows);

    // Assess
    const row = worksheet.getRow(4);
    expect(row.getCell(1).value).toBe('a < b & "c"');
    expect(row.getCell(5).value).toBe('n/a');
    expect(row.getCell(6).value).toBe('maybe');
    expect(row.getCell(8).value).toBe('solo');
    expect(row.getCell(9).value).toBe('not a url');
    expect(row.getCell(10).value).toBe('signed on paper');
  });

  it('freezes the header row, filters the whole range and sizes columns from header and type', async () => {
    // Act
    const { worksheet } = await writeAndRead(rows);

    // Assess
    expect(worksheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(worksheet.autoFilter).toBe('A1:J4');
    const widths = worksheet.columns.map((column) => column.width);
    expect(widths[0]).toBe(30); // text
    expect(widths[1]).toBe(17); // datetime
    expect(widths[3]).toBe(18); // '冷蔵庫温度 (°C)': five wide characters + 5 + filter button
  });

  it("is read by exceljs's streaming reader: the workbook part comes before the sheet data", async () => {
    // Act
    const { bytes } = await writeAndRead(rows);
    const streamed = await streamedRows(bytes);

    // Assess: exceljs/exceljs#962, WorkbookReader needs xl/workbook.xml before the sheets.
    expect(bytes.indexOf('xl/workbook.xml')).toBeLessThan(bytes.indexOf('xl/worksheets/sheet1.xml'));
    expect(streamed.sheetName).toBe('温度記録   10月');
    expect(streamed.rows).toHaveLength(4);
    expect(streamed.rows[0]?.[3]).toBe('冷蔵庫温度 (°C)');
    expect(streamed.rows[1]?.slice(0, 8)).toEqual([
      'rec-1',
      new Date('2026-10-31T23:30:00Z'),
      new Date('2026-10-31T00:00:00Z'),
      4.5,
      12.25,
      true,
      '渋谷店',
      '卵, 乳',
    ]);
    expect(streamed.rows[3]?.[0]).toBe('a < b & "c"');
  });

  it('writes a valid file with only the header when there are no rows', async () => {
    // Act
    const { worksheet, rowCount } = await writeAndRead([]);

    // Assess
    expect(rowCount).toBe(0);
    expect(worksheet.rowCount).toBe(1);
    expect(worksheet.autoFilter).toBe('A1:J1');
  });

  it('stops pulling rows while the sink does not drain', async () => {
    // Prepare: a sink that accepts nothing, and a source that counts what is pulled.
    const stuck = new Writable({ highWaterMark: 16 * 1024, write() {} });
    let pulled = 0;
    function* source(): Generator<RawRow[]> {
      for (let chunk = 0; chunk < 1000; chunk++) {
        pulled += 100;
        yield Array.from({ length: 100 }, (_, i) => rows[i % 2] as RawRow);
      }
    }

    // Act
    const writing = writeXlsxSheet(stuck, { sheetName: 'S', columns, timeZone: 'UTC' }, source());
    writing.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Assess: a few MB of buffers at most, far from the 100,000 rows on offer.
    expect(pulled).toBeLessThan(20_000);
    stuck.destroy();
  });

  it('rejects when aborted and leaves the sink unfinished', async () => {
    // Prepare
    const sink = new PassThrough();
    sink.resume();
    const controller = new AbortController();
    function* source(): Generator<RawRow[]> {
      yield [rows[0] as RawRow];
      controller.abort(new Error('stop requested'));
      yield [rows[1] as RawRow];
    }

    // Act
    const writing = writeXlsxSheet(
      sink,
      { sheetName: 'S', columns, timeZone: 'UTC' },
      source(),
      controller.signal,
    );

    // Assess
    await expect(writing).rejects.toThrow('stop requested');
    expect(sink.writableEnded).toBe(false);
  });
});

describe('sheet helpers', () => {
  it('names columns like Excel', () => {
    expect([0, 25, 26, 29, 701, 702].map(columnLetter)).toEqual(['A', 'Z', 'AA', 'AD', 'ZZ', 'AAA']);
  });

  it('cleans sheet names of characters Excel rejects and caps them at 31 characters', () => {
    expect(safeSheetName("'Temp: [daily]?'")).toBe('Temp   daily');
    expect(safeSheetName('温'.repeat(40))).toHaveLength(31);
    expect(safeSheetName('///')).toBe('Records');
  });

  it('converts instants to wall-clock serials across a daylight saving change', () => {
    // Prepare: New York leaves DST on 2026-11-01 at 02:00 local (06:00 UTC).
    const toSerial = createExcelDateConverter('America/New_York');
    const asWallClock = (serial: number) =>
      new Date(Math.round((serial - 25_569) * 86_400_000)).toISOString().slice(0, 16);

    // Act / Assess
    expect(asWallClock(toSerial(Date.parse('2026-11-01T05:30:00Z')))).toBe('2026-11-01T01:30');
    expect(asWallClock(toSerial(Date.parse('2026-11-01T06:30:00Z')))).toBe('2026-11-01T01:30');
    expect(asWallClock(toSerial(Date.parse('2026-11-01T12:00:00Z')))).toBe('2026-11-01T07:00');
  });
});
