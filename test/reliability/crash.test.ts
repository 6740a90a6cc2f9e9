import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  RedriveExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../lib/db/index.ts';
import { sfnClient, waitForStatus, waitUntil } from '../local-runtime/helpers.ts';
import { type OutputProcess, processesMentioning, startNpmStart } from '../support/processes.ts';

const SEED_RECORDS = '500';
const PERIOD = '2026-10';
const EXPORT_INPUT = JSON.stringify({ scheduledTime: '2026-11-01T00:00:00+09:00' });
/** Crash once this many files of the period are published (of the 32 targets 500 seeded records give). */
const CRASH_AFTER_FILES = 3;
/** Nine other jobs of the catalogue, in flight with the export at the crash. */
const OTHER_JOBS = [
  'aggregate-record-stats-daily',
  'aggregate-record-stats-monthly',
  'analyze-tables',
  'compute-compliance-scores',
  'detect-temperature-excursions',
  'expire-share-links',
  'meter-usage-monthly',
  'refresh-search-index',
  'send-weekly-digest',
];

interface PublishedFile {
  key: string;
  ino: number;
  mtimeMs: number;
  size: number;
}

/** The xlsx files at final keys `exports/<workspace>/<template>/<PERIOD>.xlsx` (temporary files are hidden dot files). */
function publishedFiles(dataDir: string): PublishedFile[] {
  const root = path.join(dataDir, 'objects');
  let entries: string[];
  try {
    entries = readdirSync(path.join(root, 'exports'), { recursive: true }).map(String);
  } catch {
    return [];
  }
  return entries
    .filter((entry) => path.basename(entry) === `${PERIOD}.xlsx`)
    .flatMap((entry) => {
      try {
        const stat = statSync(path.join(root, 'exports', entry));
        return [{ key: `exports/${entry}`, ino: stat.ino, mtimeMs: stat.mtimeMs, size: stat.size }];
      } catch {
        return [];
      }
    })
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** Every file under `dir`, relative. */
function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/**
 * Data rows of the first sheet (the header row excluded), read in one pass by exceljs's
 * streaming reader: throws on a torn file.
 */
async function sheetDataRows(file: string): Promise<number> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(createReadStream(file), {});
  let rows = 0;
  for await (const worksheet of reader) for await (const _row of worksheet) rows++;
  if (rows === 0) throw new Error(`${file} has no sheet or no header row`);
  return rows - 1;
}

interface LoggedTask {
  startedAt: string | null;
  lines: Array<{ text: string }>;
}

/** Object keys the converter logged with `message` in these tasks. */
function loggedKeys(tasks: LoggedTask[], message: string): string[] {
  return tasks
    .flatMap((task) => task.lines)
    .flatMap((line) => {
      try {
        const parsed = JSON.parse(line.text) as { message?: string; objectKey?: string };
        return parsed.message === message && parsed.objectKey !== undefined ? [parsed.objectKey] : [];
      } catch {
        return [];
      }
    })
    .sort();
}

