import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type CaseResult, format, median, runChild } from './run-child.ts';

/*
 * `npm run bench -- --suite zip`: the same sheet XML, made ready before the clock starts
 * (bench/lower-bound.ts `readySheetXml`), deflated alone (no container: the floor) and
 * packed as a zip by our writer, zip-stream and yazl at zlib level 1, plus the converter
 * itself (which renders its rows), each case in a fresh child process,
 * over several rounds with the case order rotated each round so a load swing on the
 * shared machine does not land on one case. Zip cost alone = a case's time minus the
 * deflate-only time of the same round (wall clock and CPU); medians over the rounds.
 */

export const ZIP_CASES = ['deflate-only', 'zip-writer', 'zip-stream', 'yazl', 'converter'] as const;
type ZipCase = (typeof ZIP_CASES)[number];

const labels: Record<ZipCase, string> = {
  'deflate-only': 'deflate only: ready-made sheet XML → node:zlib level 1, no zip container (floor)',
  'zip-writer': 'our zip writer (containers/xlsx-converter/zip-writer.ts)',
  'zip-stream': 'zip-stream 7 (archiver’s engine), same zlib options',
  yazl: 'yazl 3, compressionLevel 1',
  converter: 'converter (renders typed + styled rows, our zip writer)',
};

export interface ZipCaseFigures {
  case: ZipCase;
  rows: number;
  rowsPerSecond: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  bytes: number;
  /** Median over rounds of this case's rows/s ÷ deflate-only's in the same round. */
  vsDeflateOnly: number;
  /** Median over rounds of (this case − deflate-only) in the same round. */
  zipCostSeconds: number;
  zipCostCpuSeconds: number;
}

export async function runZipSuite(options: {
  rows: number;
  rounds: number;
  workDir: string;
  log: (line: string) => void;
}): Promise<ZipCaseFigures[]> {
  const byCase = new Map<ZipCase, CaseResult[]>(ZIP_CASES.map((name) => [name, []]));
  for (let round = 0; round < options.rounds; round++) {
    const order = ZIP_CASES.map((_, index) => ZIP_CASES[(index + round) % ZIP_CASES.length] as ZipCase);
    for (const name of order) {
      const output = join(options.workDir, `zip-${name}.out`);
      options.log(`zip round ${round + 1}/${options.rounds}: ${name} (${format(options.rows)} rows)...`);
      const result = await runChild(join(import.meta.dirname, 'child.ts'), [
        name,
        String(options.rows),
        output,
      ]);
      rmSync(output, { force: true });
      if ('failed' in result) throw new Error(`zip suite: ${name} failed: ${result.failed}`);
      options.log(
        `  ${format(result.rowsPerSecond)} rows/s, ${format(result.seconds, 2)} s, CPU ${format(result.cpuSeconds ?? Number.NaN, 2)} s, ${format(result.peakRssMiB)} MiB`,
      );
      byCase.get(name)?.push(result);
    }
  }
  const floor = byCase.get('deflate-only') ?? [];
  return ZIP_CASES.map((name) => {
    const results = byCase.get(name) ?? [];
    const perRound = (pick: (result: CaseResult, base: CaseResult) => number) =>
      median(results.flatMap((result, round) => (floor[round] ? [pick(result, floor[round])] : [])));
    return {
      case: name,
      rows: results[0]?.rows ?? 0,
      rowsPerSecond: median(results.map((result) => result.rowsPerSecond)),
      seconds: median(results.map((result) => result.seconds)),
      cpuSeconds: median(results.map((result) => result.cpuSeconds ?? Number.NaN)),
      peakRssMiB: median(results.map((result) => result.peakRssMiB)),
      bytes: results[0]?.bytes ?? 0,
      vsDeflateOnly: perRound((result, base) => result.rowsPerSecond / base.rowsPerSecond),
      zipCostSeconds: perRound((result, base) => result.seconds - base.seconds),
      zipCostCpuSeconds: perRound(
        (result, base) => (result.cpuSeconds ?? Number.NaN) - (base.cpuSeconds ?? 0),
      ),
    };
  });
}

/** The suite's table and the zip-cost comparison against our writer. */
export function formatZipSuite(
  figures: ZipCaseFigures[],
  rounds: number,
): { lines: string[]; notes: string[] } {
  const lines = [
    `| case | rows | rows/s | wall s | CPU s | peak RSS MiB | output MiB | rows/s vs deflate only | zip cost wall s | zip cost CPU s |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  for (const item of figures) {
    const floor = item.case === 'deflate-only';
    lines.push(
      `| ${labels[item.case]} | ${format(item.rows)} | ${format(item.rowsPerSecond)} | ${format(item.seconds, 2)} | ${format(item.cpuSeconds, 2)} | ${format(item.peakRssMiB)} | ${format(item.bytes / 1_048_576, 1)} | ${format(item.vsDeflateOnly, 2)} | ${floor ? '–' : format(item.zipCostSeconds, 2)} | ${floor ? '–' : format(item.zipCostCpuSeconds, 2)} |`,
    );
  }
  const ours = figures.find((item) => item.case === 'zip-writer');
  const notes = [
    `zip suite: medians over ${rounds} round(s), case order rotated each round; zip cost = the case minus deflate only in the same round`,
  ];
  for (const library of figures.filter((item) => item.case === 'zip-stream' || item.case === 'yazl')) {
    if (!ours) continue;
    notes.push(
      `${library.case} vs our zip writer: rows/s ${format(library.rowsPerSecond / ours.rowsPerSecond, 2)}x, ` +
        `zip cost ${format(library.zipCostSeconds, 2)} s vs ${format(ours.zipCostSeconds, 2)} s wall, ` +
        `${format(library.zipCostCpuSeconds, 2)} s vs ${format(ours.zipCostCpuSeconds, 2)} s CPU, ` +
        `peak RSS ${format(library.peakRssMiB)} vs ${format(ours.peakRssMiB)} MiB`,
    );
  }
  return { lines, notes };
}
