import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ConsoleRuntime,
  describePage,
  launchBrowser,
  recordRequests,
  screenshot,
  startConsoleRuntime,
  testSchedules,
  watchPageErrors,
} from './browser.ts';

const arnOf = (job: string) =>
  `arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-local-${job}`;

/** A raw request with the headers we choose (fetch and the SDK would not send a foreign Host). */
function rawRequest(
  endpoint: string,
  options: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const sent = request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method,
        path: options.path,
        headers: options.headers,
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    sent.on('error', reject);
    sent.end(options.body);
  });
}

/**
 * The pid and task id of the local task process of `executionName` (its SFN_BATCH_INPUT
 * names the execution), polled in /proc until it exists.
 */
async function taskProcessOf(
  executionName: string,
  timeoutMs: number,
): Promise<{ pid: number; taskId: string }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let environment: string;
      try {
        environment = readFileSync(`/proc/${entry}/environ`, 'utf8');
      } catch {
        continue;
      }
      const variables = environment.split('\0');
      const taskId = variables.find((item) => item.startsWith('SFN_BATCH_LOCAL_TASK_ID='))?.split('=')[1];
      const input = variables.find((item) => item.startsWith('SFN_BATCH_INPUT='));
      if (taskId !== undefined && input?.includes(`:${executionName}"`))
        return { pid: Number(entry), taskId };
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no task process of ${executionName} within ${timeoutMs} ms`);
}

// Slow (one real npm start with real job containers, and a real Chromium): the console end to
// end as a person uses it. Small export batches and SFN_BATCH_MAX_TASKS=1 make the export's
// converter tasks queue, so the export is still in its Map when the test stops it.
describe('local console in a browser', () => {
  let dataDir: string;
  let runtime: ConsoleRuntime;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let requests: string[] = [];
  let sfn: SFNClient;
  let failedExecutionUrl: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-console-'));
    const schedules = testSchedules(path.join(dataDir, 'project'));
    [runtime, browser] = await Promise.all([
      startConsoleRuntime(dataDir, { SFN_BATCH_MAX_TASKS: '1' }, ['--schedules', schedules]),
      launchBrowser(),
    ]);
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    pageErrors = watchPageErrors(page);
    requests = recordRequests(page);
    sfn = new SFNClient({
      endpoint: runtime.endpoint,
      region: 'ap-northeast-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  }, 180_000);

  // A failed case says what npm start printed (it runs the API, the console and the tasks) and
  // what the page showed and asked for: CI once saw a Start execution click never navigate,
  // with nothing else to go on.
  beforeEach((context) => {
    requests.length = 0;
    context.onTestFailed(async () => {
      if (runtime)
        console.error(`npm start output (last 6,000 characters):\n${runtime.process.output.slice(-6000)}`);
      if (page) {
        const name = context.task.name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60);
        console.error(
          `The page when "${context.task.name}" failed:\n${await describePage(page, name, requests)}`,
        );
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (runtime && runtime.process.child.exitCode === null) {
      runtime.process.child.kill('SIGINT');
      await runtime.process.exit;
    }
    rmSync(dataDir, { recursive: true, force: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('lists the jobs with schedules in words and switches them to Japanese', async () => {
    // Act
    await page.goto(`${runtime.consoleUrl}/`);
    const row = page.locator('tr[data-job="export-monthly-records"]');
    await row.waitFor();
    const english = await row.locator('.schedule-words').innerText();
    await page.getByRole('button', { name: '日本語' }).click();

    // Assess
    expect(english).toContain('At 00:00, on day 1 of the month');
    await expect.poll(() => row.locator('.schedule-words').innerText()).toContain('毎月1日');
    expect(await row.locator('.schedule-words').getAttribute('lang')).toBe('ja');
    expect(await row.locator('.next-run').innerText()).toMatch(/\+09:00/);
    expect(await page.getByRole('button', { name: '日本語' }).getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'jobs-ja');
    await page.getByRole('button', { name: 'English' }).click();
    // The theme follows the OS setting.
    const lightBackground = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    await page.emulateMedia({ colorScheme: 'dark' });
    const darkBackground = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    await screenshot(page, 'jobs-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(lightBackground).toBe('rgb(255, 255, 255)');
    expect(darkBackground).toBe('rgb(13, 17, 23)');
  });

  it('starts a job with edited input and shows it reach SUCCEEDED without a reload', async () => {
    // Prepare
    await page.goto(`${runtime.consoleUrl}/jobs/aggregate-record-stats-daily/start`);
    const editor = page.getByLabel('Input (JSON)');
    await expect.poll(() => editor.inputValue()).toContain('"params"');
    await editor.fill('{"scheduledTime": "2026-11-02T00:05:00+09:00", "params": {}}');
    await page.getByLabel(/Execution name/).fill('console-edited-input');
    await screenshot(page, 'start-execution');
    // A marker on window survives client-side navigation and polling, but not a reload.
    await page.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    // Act
    await page.getByRole('button', { name: 'Start execution' }).click();
    await page.waitForURL(/\/console\/executions\/.*console-edited-input/);
    await page.locator('#execution-status .status-succeeded').waitFor({ timeout: 60_000 });

    // Assess
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    expect(await page.getByLabel('Execution input').innerText()).toContain(
      '"scheduledTime": "2026-11-01T15:05:00.000Z"',
    );
    expect(await page.locator('g.node[data-state="Run job task"]').getAttribute('data-status')).toBe(
      'succeeded',
    );
    expect(await page.locator('article.task').count()).toBe(1);
    expect(await page.locator('article.task .task-exit').innerText()).toBe('0');
    await screenshot(page, 'execution-succeeded');
  }, 90_000);

  // An edit made before the job list arrived was lost when it did: the job's default input
  // replaced the editor's text, collapsing a select-all (a fill, or a person about to type over
  // it), so the typing landed after the default as invalid JSON and nothing started.
  it('keeps the input read-only until the job list has given its default input', async () => {
    // Prepare: hold the job list back.
    const held: Route[] = [];
    await page.route('**/_local/console/jobs', (route) => {
      held.push(route);
    });
    try {
      await page.goto(`${runtime.consoleUrl}/jobs/purge-deleted-records/start`);
      await expect.poll(() => held.length).toBe(1);
      const editor = page.getByLabel('Input (JSON)');
      const whileLoading = {
        editable: await editor.isEditable(),
        start: await page.getByRole('button', { name: 'Start execution' }).isEnabled(),
        reset: await page.getByRole('button', { name: 'Reset input' }).isEnabled(),
      };

      // Act
      for (const route of held) await route.continue();
      await expect.poll(() => editor.isEditable()).toBe(true);

      // Assess
      expect(whileLoading).toEqual({ editable: false, start: false, reset: false });
      expect(JSON.parse(await editor.inputValue())).toEqual({ params: { retentionDays: 30 } });
    } finally {
      await page.unroute('**/_local/console/jobs');
    }
  });

  it('shows invalid JSON inline and starts nothing', async () => {
    // Prepare
    const before = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arnOf('purge-deleted-records') }),
    );
    await page.goto(`${runtime.consoleUrl}/jobs/purge-deleted-records/start`);
    const editor = page.getByLabel('Input (JSON)');
    await expect.poll(() => editor.inputValue()).toContain('retentionDays');

    // Act
    await editor.fill('{"params": {"retentionDays": 30,');
    await page.getByRole('button', { name: 'Start execution' }).click();
    const problems = page.locator('#input-problems');
    await problems.waitFor();
    const syntaxMessage = await problems.innerText();
    await screenshot(page, 'start-invalid-json');
    await editor.fill('{"params": {"retentionDayz": 30}}');
    await page.getByRole('button', { name: 'Start execution' }).click();
    await expect.poll(() => problems.innerText()).toContain('Did you mean "retentionDays"?');

    // Assess
    expect(syntaxMessage).toContain('not valid JSON');
    expect(syntaxMessage).toContain('Nothing was started');
    expect(await editor.getAttribute('aria-invalid')).toBe('true');
    expect(page.url()).toContain('/jobs/purge-deleted-records/start');
    const after = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arnOf('purge-deleted-records') }),
    );
    expect(after.executions ?? []).toHaveLength(before.executions?.length ?? 0);
  });

  it('opens a failed execution with the failed state highlighted, its cause and the task logs', {
    timeout: 90_000,
  }, async () => {
    // Prepare: a value of the right type that the job itself refuses (exit code 2), as a job bug would.
    await page.goto(`${runtime.consoleUrl}/jobs/purge-deleted-records/start`);
    await page.getByLabel('Input (JSON)').fill('{"params": {"retentionDays": -5}}');
    await page.getByLabel(/Execution name/).fill('console-failing-purge');

    // Act
    await page.getByRole('button', { name: 'Start execution' }).click();
    await page.waitForURL(/console-failing-purge/);
    await page.locator('#execution-status .status-failed').waitFor({ timeout: 60_000 });
    failedExecutionUrl = page.url();
    // Keyboard: Tab to the state in the graph, Enter opens its details.
    await page.locator('g.node[data-state="Run job task"]').focus();
    await page.keyboard.press('Enter');
    await page.locator('#state-error').waitFor();

    // Assess
    expect(await page.locator('#execution-error').innerText()).toBe('JobFailed');
    expect(await page.locator('#execution-cause').innerText()).toContain('exited with code 2');
    const failedStates = await page
      .locator('g.node[data-status="failed"]')
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-state')));
    expect(failedStates.length).toBeGreaterThan(0);
    expect(await page.locator('g.node[data-state="Run job task"]').getAttribute('data-status')).toMatch(
      /failed|caught/,
    );
    expect(await page.locator('#state-error').innerText()).toBe('States.TaskFailed');
    expect(await page.locator('article.task .task-exit').innerText()).toBe('2');
    expect(await page.locator('article.task pre.logs').innerText()).toMatch(/retentionDays/);
    expect(await page.locator('table.events tbody tr').count()).toBeGreaterThan(5);
    await screenshot(page, 'execution-failed');
    // The failure notification (printed: no webhook here) links to this page.
    await runtime.process.waitForOutput(failedExecutionUrl, 15_000);
  });

  it('opens the start page with the same input from an execution', async () => {
    // Act
    await page.goto(failedExecutionUrl);
    await page.getByRole('button', { name: 'New execution with same input' }).click();
    await page.waitForURL(/\/jobs\/purge-deleted-records\/start$/);

    // Assess
    expect(JSON.parse(await page.getByLabel('Input (JSON)').inputValue())).toEqual({
      params: { retentionDays: -5 },
    });
  });

  it('redrives the failed execution and marks it redriven', async () => {
    // Prepare
    await page.goto(failedExecutionUrl);
    await page.locator('#execution-status .status-failed').waitFor();

    // Act
    await page.getByRole('button', { name: 'Redrive' }).click();
    await page.locator('.tag-redrive').waitFor();
    await page.locator('#execution-status .status-failed').waitFor({ timeout: 60_000 });

    // Assess
    expect(await page.locator('.tag-redrive').innerText()).toBe('redriven ×1');
    expect(await page.locator('article.task').count()).toBe(2);
    await page.goto(`${runtime.consoleUrl}/executions?job=purge-deleted-records`);
    const row = page.locator('tr[data-execution="console-failing-purge"]');
    await row.waitFor();
    expect(await row.locator('.tag-redrive').innerText()).toBe('redriven ×1');
  }, 90_000);

  it('stops a running export and shows its Map iterations aborted', async () => {
    // Prepare
    await page.goto(`${runtime.consoleUrl}/jobs/export-monthly-records/start`);
    await page.getByLabel('Input (JSON)').fill('{"scheduledTime": "2026-11-01T00:00:00+09:00"}');
    await page.getByLabel(/Execution name/).fill('console-stopped-export');
    await page.getByRole('button', { name: 'Start execution' }).click();
    await page.waitForURL(/console-stopped-export/);
    await page.locator('.iterations li[data-status="RUNNING"]').first().waitFor({ timeout: 60_000 });
    page.once('dialog', (dialog) => void dialog.accept());

    // Act
    await page.getByRole('button', { name: 'Stop execution' }).click();
    await page.locator('#execution-status .status-aborted').waitFor({ timeout: 60_000 });

    // Assess
    const statuses = await page
      .locator('.iterations li')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-status')));
    expect(statuses.length).toBeGreaterThan(1);
    expect(statuses).toContain('ABORTED');
    expect(statuses).not.toContain('RUNNING');
    // The stopped converter tasks report their end on the page too (SIGTERM, as ECS stops them).
    await expect
      .poll(() => page.locator('article.task .task-exit').allInnerTexts(), { timeout: 20_000 })
      .not.toContain('running');
    expect(await page.locator('g.node[data-state="Convert batches"] text.node-type').textContent()).toMatch(
      /aborted/,
    );
    await screenshot(page, 'execution-aborted-export');
  }, 120_000);

  it('asks before redriving while another execution of the job runs', async () => {
    // Prepare: a second export holds the job (its batches queue behind one task slot).
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: arnOf('export-monthly-records'),
        name: 'export-running-meanwhile',
        input: JSON.stringify({ scheduledTime: '2026-11-01T00:00:00+09:00' }),
      }),
    );
    await page.locator('#execution-status .status-aborted').waitFor();

    // Act
    await page.getByRole('button', { name: 'Redrive' }).click();
    const warning = page.getByRole('alertdialog');
    await warning.waitFor();
    const text = await warning.innerText();
    await page.getByRole('button', { name: 'Cancel' }).click();

    // Assess
    expect(text).toContain('export-running-meanwhile');
    expect(await page.locator('#execution-status .status-aborted').count()).toBe(1);
    expect(await page.locator('.tag-redrive').count()).toBe(0);
    await sfn.send(new StopExecutionCommand({ executionArn }));
  }, 60_000);

  it('updates the executions list live when an execution starts elsewhere', async () => {
    // Prepare
    await page.goto(`${runtime.consoleUrl}/executions`);
    await page.locator('table.executions tbody tr').first().waitFor();
    await page.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    // Act
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: arnOf('expire-share-links'),
        name: 'started-from-the-sdk',
        input: JSON.stringify({ params: {} }),
      }),
    );

    // Assess
    await page.locator('tr[data-execution="started-from-the-sdk"]').waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    await page
      .locator('tr[data-execution="started-from-the-sdk"][data-status="SUCCEEDED"]')
      .waitFor({ timeout: 60_000 });
    await screenshot(page, 'executions');
  }, 90_000);

  it('shows a running task from the ECS API and stops it with "Stop task": exit 143, execution FAILED', async () => {
    // Prepare: the job would finish in a second; SIGSTOP freezes its process so it is still
    // RUNNING when the button is clicked (the SIGTERM StopTask sends waits for SIGCONT).
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: arnOf('expire-share-links'),
        name: 'console-stop-task',
        input: JSON.stringify({ params: {} }),
      }),
    );
    const { pid, taskId } = await taskProcessOf('console-stop-task', 30_000);
    process.kill(pid, 'SIGSTOP');
    let frozen = true;
    try {
      await page.goto(`${runtime.consoleUrl}/executions/${encodeURIComponent(executionArn ?? '')}`);
      await page.evaluate(() => {
        (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
      });
      const task = page.locator(`article.task[data-task="${taskId}"]`);
      await task.locator('.task-status').waitFor();
      const runningStatus = await task.locator('.task-status').innerText();
      const runningSource = await task.getAttribute('data-source');
      let confirmText = '';
      page.once('dialog', (dialog) => {
        confirmText = dialog.message();
        void dialog.accept();
      });

      // Act
      await task.getByRole('button', { name: /Stop task/ }).click();
      await page.getByRole('status').filter({ hasText: 'Stop requested for task' }).waitFor();
      process.kill(pid, 'SIGCONT');
      frozen = false;
      await page.locator('#execution-status .status-failed').waitFor({ timeout: 60_000 });
      await expect.poll(() => task.locator('.task-exit').innerText(), { timeout: 20_000 }).toBe('143');

      // Assess
      expect(runningStatus).toMatch(/^RUNNING \(ECS API\)/);
      expect(runningSource).toBe('ecs');
      expect(confirmText).toContain(`Stop task ${taskId}?`);
      expect(await task.locator('.task-status').innerText()).toMatch(/^STOPPED \(ECS API\)/);
      expect(await task.locator('.task-stop').innerText()).toBe(
        'UserInitiated: Task stopped from the local console',
      );
      expect(await task.getByRole('button', { name: /Stop task/ }).count()).toBe(0);
      expect(
        await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded),
      ).toBe(true);
      await screenshot(page, 'execution-task-stopped');
    } finally {
      if (frozen) process.kill(pid, 'SIGCONT');
    }
  }, 90_000);

  it('renders execution input as text, never as HTML', async () => {
    // Prepare: the SDK skips the console's input rule; the job ignores a parameter it does not know.
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: arnOf('expire-share-links'),
        name: 'markup-in-input',
        input: JSON.stringify({ params: { note: '<img src=x onerror="document.title=1"><b>bold</b>' } }),
      }),
    );

    // Act
    await page.goto(`${runtime.consoleUrl}/executions/${encodeURIComponent(executionArn ?? '')}`);
    const input = page.getByLabel('Execution input');
    await input.waitFor();

    // Assess
    expect(await input.innerText()).toContain('<img src=x onerror=\\"document.title=1\\"><b>bold</b>');
    expect(await page.locator('main img, main b').count()).toBe(0);
    expect(await page.title()).toBe('sfn-batch local console');
  });

  it('shows a job with inherited settings marked, its next runs, run timeline and graph', async () => {
    // Act
    await page.goto(`${runtime.consoleUrl}/jobs/purge-deleted-records`);
    await page.locator('svg.graph g.node').first().waitFor();
    await page.locator('svg.bars rect').first().waitFor();

    // Assess
    expect(await page.locator('tr[data-origin="defaults"]').count()).toBeGreaterThan(0);
    expect(await page.locator('.next-runs li').count()).toBe(10);
    expect(await page.locator('svg.bars rect.bar-failed').count()).toBeGreaterThan(0);
    await screenshot(page, 'job');
    await page.goto(`${runtime.consoleUrl}/calendar`);
    await page.locator('table.calendar button.cell').first().waitFor();
    await page.getByLabel('Zone').selectOption('Asia/Tokyo');
    await page.getByRole('button', { name: /Next month start/ }).click();
    await expect.poll(() => page.locator('table.calendar thead th').nth(2).innerText()).toMatch(/-01 /);
    // Polled: the week's header changes before its cells get their counts (CI once read them between).
    let busiest: readonly [string, number] | undefined;
    await expect
      .poll(async () => {
        const cells = await page
          .locator('table.calendar button.cell')
          .evaluateAll((buttons) =>
            buttons.map(
              (button) => [button.getAttribute('aria-label') ?? '', Number(button.textContent)] as const,
            ),
          );
        // Only cells with runs: an empty cell has no count, and NaN would break the sort.
        busiest = cells
          .filter(([label, count]) => label !== '' && Number.isFinite(count))
          .sort((a, b) => b[1] - a[1])[0];
        return busiest?.[0] ?? '';
      })
      .toMatch(/runs on \d{4}-\d{2}-01 at 00:00/);
    await page.getByRole('button', { name: busiest?.[0] ?? '', exact: true }).click();

    // Assess: the month-start peak is the busiest hour of the week in Tokyo.
    expect(busiest?.[0]).toMatch(/runs on \d{4}-\d{2}-01 at 00:00/);
    expect(await page.locator('#cell-title').innerText()).toMatch(/-01 00:00/);
    await screenshot(page, 'calendar');
  }, 60_000);

  it('refuses a foreign Host on the console and the API, cross-site form posts, and sends a CSP', async () => {
    // Act
    const port = new URL(runtime.endpoint).port;
    const page = await rawRequest(runtime.endpoint, {
      method: 'GET',
      path: '/console/',
      headers: { Host: `rebind.attacker.example:${port}` },
    });
    const api = await rawRequest(runtime.endpoint, {
      method: 'POST',
      path: '/',
      headers: {
        Host: `rebind.attacker.example:${port}`,
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'AWSStepFunctions.ListStateMachines',
      },
      body: '{}',
    });
    const wrongPort = await rawRequest(runtime.endpoint, {
      method: 'GET',
      path: '/_local/console/jobs',
      headers: { Host: '127.0.0.1:1' },
    });
    const formPost = await rawRequest(runtime.endpoint, {
      method: 'POST',
      path: '/',
      headers: {
        Host: `127.0.0.1:${port}`,
        'Content-Type': 'text/plain',
        'X-Amz-Target': 'AWSStepFunctions.StartExecution',
      },
      body: JSON.stringify({ stateMachineArn: arnOf('purge-deleted-records') }),
    });
    const crossOrigin = await rawRequest(runtime.endpoint, {
      method: 'GET',
      path: '/_local/console/jobs',
      headers: { Host: `localhost:${port}`, Origin: 'https://attacker.example' },
    });
    const own = await rawRequest(runtime.endpoint, {
      method: 'GET',
      path: '/console/',
      headers: { Host: `localhost:${port}` },
    });

    // Assess
    expect(page.status).toBe(421);
    expect(api.status).toBe(421);
    expect(wrongPort.status).toBe(421);
    expect(formPost.status).toBe(415);
    expect(crossOrigin.status).toBe(403);
    expect(own.status).toBe(200);
    expect(own.headers['content-security-policy']).toContain("script-src 'self'");
    expect(own.headers['access-control-allow-origin']).toBeUndefined();
  });
});
