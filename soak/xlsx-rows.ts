/**
 * Counts the rows of an xlsx file's first sheet at the zip level: finds `xl/worksheets/sheet1.xml`
 * through the zip's central directory, inflates it with node's zlib and counts `<row` elements as
 * they stream past. Independent of the project's own zip and xlsx writers, and fast enough for
 * hundreds of thousands of rows, where exceljs's in-memory reader is slow and its streaming reader
 * cannot read our files (docs/reliability.md, crash scenario).
 */
import { open } from 'node:fs/promises';
import { createInflateRaw } from 'node:zlib';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_FILE_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const SHEET = 'xl/worksheets/sheet1.xml';

/** The compressed bytes of one zip entry and how they are stored. */
async function zipEntry(file: string, name: string): Promise<{ method: number; data: Buffer }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const tailLength = Math.min(size, 65_557);
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    let end = -1;
    for (let at = tailLength - 22; at >= 0; at--) {
      if (tail.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) {
        end = at;
        break;
      }
    }
    if (end < 0) throw new Error(`${file} is not a zip file (no end of central directory)`);
    const entries = tail.readUInt16LE(end + 10);
    const directorySize = tail.readUInt32LE(end + 12);
    const directoryOffset = tail.readUInt32LE(end + 16);
    if (directoryOffset === 0xffffffff)
      throw new Error(`${file} is a zip64 file, which this reader does not read`);
    const directory = Buffer.alloc(directorySize);
    await handle.read(directory, 0, directorySize, directoryOffset);
    let at = 0;
    for (let index = 0; index < entries; index++) {
      if (directory.readUInt32LE(at) !== CENTRAL_FILE_HEADER)
        throw new Error(`${file}: broken central directory`);
      const method = directory.readUInt16LE(at + 10);
      const compressedSize = directory.readUInt32LE(at + 20);
      const nameLength = directory.readUInt16LE(at + 28);
      const extraLength = directory.readUInt16LE(at + 30);
      const commentLength = directory.readUInt16LE(at + 32);
      const localOffset = directory.readUInt32LE(at + 42);
      const entryName = directory.toString('utf8', at + 46, at + 46 + nameLength);
      if (entryName === name) {
        const local = Buffer.alloc(30);
        await handle.read(local, 0, 30, localOffset);
        if (local.readUInt32LE(0) !== LOCAL_FILE_HEADER)
          throw new Error(`${file}: broken local header of ${name}`);
        const dataOffset = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
        const data = Buffer.alloc(compressedSize);
        await handle.read(data, 0, compressedSize, dataOffset);
        return { method, data };
      }
      at += 46 + nameLength + extraLength + commentLength;
    }
    throw new Error(`${file} has no ${name}`);
  } finally {
    await handle.close();
  }
}

/** Counts `<row ` / `<row>` start tags in a stream of XML text chunks (tags may straddle chunks). */
function rowCounter(): { add(text: string): void; readonly count: number } {
  let count = 0;
  let carry = '';
  return {
    add(text) {
      const chunk = carry + text;
      const matches = chunk.match(/<row[\s>]/g);
      count += matches?.length ?? 0;
      // Keep a tail too short to hold a whole tag, so a tag cut in two is counted once.
      carry = chunk.slice(-4);
      if (/<row[\s>]/.test(carry)) carry = '';
    },
    get count() {
      return count;
    },
  };
}

/** Rows of the first sheet, the header row included. Throws on a file that is not a readable xlsx. */
export async function sheetRowCount(file: string): Promise<number> {
  const { method, data } = await zipEntry(file, SHEET);
  const counter = rowCounter();
  if (method === 0) {
    counter.add(data.toString('utf8'));
    return counter.count;
  }
  if (method !== 8) throw new Error(`${file}: ${SHEET} uses zip method ${method}, not deflate`);
  const inflate = createInflateRaw();
  inflate.setEncoding('utf8');
  const done = new Promise<void>((resolve, reject) => {
    inflate.on('data', (text: string) => counter.add(text));
    inflate.on('end', resolve);
    inflate.on('error', (error) =>
      reject(new Error(`${file}: ${SHEET} does not inflate (${error.message})`)),
    );
  });
  inflate.end(data);
  await done;
  return counter.count;
}
