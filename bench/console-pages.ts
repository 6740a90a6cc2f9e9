import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { manualExecutionName, validateManualInput } from '../cli/commands/run.ts';
import { loadScheduleCatalogue } from '../lib/schedule/load.ts';
import { ensureConsoleBuilt } from '../local/console/build.ts';
import { createConsoleRoutes } from '../local/console/routes.ts';
import { startLocalRuntime } from '../local/runtime.ts';
import { writeManyExecutions } from '../test/console/fixtures/many-executions.ts';

/*
 * `node bench/console-pages.ts [--executions 10000] [--rounds 20]`
 *
 * Server time for what the console's first render of two pages asks the local endpoint,
 * with a store of N executions (the browser-test fixture, written through the store module):
 * - the executions page: index.html, the job list and one ListExecutions page (25) for each
 *   of the 31 state machines, sent at once as the browser sends them;
 * - a 500-event execution page: DescribeExecution, DescribeStateMachineForExecution,
 *   GetExecutionHistory (one call of up to 1,000 events) and the task logs.
 * Times are wall clock over loopback from this process, so they include HTTP and JSON.
 */

const { values } = parseArgs({
  options: { executions: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '20' } },
});
const count = Number(values.executions);
const rounds = Number(values.rounds);
const JOBS = [
  'purge-deleted-records',
  'aggregate-record-stats-daily',
  'expire-share-links',
  'export-daily-records',
  'meter-usage-daily',
];

const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const dataDir = mkdtempSync(path.join(base, 'sfn-batch-console-bench-'));
try {
  await ensureConsoleBuilt();
  let started = performance.now();
  const fixture = writeManyExecutions(dataDir, { count, jobs: JOBS, newest: new Date() });
  const writeMs = performance.now() - started;
  const catalogue = await loadScheduleCatalogue();
  let arnOf: (job: string) => string = () => '';
  started = performance.now();
  const runtime = await startLocalRuntime({
    jobs: catalogue.jobs,
    dataDir,
    taskEnvironment: {},
    routes: createConsoleRoutes({
      jobs: catalogue.jobs,
      effective: catalogue.effective,
      stateMachineArn: (job) => arnOf(job),
      upcoming: () => undefined,
      validateInput: validateManualInput,
      manualExecutionName,
    }),
    warn: () => undefined,
  });
  const loadMs = performance.now() - started;
  arnOf = runtime.stateMachineArn;
  const sfn = (operation: string, body: unknown) =>
    fetch(`${runtime.endpoint}/`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': `AWSStepFunctions.${operation}`,
      },
      body: JSON.stringify(body),
    }).then((response) => response.json());
  const get = (route: string) => fetch(`${runtime.endpoint}${route}`).then((response) => response.text());

  const executionsPage = async () => {
    await Promise.all([
      get('/console/executions'),
      get('/_local/console/jobs'),
      ...catalogue.jobs.map((job) =>
        sfn('ListExecutions', { stateMachineArn: runtime.stateMachineArn(job.name), maxResults: 25 }),
      ),
    ]);
  };
  const heavy = fixture.heavyExecutionArn;
  const executionPage = async () => {
    await Promise.all([
      get(`/console/executions/${encodeURIComponent(heavy)}`),
      sfn('DescribeExecution', { executionArn: heavy }),
      sfn('DescribeStateMachineForExecution', { executionArn: heavy }),
      sfn('GetExecutionHistory', { executionArn: heavy, maxResults: 1000 }),
      get(`/_local/logs?executionArn=${encodeURIComponent(heavy)}`),
    ]);
  };
  const deepPage = async () => {
    // Page 40 of one job's 2,000 executions: the cursor token finds its place by binary search.
    let nextToken: string | undefined;
    for (let page = 0; page < 40; page++) {
      const result = (await sfn('ListExecutions', {
        stateMachineArn: runtime.stateMachineArn(JOBS[0] ?? ''),
        maxResults: 50,
        ...(nextToken ? { nextToken } : {}),
      })) as { nextToken?: string };
      nextToken = result.nextToken;
    }
  };
  const measure = async (run: () => Promise<void>) => {
    await run();
    const times: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const start = performance.now();
      await run();
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const at = (share: number) => times[Math.min(times.length - 1, Math.floor(share * times.length))] ?? 0;
    return { medianMs: Number(at(0.5).toFixed(1)), p90Ms: Number(at(0.9).toFixed(1)) };
  };
  const result = {
    executions: fixture.count,
    historyEvents: fixture.heavyEventCount,
    fixtureWriteMs: Math.round(writeMs),
    storeLoadAndStartMs: Math.round(loadMs),
    executionsPage: await measure(executionsPage),
    executionPage500Events: await measure(executionPage),
    fortyListExecutionsPagesOfOneJob: await measure(deepPage),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  await runtime.close();
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
