/**
 * Browser-test support: a real `npm start` (one per test file) and Debian's Chromium
 * driven by playwright-core, headless, with no network features of its own.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page, type Request } from 'playwright-core';
import { REPO, type ServingRuntime, startServingNpmStart } from '../support/processes.ts';

export const CHROMIUM = '/usr/bin/chromium';
/** Git-ignored: one screenshot per page, for people to look at. */
export const SCREENSHOTS = path.join(REPO, 'test', 'console', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium package (.ci/run does) to run the console tests`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * A copy of the repository's schedules in `root/schedules` (with `root/containers` linked
 * to the real ones) with two changes: the monthly export packs at most 3 records per
 * converter batch, so the small demo database still gives a Map with many iterations; and
 * purge-deleted-records declares its `retentionDays` parameter as input (unless it already
 * does), so a manual run may set it.
 */
export function testSchedules(root: string): string {
  const schedules = path.join(root, 'schedules');
  cpSync(path.join(REPO, 'schedules'), schedules, { recursive: true });
  symlinkSync(path.join(REPO, 'containers'), path.join(root, 'containers'));
  const file = path.join(schedules, 'export-monthly-records.yml');
  const text = readFileSync(file, 'utf8');
  const changed = text.replace('recordsPerBatch: 200000', 'recordsPerBatch: 3');
  if (changed === text)
    throw new Error(`${file} no longer sets recordsPerBatch: 200000; update this fixture`);
  writeFileSync(file, changed);
  const purge = path.join(schedules, 'purge-deleted-records.yml');
  const purgeText = readFileSync(purge, 'utf8');
  if (!/^input:.*retentionDays/m.test(purgeText)) {
    if (/^input:/m.test(purgeText)) throw new Error(`${purge} declares other input; update this fixture`);
    writeFileSync(purge, `${purgeText}input: { retentionDays: 30 }\n`);
  }
  return schedules;
}

export type ConsoleRuntime = ServingRuntime;

/** `npm start --no-schedule --port 0` on `dataDir` with 200 seed records; resolves once it serves. */
export function startConsoleRuntime(
  dataDir: string,
  variables: Record<string, string> = {},
  args: string[] = [],
): Promise<ConsoleRuntime> {
  return startServingNpmStart(dataDir, { SFN_BATCH_SEED_RECORDS: '200', ...variables }, args);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Records the page's requests to the console as `METHOD path status` lines (a Step Functions
 * call names its operation), the latest `limit` of them, for a failed case to print.
 */
export function recordRequests(page: Page, limit = 80): string[] {
  const lines: string[] = [];
  const add = (line: string) => {
    lines.push(line);
    if (lines.length > limit) lines.shift();
  };
  const describe = (request: Request) => {
    const url = new URL(request.url());
    const target = request.headers()['x-amz-target'];
    return `${request.method()} ${url.pathname}${url.search}${target === undefined ? '' : ` ${target}`}`;
  };
  page.on('response', (response) => add(`${describe(response.request())} ${response.status()}`));
  page.on('requestfailed', (request) => add(`${describe(request)} failed: ${request.failure()?.errorText}`));
  return lines;
}

/**
 * What a failed case needs to be diagnosed by: the page's URL, the text of its main area
 * (error notes, input problems, button labels), the form fields' values, the recent
 * requests and a screenshot (saved as `failed-<name>.png`).
 */
export async function describePage(page: Page, name: string, requests: readonly string[]): Promise<string> {
  const parts = [`page URL: ${page.url()}`];
  try {
    parts.push(`main text:\n${await page.locator('main').innerText({ timeout: 2_000 })}`);
    const fields = await page.locator('main textarea, main input, main button').evaluateAll((elements) =>
      // The test's TypeScript has no DOM types: only what is read here.
      elements.map((element) => {
        const field = element as unknown as { tagName: string; id: string; disabled: boolean; value: string };
        const shown = field.tagName === 'BUTTON' ? element.textContent : field.value;
        return `${field.tagName.toLowerCase()}#${field.id}${field.disabled ? ' (disabled)' : ''}: ${JSON.stringify(shown)}`;
      }),
    );
    parts.push(`fields:\n${fields.join('\n')}`);
  } catch (error) {
    parts.push(`main text unavailable: ${(error as Error).message}`);
  }
  parts.push(`recent requests (oldest first):\n${requests.join('\n')}`);
  try {
    const file = path.join(SCREENSHOTS, `failed-${name}.png`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: file, fullPage: true, timeout: 5_000 });
    parts.push(`screenshot: ${file}`);
  } catch (error) {
    parts.push(`screenshot failed: ${(error as Error).message}`);
  }
  return parts.join('\n');
}

/** Fails the test on any uncaught page error or CSP violation (they would be silent otherwise). */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text()))
      errors.push(message.text());
  });
  return errors;
}
