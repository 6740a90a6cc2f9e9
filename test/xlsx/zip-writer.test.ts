import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZipWriter } from '../../containers/xlsx-converter/zip-writer.ts';

// Python's zipfile is an independent reader that checks every CRC and understands
// ZIP64; `unzip -t` is the everyday one.
const PYTHON_CHECK = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    assert bad is None, bad
    for info in z.infolist():
        print(info.filename, info.file_size, z.read(info.filename)[:12].decode("utf-8"))
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zip-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeZip(file: string, options: { zip64Above?: number } = {}): Promise<void> {
  const zip = new ZipWriter(createWriteStream(file), options);
  await zip.addFile('[Content_Types].xml', '<Types/>');
  const entry = await zip.openEntry('xl/worksheets/sheet1.xml');
  for (let i = 0; i < 2000; i++) await entry.write(`<row r="${i}"><c><v>${i}</v></c></row>`);
  await entry.end();
  await zip.addFile('xl/workbook.xml', Buffer.from('<workbook/>'));
  await zip.finish();
}

describe('ZipWriter', () => {
  it.each([
    ['plain ZIP', {}],
    ['ZIP64 records (forced for every entry)', { zip64Above: 0 }],
  ])('writes a %s archive that independent readers verify', async (_name, options) => {
    // Prepare
    const file = join(dir, 'out.zip');

    // Act
    await writeZip(file, options);

    // Assess
    const python = spawnSync('python3', ['-c', PYTHON_CHECK, file], { encoding: 'utf8' });
    expect(python.stderr).toBe('');
    expect(python.stdout.trim().split('\n')).toEqual([
      '[Content_Types].xml 8 <Types/>',
      `xl/worksheets/sheet1.xml ${Array.from({ length: 2000 }, (_, i) => `<row r="${i}"><c><v>${i}</v></c></row>`).join('').length} <row r="0"><`,
      'xl/workbook.xml 11 <workbook/>',
    ]);
    const unzip = spawnSync('unzip', ['-t', file], { encoding: 'utf8' });
    expect(unzip.status).toBe(0);
  });

  it('refuses to open an entry while another is still being written', async () => {
    const zip = new ZipWriter(createWriteStream(join(dir, 'x.zip')));
    await zip.openEntry('a.xml');
    await expect(zip.openEntry('b.xml')).rejects.toThrow('still being written');
  });

  it("rejects with the sink's error when the sink fails while the caller is between writes", async () => {
    // Prepare: a sink that fails its second write later, as a file stream reports a full disk.
    let writes = 0;
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        writes += 1;
        if (writes === 2) setTimeout(() => callback(new Error('ENOSPC: no space left on device')), 10);
        else callback();
      },
    });
    const zip = new ZipWriter(sink);
    await zip.addFile('a.xml', 'a'.repeat(1000));

    // Act: the converter waits for the next rows while the sink fails.
    await sleep(50);
    const next = zip.addFile('b.xml', 'b'.repeat(1000));

    // Assess: the error reaches the caller (before, it was an unhandled 'error' event that ended the process).
    await expect(next).rejects.toThrow('ENOSPC');
  });
});
