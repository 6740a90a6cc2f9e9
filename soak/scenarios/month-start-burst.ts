/**
 * Reliability scenario "month-start burst" (issue 12, docs/reliability.md): `npm start` with its
 * clock just before the 1st, 00:00 Asia/Tokyo. Every job due at that instant starts and succeeds,
 * and the monthly export converts every target of the month exactly once: as many xlsx files as
 * targets, and as many data rows in them (counted at the zip level) as the database has records.
 */
import path from 'node:path';
import ExcelJS from 'exceljs';
import {
  BURST_SIZES,
  type Burst,
  EXPORTED_MONTH,
  exportedFiles,
  loggedObjectKeys,
  loggedTasks,
  monthTargets,
  openBurstDatabase,
  removeBurst,
  startBurst,
  waitForEnd,
} from '../month-start.ts';
import type { Scenario, ScenarioResult, ScenarioSize } from '../scenario.ts';
import { sheetRowCount } from '../xlsx-rows.ts';

/** Data rows by exceljs's in-memory reader: the cross-check of the zip-level count. */
async function exceljsDataRows(file: string): Promise<number> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  const sheet = workbook.worksheets[0];
  if (sheet === undefined) throw new Error(`${file} has no sheet`);
  return sheet.rowCount - 1;
}

/** The export checks both scenarios make: every target done once, files and rows equal the database's. */
export async function checkExportedMonth(
  burst: Burst,
  converterTasks: Parameters<typeof loggedObjectKeys>[0],
  options: { exceljsSample: number; minimumRecords: number; minimumTargets: number },
  fail: (message: string) => void,
): Promise<Record<string, number>> {
  const db = await openBurstDatabase(burst.dataDir);
  let targets: Awaited<ReturnType<typeof monthTargets>>;
  let monthRecords: number;
  let templates: number;
  try {
    targets = await monthTargets(db);
    const { rows } = await db.query<{ records: string; templates: string }>(
      `SELECT count(*) AS records, count(DISTINCT template_id) AS templates FROM records
        WHERE status = 'submitted' AND deleted_at IS NULL
          AND submitted_at >= $1 AND submitted_at < $2`,
      ['2026-10-31T15:00:00Z', '2026-11-30T15:00:00Z'],
    );
    monthRecords = Number(rows[0]?.records);
    templates = Number(rows[0]?.templates);
  } finally {
    await db.close();
  }
  const files = exportedFiles(burst.dataDir);
  const converted = loggedObjectKeys(converterTasks, 'export target converted');
  const targetRecords = targets.reduce((sum, target) => sum + target.records, 0);
  const withRecords = targets.filter((target) => target.records > 0).length;

  if (targets.length < options.minimumTargets)
    fail(
      `${targets.length} targets for ${EXPORTED_MONTH}; the size asks for at least ${options.minimumTargets}`,
    );
  // Both the month and what its enabled exports cover: about a tenth of the demo export settings are disabled.
  if (monthRecords < options.minimumRecords)
    fail(
      `${monthRecords} records in ${EXPORTED_MONTH}; the size asks for at least ${options.minimumRecords}`,
    );
  if (targetRecords < options.minimumRecords)
    fail(
      `the export targets of ${EXPORTED_MONTH} cover ${targetRecords} records; the size asks for at least ${options.minimumRecords}`,
    );
  for (const target of targets) {
    if (target.status !== 'done') fail(`target ${target.object_key} is ${target.status}, not done`);
    else if (target.row_count !== target.records)
      fail(
        `target ${target.object_key} is done with ${target.row_count} rows; the database has ${target.records}`,
      );
  }
  // Exactly once: each target's key logged converted once by the converter tasks, and nothing else.
  const times = new Map<string, number>();
  for (const key of converted) times.set(key, (times.get(key) ?? 0) + 1);
  for (const [key, count] of times) if (count > 1) fail(`${key} was converted ${count} times`);
  const targetKeys = targets.map((target) => target.object_key);
  const notConverted = targetKeys.filter((key) => !times.has(key));
  if (notConverted.length > 0)
    fail(`${notConverted.length} targets never logged converted, e.g. ${notConverted[0]}`);
  const strays = [...times.keys()].filter((key) => !targetKeys.includes(key));
  if (strays.length > 0) fail(`converted ${strays.length} keys that are not targets, e.g. ${strays[0]}`);
  if (files.length !== targets.length)
    fail(`${files.length} xlsx files for ${targets.length} targets (${withRecords} of them with records)`);
  if (files.join('\n') !== [...targetKeys].sort().join('\n'))
    fail("the xlsx files are not exactly the targets' keys");

  // Rows: every file read at the zip level; a sample also by exceljs, which must agree.
  let fileRows = 0;
  for (const target of targets) {
    const file = path.join(burst.dataDir, 'objects', target.object_key);
    try {
      const rows = (await sheetRowCount(file)) - 1;
      fileRows += rows;
      if (rows !== target.records)
        fail(`${target.object_key} has ${rows} data rows; the database has ${target.records}`);
    } catch (error) {
      fail(`${target.object_key} cannot be read: ${(error as Error).message}`);
    }
  }
  const sample = [...targets].sort((a, b) => b.records - a.records).slice(0, options.exceljsSample);
  for (const target of sample) {
    const file = path.join(burst.dataDir, 'objects', target.object_key);
    const rows = await exceljsDataRows(file).catch((error: Error) => `error ${error.message}`);
    if (rows !== target.records)
      fail(`exceljs reads ${rows} data rows in ${target.object_key}; expected ${target.records}`);
  }
  if (fileRows !== targetRecords)
    fail(
      `the xlsx files hold ${fileRows} data rows; the database has ${targetRecords} records for the targets`,
    );
  return {
    'records in month': monthRecords,
    'templates with records in month': templates,
    targets: targets.length,
    'targets with records': withRecords,
    'xlsx files': files.length,
    'xlsx data rows': fileRows,
    'database records of targets': targetRecords,
    'files also read by exceljs': sample.length,
  };
}