async function startRuntime(dataDir: string): Promise<{ runtime: OutputProcess; client: SFNClient }> {
  const runtime = startNpmStart(dataDir, ['--no-schedule', '--port', '0'], {
    SFN_BATCH_SEED_RECORDS: SEED_RECORDS,
  });
  await runtime.waitForOutput('Run a job now', 60_000);
  const endpoint = /Step Functions API {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(runtime.output)?.[1];
  if (endpoint === undefined) throw new Error(`npm start printed no endpoint:\n${runtime.output}`);
  return { runtime, client: sfnClient(endpoint) };
}

// Reliability scenario "crash" (docs/reliability.md). Slow by nature (two real `npm start`
// processes on the embedded database, the real export workflow, Lambdas and converter):
// the runtime is SIGKILLed while the converter publishes the month's files, then restarted.
describe('crash: npm start is SIGKILLed in the middle of the monthly export', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-crash-'));
  const started: OutputProcess[] = [];

  afterAll(() => {
    for (const runtime of started) if (runtime.child.exitCode === null) runtime.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('closes the export and 9 other jobs in flight ABORTED at restart; redrives finish them, every target converted once, no torn file', async () => {
    // Prepare: nine other jobs of the catalogue start while the export converts, so several
    // executions of different jobs are in flight at the crash.
    const first = await startRuntime(dataDir);
    started.push(first.runtime);
    const { executionArn = '' } = await first.client.send(
      new StartExecutionCommand({
        stateMachineArn:
          'arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-local-export-monthly-records',
        name: 'export-crashes-midway',
        input: EXPORT_INPUT,
      }),
    );

    const deadline = Date.now() + 60_000;
    const waitForFiles = async (count: number) => {
      while (publishedFiles(dataDir).length < count && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    // The other jobs start once the converter publishes, so they are in flight with it.
    await waitForFiles(1);
    const others = await Promise.all(
      OTHER_JOBS.map(async (job) => {
        const { executionArn: arn = '' } = await first.client.send(
          new StartExecutionCommand({
            stateMachineArn: `arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-local-${job}`,
            name: `${job}-crash`,
            input: EXPORT_INPUT,
          }),
        );
        return arn;
      }),
    );

    // Act: SIGKILL, as the OOM killer or a power cut would, once some files are published.
    await waitForFiles(CRASH_AFTER_FILES);
    first.runtime.child.kill('SIGKILL');
    await first.runtime.exit;
    const atCrash = publishedFiles(dataDir);
    const restartedAt = Date.now();
    const second = await startRuntime(dataDir);
    started.push(second.runtime);
    const restartMs = Date.now() - restartedAt;
    const interrupted = await second.client.send(new DescribeExecutionCommand({ executionArn }));
    const atRestart = publishedFiles(dataDir);
    const othersAtRestart = await Promise.all(
      others.map((arn) => second.client.send(new DescribeExecutionCommand({ executionArn: arn }))),
    );
    const othersInFlight = othersAtRestart.filter((execution) => execution.status === 'ABORTED');
    await second.client.send(new RedriveExecutionCommand({ executionArn }));
    for (const execution of othersInFlight)
      await second.client.send(new RedriveExecutionCommand({ executionArn: execution.executionArn }));
    const finished = await waitForStatus(second.client, executionArn, 90_000);
    const othersFinished = await Promise.all(others.map((arn) => waitForStatus(second.client, arn, 90_000)));
    const logsResponse = await fetch(
      `${/Step Functions API {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(second.runtime.output)?.[1]}/_local/logs?executionArn=${encodeURIComponent(executionArn)}`,
    );
    const { tasks } = (await logsResponse.json()) as { tasks: LoggedTask[] };
    second.runtime.child.kill('SIGINT');
    expect(await second.runtime.exit).toBe(0);
    // Nothing of either runtime is left: the converter orphaned by the crash was ended at restart.
    const describeLeft = () =>
      processesMentioning(dataDir)
        .map((pid) => `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ')}`)
        .join('\n');
    const leftAtExit = describeLeft();
    expect(
      await waitUntil(() => processesMentioning(dataDir).length === 0, 3000),
      `${leftAtExit}\n---\n${describeLeft()}`,
    ).toBe(true);

    // Assess: the crash came in the middle (some files, not all), and nothing published then is torn.
    expect(atCrash.length).toBeGreaterThanOrEqual(CRASH_AFTER_FILES);
    const output = JSON.parse(finished.output ?? '{}');
    const targetCount: number = output.targetCount;
    expect(atCrash.length).toBeLessThan(targetCount);
    for (const file of atCrash) await sheetDataRows(path.join(dataDir, 'objects', file.key));
    // The interrupted executions are closed, not lost, and a redrive finishes each of them;
    // one that had ended before the crash keeps its status.
    expect(interrupted).toMatchObject({ status: 'ABORTED', error: 'LocalRuntimeStopped' });
    for (const execution of othersAtRestart) {
      if (execution.status === 'ABORTED') expect(execution.error).toBe('LocalRuntimeStopped');
      else expect(execution.status, execution.name).toBe('SUCCEEDED');
    }
    expect(othersInFlight.length).toBeGreaterThanOrEqual(3);
    for (const execution of othersFinished) {
      expect(execution.status, `${execution.name}: ${execution.error} ${execution.cause}`).toBe('SUCCEEDED');
      const wasInFlight = othersInFlight.some((item) => item.executionArn === execution.executionArn);
      expect(execution.redriveCount).toBe(wasInFlight ? 1 : 0);
    }
    expect(finished.status).toBe('SUCCEEDED');
    expect(finished.redriveCount).toBe(1);
    expect(output.files).toMatchObject({ count: targetCount, periodTotal: targetCount });
    // Each target is converted once after the crash: the redrive's converter skips exactly the
    // targets the database had done, and converts every other one.
    const final = publishedFiles(dataDir);
    expect(final).toHaveLength(targetCount);
    const beforeCrash = tasks.filter((task) => Date.parse(task.startedAt ?? '') < restartedAt);
    const redriven = tasks.filter((task) => Date.parse(task.startedAt ?? '') >= restartedAt);
    expect(beforeCrash).toHaveLength(1);
    expect(redriven).toHaveLength(1);
    const skippedKeys = loggedKeys(redriven, 'export target already done; skipped');
    // Published by the converter that the restart killed before it marked them done.
    const recoveredKeys = loggedKeys(redriven, 'export target already published; marked done');
    const convertedKeys = loggedKeys(redriven, 'export target converted');
    expect(new Set(convertedKeys).size).toBe(convertedKeys.length);
    expect([...skippedKeys, ...recoveredKeys, ...convertedKeys].sort()).toEqual(
      final.map((file) => file.key),
    );
    // A done-mark the converter saw committed before the crash survived it (embedded database durability).
    const doneBeforeCrash = loggedKeys(beforeCrash, 'export target converted');
    for (const key of doneBeforeCrash) expect(skippedKeys).toContain(key);
    // A file published before the crash is never written again (same inode and mtime), not even
    // the one whose target the converter had not yet marked done: the redrive finds the version
    // it recorded before publishing at the key and marks the target done.
    for (const file of atRestart) expect(final.find((item) => item.key === file.key)).toEqual(file);
    for (const key of [...skippedKeys, ...recoveredKeys])
      expect(
        atRestart.map((file) => file.key),
        `${key} was done but not published`,
      ).toContain(key);
    const republished = atRestart.filter((file) => convertedKeys.includes(file.key)).map((file) => file.key);
    expect(republished).toEqual([]);
    // The database agrees: every target done, its row count the file's and the records'.
    const db = await openDatabase({ dataDir: path.join(dataDir, 'pglite') });
    try {
      const targets = (
        await db.query<{ object_key: string; status: string; row_count: number; records: string }>(
          `SELECT t.object_key, t.status, t.row_count,
                  (SELECT count(*) FROM records r
                    WHERE r.template_id = t.template_id AND r.status = 'submitted' AND r.deleted_at IS NULL
                      AND r.submitted_at >= t.period_start AND r.submitted_at < t.period_end) AS records
           FROM export_targets t WHERE t.period_label = $1 ORDER BY t.object_key`,
          [PERIOD],
        )
      ).rows;
      expect(targets).toHaveLength(targetCount);
      expect(targets.map((target) => target.object_key).sort()).toEqual(final.map((file) => file.key).sort());
      for (const target of targets) {
        expect(target.status).toBe('done');
        expect(target.row_count).toBe(Number(target.records));
        expect(await sheetDataRows(path.join(dataDir, 'objects', target.object_key))).toBe(target.row_count);
      }
    } finally {
      await db.close();
    }
    // No torn file: every JSON file of the execution store parses, every JSONL line too, and
    // the store keeps no temporary file.
    for (const file of allFiles(path.join(dataDir, 'sfn'))) {
      const text = readFileSync(path.join(dataDir, 'sfn', file), 'utf8');
      if (file.endsWith('.jsonl')) {
        for (const line of text.split('\n').filter((item) => item !== ''))
          expect(() => JSON.parse(line), file).not.toThrow();
      } else if (file.endsWith('.json')) expect(() => JSON.parse(text), file).not.toThrow();
    }
    expect(allFiles(path.join(dataDir, 'sfn')).filter((file) => /\.tmp/.test(file))).toEqual([]);
    // The temporary file of the converter killed at the restart names its dead writer (pid and
    // start time): the redrive's write of that target removes it, so the store keeps none.
    const abandoned = allFiles(path.join(dataDir, 'objects')).filter((file) => /\.tmp/.test(file));
    expect(abandoned).toEqual([]);
    console.log(
      `crash: killed with ${atCrash.length}/${targetCount} files published (${atRestart.length} at restart, ${doneBeforeCrash.length} logged done); restart took ${restartMs} ms; redrive skipped ${skippedKeys.length}, recovered ${recoveredKeys.length}, converted ${convertedKeys.length}, republished ${republished.length}; abandoned temporary files ${abandoned.length}; other jobs in flight ${othersInFlight.length}/${OTHER_JOBS.length}, all redriven to SUCCEEDED; processes still exiting when npm start had exited: ${leftAtExit === '' ? 'none' : leftAtExit}`,
    );
  }, 150_000);
});
