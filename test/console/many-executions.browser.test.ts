import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleRuntime,
  launchBrowser,
  screenshot,
  startConsoleRuntime,
  watchPageErrors,
} from './browser.ts';
import { type ManyExecutions, writeManyExecutions } from './fixtures/many-executions.ts';

const JOBS = [
  'purge-deleted-records',
  'aggregate-record-stats-daily',
  'expire-share-links',
  'export-daily-records',
  'meter-usage-daily',
];

interface Row {
  name: string;
  start: number;
}

async function visibleRows(page: Page): Promise<Row[]> {
  return page.locator('table.executions tbody tr').evaluateAll((rows) =>
    rows.map((row) => ({
      name: row.getAttribute('data-execution') ?? '',
      start: Number(row.getAttribute('data-start')),
    })),
  );
}

function isNewestFirst(rows: Row[]): boolean {
  return rows.every((row, index) => index === 0 || (rows[index - 1]?.start ?? 0) >= row.start);
}

// Slow (writes a 10,000-execution store fixture, then one npm start and Chromium): paging and
// page speed with a full store. Each ListExecutions call the page makes is counted and sized.
describe('local console with 10,000 executions', () => {
  let dataDir: string;
  let fixture: ManyExecutions;
  let runtime: ConsoleRuntime;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  const listCalls: number[] = [];

  beforeAll(async () => {
    // 10,000 executions are about 50,000 small files: in RAM where it can (/dev/shm), as writing and
    // deleting them on a busy shared disk takes minutes.
    const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    dataDir = mkdtempSync(path.join(base, 'sfn-batch-console-10k-'));
    fixture = writeManyExecutions(dataDir, { count: 10_000, jobs: JOBS, newest: new Date() });
    [runtime, browser] = await Promise.all([startConsoleRuntime(dataDir), launchBrowser()]);
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    pageErrors = watchPageErrors(page);
    page.on('request', (request) => {
      if (request.headers()['x-amz-target'] === 'AWSStepFunctions.ListExecutions') {
        listCalls.push(
          Number((JSON.parse(request.postData() ?? '{}') as { maxResults?: number }).maxResults),
        );
      }
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    // No task runs here: a hard stop is enough, and faster than a clean one with 10,000 executions loaded.
    if (runtime && runtime.process.child.exitCode === null) runtime.process.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('pages through all jobs newest first, a page at a time, and back', async () => {
    // Act
    await page.goto(`${runtime.consoleUrl}/executions`);
    await page.locator('table.executions tbody tr').first().waitFor();
    const first = await visibleRows(page);
    const pages = [first];
    for (let index = 0; index < 3; index++) {
      const previous = pages.at(-1)?.[0]?.name;
      await page.getByRole('button', { name: 'Older' }).click();
      await expect.poll(async () => (await visibleRows(page))[0]?.name).not.toBe(previous);
      pages.push(await visibleRows(page));
    }
    await screenshot(page, 'executions-10k-page-4');
    for (const shown of [pages[2], pages[1], pages[0]]) {
      await page.getByRole('button', { name: 'Newer' }).click();
      await expect.poll(async () => (await visibleRows(page))[0]?.name).toBe(shown?.[0]?.name);
    }

    // Assess
    const all = pages.flat();
    expect(all).toHaveLength(100);
    expect(new Set(all.map((row) => row.name)).size).toBe(100);
    expect(isNewestFirst(all)).toBe(true);
    // The newest fixture executions are the heavy export and then fixture-010000, fixture-009999, …
    expect(all.slice(0, 3).map((row) => row.name)).toEqual([
      'fixture-export-500-events',
      'fixture-010000',
      'fixture-009999',
    ]);
    expect(await page.locator('.tag-skip').count()).toBeGreaterThan(0);
    // Never more than a page per state machine per call, whatever the store holds.
    expect(listCalls.length).toBeGreaterThan(0);
    expect(Math.max(...listCalls)).toBeLessThanOrEqual(25);
  }, 120_000);

  it('pages one job filtered by status to its end', async () => {
    // Act: 1 in 50 fixture executions is TIMED_OUT, all of them expire-share-links': 200, eight pages.
    await page.goto(`${runtime.consoleUrl}/executions?job=expire-share-links&status=TIMED_OUT`);
    await page.locator('table.executions tbody tr').first().waitFor();
    const pages = [await visibleRows(page)];
    while (!(await page.getByRole('button', { name: 'Older' }).isDisabled())) {
      const previous = pages.at(-1)?.[0]?.name;
      await page.getByRole('button', { name: 'Older' }).click();
      await expect.poll(async () => (await visibleRows(page))[0]?.name).not.toBe(previous);
      pages.push(await visibleRows(page));
    }

    // Assess
    const all = pages.flat();
    expect(pages).toHaveLength(8);
    expect(new Set(all.map((row) => row.name)).size).toBe(200);
    expect(isNewestFirst(all)).toBe(true);
    const statuses = await page
      .locator('table.executions tbody tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-status')));
    expect(new Set(statuses)).toEqual(new Set(['TIMED_OUT']));
  }, 60_000);

  it('renders the executions page and a 500-event execution quickly, and reports the times', async () => {
    // Act: time to first render in the browser (navigation start until the rows are on screen).
    const timings: Record<string, number> = {};
    await page.goto(`${runtime.consoleUrl}/executions`);
    await page.locator('table.executions tbody tr').first().waitFor();
    timings.executionsPageMs = await page.evaluate(() => performance.now());
    await page.goto(`${runtime.consoleUrl}/executions/${encodeURIComponent(fixture.heavyExecutionArn)}`);
    await page.locator('table.events tbody tr').nth(499).waitFor();
    timings.executionPageMs = await page.evaluate(() => performance.now());
    const eventRows = await page.locator('table.events tbody tr').count();
    const iterations = await page.locator('.iterations li[data-status="SUCCEEDED"]').count();
    await screenshot(page, 'execution-500-events');

    // Assess: loose bounds that catch a scan of the whole store on a busy CI machine; the
    // figures for docs/benchmarks.md come from the log line below on a quiet machine.
    process.stdout.write(`console timings with ${fixture.count} executions: ${JSON.stringify(timings)}\n`);
    expect(eventRows).toBe(500);
    expect(fixture.heavyEventCount).toBe(500);
    expect(iterations).toBe(61);
    expect(timings.executionsPageMs).toBeLessThan(5000);
    expect(timings.executionPageMs).toBeLessThan(5000);
  }, 60_000);
});