/**
 * Stops npm start (it must exit 0), then makes the export checks at the scenario's size: at full
 * size at least 200 targets and 300,000 records in the month. `targetCount` is what the export's
 * output said.
 */
export async function stopAndCheckExport(
  burst: Burst,
  converterTasks: Parameters<typeof loggedObjectKeys>[0],
  size: ScenarioSize,
  targetCount: number | undefined,
  fail: (message: string) => void,
): Promise<Record<string, number>> {
  const code = await burst.close();
  if (code !== 0) fail(`npm start exited with ${code} on SIGINT`);
  const quick = size === 'quick';
  const figures = await checkExportedMonth(
    burst,
    converterTasks,
    {
      exceljsSample: quick ? Number.POSITIVE_INFINITY : 10,
      minimumRecords: quick ? 1 : 300_000,
      minimumTargets: quick ? 1 : 200,
    },
    fail,
  );
  if (targetCount !== figures.targets)
    fail(`the export's output says ${targetCount} targets; the database has ${figures.targets}`);
  return figures;
}

const monthStartBurst: Scenario = async ({ size, log }) => {
  const burstSize = BURST_SIZES[size];
  const failures: string[] = [];
  const fail = (message: string) => failures.push(message);
  const burst = await startBurst(burstSize, log);
  const started = Date.now();
  try {
    log(
      `npm start is up at ${burst.endpoint}; due at the month start: ${burst.due.map((d) => d.job.name).join(', ')}`,
    );
    const ended = await waitForEnd(
      burst,
      burst.due.map((due) => due.arn),
      burstSize.runTimeoutMs - (Date.now() - started),
    );
    const exportRun = burst.due.find((due) => due.job.name === 'export-monthly-records');
    if (exportRun === undefined) throw new Error('export-monthly-records is not due at the month start');
    const tasks = await loggedTasks(burst.endpoint, exportRun.arn);
    // Every due job started at the instant, and nothing else did.
    const stamp = exportRun.name.slice('export-monthly-records'.length);
    const startedAtInstant = [...burst.runtime.output.matchAll(/ started {3}\S+\s+(\S+)/g)]
      .map((match) => match[1] ?? '')
      .filter((name) => name.endsWith(stamp));
    const expected = burst.due.map((due) => due.name).sort();
    if (startedAtInstant.sort().join(',') !== expected.join(','))
      fail(`started at the month start: ${startedAtInstant.join(', ')}; due: ${expected.join(', ')}`);
    for (const [arn, execution] of ended) {
      if (execution.status !== 'SUCCEEDED')
        fail(
          `${arn.split(':').pop()} ended ${execution.status}: ${execution.error} ${execution.cause?.slice(0, 300)}`,
        );
    }
    const exportOutput = JSON.parse(ended.get(exportRun.arn)?.output ?? '{}') as {
      targetCount?: number;
      convertedBatches?: number;
    };
    const lastEnd = Math.max(...[...ended.values()].map((execution) => execution.stopDate?.getTime() ?? 0));
    const firstStart = Math.min(
      ...[...ended.values()].map((execution) => execution.startDate?.getTime() ?? 0),
    );
    const figures = await stopAndCheckExport(burst, tasks, size, exportOutput.targetCount, fail);
    const result: ScenarioResult = {
      scenario: 'month-start burst',
      passed: failures.length === 0,
      figures: {
        'jobs due': burst.due.length,
        ...figures,
        'converter batches': exportOutput.convertedBatches ?? 0,
        'burst makespan s': Math.round((lastEnd - firstStart) / 100) / 10,
      },
      failures,
    };
    return result;
  } finally {
    await burst.close();
    removeBurst(burst);
  }
};

export default monthStartBurst;
