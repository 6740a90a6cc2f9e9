/*
 * How late the runtime's timers run while the embedded database works, and how much memory
 * the runtime and the database use.
 *
 *   node bench/event-loop-delay.ts [--records 100000] [--jobs meter-usage-monthly,analyze-tables,export-monthly-records]
 *                                  [--seeded <pglite folder>] [--repo <checkout>] [--keep <dir>]
 *
 * Runs `npm start --no-schedule --port 0` (local/main.ts of `--repo`, default this checkout)
 * in a fresh data folder: seeded by npm start with `--records`, or with a copy of `--seeded`
 * (a PGlite folder seeded earlier; `--keep <dir>` keeps this run's data folder there to reuse).
 * Then, for each job of `--jobs`, one after the other: resets the runtime's event-loop delay
 * histogram (GET /_local/health?resetEventLoopDelay=1), runs the job through StartExecution
 * until it ends, and reads the histogram: the delay of a 10 ms timer in the runtime process
 * while the job's queries ran (p50, p99, max). The same is read over an idle stretch first.
 * RSS (VmRSS) of the runtime process and, when there is one, of the database process are
 * sampled every 250 ms. Prints a table and one JSON line.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { REPO_ROOT } from '../lib/schedule/load.ts';
import { isolatedEnv, NODE, spawnWithOutput } from '../test/support/processes.ts';

interface Delay {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface Phase {
  phase: string;
  status: string;
  seconds: number;
  delay: Delay;
  runtimeRssMaxMb: number;
  databaseRssMaxMb: number | null;
  loadAverage1m: number;
}

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    jobs: { type: 'string', default: 'meter-usage-monthly,analyze-tables,export-monthly-records' },
    seeded: { type: 'string' },
    repo: { type: 'string', default: REPO_ROOT },
    keep: { type: 'string' },
    'idle-seconds': { type: 'string', default: '5' },
  },
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => process.stderr.write(`[event-loop-delay] ${line}\n`);

function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) / 1024;
  } catch {
    return Number.NaN;
  }
}

const dataDir = values.keep ?? mkdtempSync(path.join(tmpdir(), 'sfn-batch-event-loop-'));
if (values.seeded !== undefined) cpSync(values.seeded, path.join(dataDir, 'pglite'), { recursive: true });
const main = path.join(path.resolve(values.repo), 'local', 'main.ts');
log(`npm start (${main}) in ${dataDir}`);
const started = Date.now();
const runtime = spawnWithOutput('npm start', NODE, [main, '--no-schedule', '--port', '0'], {
  cwd: path.resolve(values.repo),
  env: isolatedEnv(dataDir, { SFN_BATCH_DATA_DIR: dataDir, SFN_BATCH_SEED_RECORDS: values.records }),
});
const phases: Phase[] = [];
try {
  await runtime.waitForOutput('Run a job now', 3_600_000);
  log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const file = JSON.parse(readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as {
    endpoint: string;
    pid: number;
    databasePid?: number;
  };
  const sfn = new SFNClient({
    endpoint: file.endpoint,
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const health = async (reset: boolean): Promise<Delay> => {
    const response = await fetch(`${file.endpoint}/_local/health${reset ? '?resetEventLoopDelay=1' : ''}`);
    const body = (await response.json()) as { eventLoopDelay?: Delay };
    if (body.eventLoopDelay === undefined)
      throw new Error(`${file.endpoint}/_local/health reports no eventLoopDelay: that runtime predates it`);
    return body.eventLoopDelay;
  };
  const measure = async (phase: string, work: () => Promise<string>) => {
    const rss = { runtime: 0, database: 0 };
    const sampler = setInterval(() => {
      rss.runtime = Math.max(rss.runtime, rssMb(file.pid));
      if (file.databasePid !== undefined) rss.database = Math.max(rss.database, rssMb(file.databasePid));
    }, 250);
    await health(true);
    const phaseStarted = performance.now();
    const status = await work();
    const seconds = (performance.now() - phaseStarted) / 1000;
    const delay = await health(false);
    clearInterval(sampler);
    const result: Phase = {
      phase,
      status,
      seconds,
      delay,
      runtimeRssMaxMb: rss.runtime,
      databaseRssMaxMb: file.databasePid === undefined ? null : rss.database,
      loadAverage1m: loadavg()[0] ?? 0,
    };
    log(JSON.stringify(result));
    phases.push(result);
  };

  await measure('idle', async () => {
    await sleep(Number(values['idle-seconds']) * 1000);
    return 'idle';
  });
  for (const job of values.jobs.split(',')) {
    await measure(job, async () => {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: `arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-local-${job}`,
          input: JSON.stringify({ trigger: 'manual' }),
        }),
      );
      let described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      while (described.status === 'RUNNING') {
        await sleep(500);
        described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      }
      return described.status ?? 'unknown';
    });
  }
} finally {
  if (runtime.child.exitCode === null) runtime.child.kill('SIGINT');
  await runtime.exit;
  if (values.keep === undefined) rmSync(dataDir, { recursive: true, force: true });
}

const fixed = (value: number | null, digits = 0) => (value === null ? '–' : value.toFixed(digits));
console.log(
  [
    '| phase | status | s | timer lateness p50 / p99 / max ms | runtime RSS max MB | database process RSS max MB | load (1 min) |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...phases.map(
      (phase) =>
        `| ${phase.phase} | ${phase.status} | ${fixed(phase.seconds, 1)} | ${fixed(phase.delay.p50Ms)} / ${fixed(phase.delay.p99Ms)} / ${fixed(phase.delay.maxMs)} | ${fixed(phase.runtimeRssMaxMb)} | ${fixed(phase.databaseRssMaxMb)} | ${fixed(phase.loadAverage1m, 1)} |`,
    ),
  ].join('\n'),
);
console.log(JSON.stringify({ phases }));
