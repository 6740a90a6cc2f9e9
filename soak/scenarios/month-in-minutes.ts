/**
 * Reliability scenario "a month in minutes" (issue 12, docs/reliability.md): the whole
 * schedule catalogue runs through the real scheduler of a real `npm start` child process on an
 * accelerated clock (`--at`, `--speed`). Every job must fire at exactly the instants
 * `batchctl next` lists for the window (none missed, none doubled), and the runtime's RSS and
 * open file descriptors must stay flat from the first simulated day to the last.
 *
 * The schedule files are copied unchanged (same schedules, zones, policies and workflows); the
 * two containers beside the copy are trivial stand-ins (soak/fixtures/month-in-minutes), because
 * ~10,000 real job runs do not fit in minutes on 2 cores. Everything else is real: the guard
 * Lambda, RunTask through the local ECS, the export's enqueue Lambda and Map.
 */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { REPO_ROOT } from '../../lib/schedule/load.ts';
import { scheduledExecutionName } from '../../local/scheduler.ts';
import { type OutputProcess, runProcess, startNpmStart } from '../../test/support/processes.ts';
import { summarizeHeap } from '../heap-diff.ts';
import type { Scenario, ScenarioResult, ScenarioSize } from '../scenario.ts';

interface Window {
  /** `--at`: the simulated clock starts here (a minute boundary, see `expectedFires`). */
  at: string;
  /** Fires are counted in [at, end). */
  end: string;
  speed: number;
  /** Length of the first and of the last slice whose RSS and fd counts are compared. */
  sliceMs: number;
  /** How often RSS and fds are read, in real milliseconds. */
  sampleEveryMs: number;
  /** Why this window. */
  covers: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * full: 2027-02-28 12:00Z to 2027-03-31 12:00Z, 31 days. It holds the Asia/Tokyo month start
 * (Mar 1 00:00 JST = Feb 28 15:00Z: the monthly export, metering, invoices, `1W`, `MON#1`), the
 * America/New_York month start and its DST change (Mar 14), the Europe/London one (Mar 28, where
 * purge-deleted-records-uk's 01:30 does not exist and must be skipped), a `L` day (Mar 31 09:00
 * JST) and 8,928 rate(5 minutes) fires. Spring-forward is the DST change with a skipped run; the
 * autumn one only moves offsets for this catalogue. The at() job (2026-12-01) is outside: it must
 * not fire at all.
 *
 * quick: 18 simulated hours around the night of 2026-10-31/11-01, which holds the Tokyo month
 * start (15:00Z), the New York month start (04:00Z) and the US DST change (06:00Z). A few days
 * (the brief's first idea) are ~1,000 fires, too many for a 60 s test on a shared 2-core machine.
 */
const WINDOWS: Record<ScenarioSize, Window> = {
  full: {
    at: '2027-02-28T12:00:00Z',
    end: '2027-03-31T12:00:00Z',
    speed: 2000,
    sliceMs: DAY,
    sampleEveryMs: 2000,
    covers:
      'Asia/Tokyo and America/New_York month starts, US DST change (Mar 14), UK DST change with a skipped 01:30 (Mar 28), L day',
  },
  quick: {
    at: '2026-10-31T14:00:00Z',
    end: '2026-11-01T08:00:00Z',
    speed: 3000,
    sliceMs: 4 * HOUR,
    sampleEveryMs: 250,
    covers: 'Asia/Tokyo and America/New_York month starts, US DST change (Nov 1)',
  },
};

/**
 * `MONTH_IN_MINUTES_DAYS=<n>` (1 to 31) and `MONTH_IN_MINUTES_SPEED=<x>` shorten the full window to
 * its first n days and change its speed: a few days at a lower speed tell a leak from a backlog
 * on a machine that cannot keep up with the month at 2000x (docs/reliability.md).
 */
export function windowFor(size: ScenarioSize, env: NodeJS.ProcessEnv = process.env): Window {
  const window = WINDOWS[size];
  if (
    size !== 'full' ||
    (env.MONTH_IN_MINUTES_DAYS === undefined && env.MONTH_IN_MINUTES_SPEED === undefined)
  )
    return window;
  const days = Number(env.MONTH_IN_MINUTES_DAYS ?? 31);
  const speed = Number(env.MONTH_IN_MINUTES_SPEED ?? window.speed);
  if (!Number.isInteger(days) || days < 2 || days > 31)
    throw new Error(
      `MONTH_IN_MINUTES_DAYS must be a whole number of days from 2 to 31, got "${env.MONTH_IN_MINUTES_DAYS}"`,
    );
  if (!Number.isFinite(speed) || speed < 1 || speed > 10_000)
    throw new Error(`MONTH_IN_MINUTES_SPEED must be from 1 to 10000, got "${env.MONTH_IN_MINUTES_SPEED}"`);
  return {
    ...window,
    end: new Date(Date.parse(window.at) + days * DAY).toISOString(),
    speed,
    covers: `the first ${days} days of the full window${days >= 15 ? ` (${window.covers})` : ''}`,
  };
}

/**
 * Live memory, measured by a full GC (a heap snapshot), may grow by at most this share from the end of the first slice to the end, once every execution has ended.
 * The first slice already holds the warmed-up runtime (interpreter, AWS SDK clients, PGlite's
 * ~200 MB of WASM memory); a leak per execution (the month has ~10,000) shows far above it.
 */
const RSS_GROWTH_TOLERANCE = 0.2;
/**
 * The lowest open-fd count of the last slice may exceed the first slice's lowest by this many.
 * The count swings with in-flight work (each running task holds stdout and stderr pipes, at most
 * 8 tasks by default; each in-flight API call a socket at both ends), so the floor is compared,
 * not the peak; a leak of one fd per execution (~10,000 in the month) shows far above it.
 */
const FD_GROWTH_TOLERANCE = 24;

/** The workflows' first state, the duplicate-start guard (statemachines/*.asl.yml). */
const GUARD_STATE = 'Check for a running duplicate';
/** Its TimeoutSeconds: the guard Lambda's 20 s plus the 10 s margin (lib/workflows/synthesize.ts). */
const GUARD_STATE_TIMEOUT_MS = 30_000;

interface Sample {
  /** Simulated instant (ms). */
  simulated: number;
  /** The npm start process itself (not its children). */
  rssKb: number;
  /** Its anonymous memory (heap, buffers), the part a leak grows; the rest is mapped files. */
  anonKb: number;
  fds: number;
  /** Its long-lived children other than ECS tasks (a database process), summed; 0 when none. */
  helperRssKb: number;
  helperFds: number;
  helpers: number;
}

interface Fire {
  job: string;
  executionArn: string;
  scheduledTime: string;
  status: string;
  /** Real start date (ms). */
  startDate: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Copies schedules/ and puts the stand-in containers beside the copy (npm start --schedules uses them). */
function prepareProject(root: string): { schedulesDir: string; jobs: string[] } {
  const schedulesDir = path.join(root, 'project', 'schedules');
  cpSync(path.join(REPO_ROOT, 'schedules'), schedulesDir, { recursive: true });
  cpSync(
    path.join(REPO_ROOT, 'soak', 'fixtures', 'month-in-minutes', 'containers'),
    path.join(root, 'project', 'containers'),
    { recursive: true },
  );
  const jobs = readdirSync(schedulesDir)
    .filter((file) => file.endsWith('.yml') && !file.startsWith('_'))
    .map((file) => file.slice(0, -'.yml'.length))
    .sort();
  return { schedulesDir, jobs };
}

/**
 * What `batchctl next` lists for every job in [at, end): `--after` one millisecond before `at`
 * (`--after` is exclusive, and a run exactly at `at` fires when the clock starts), rate() counted
 * from `--anchor at` (the scheduler anchors it when its clock starts). Disabled jobs expect none.
 */
async function expectedFires(
  projectDir: string,
  jobs: string[],
  window: Window,
): Promise<Map<string, string[]>> {
  const after = new Date(Date.parse(window.at) - 1).toISOString();
  const result = await runProcess(
    path.join(REPO_ROOT, 'bin', 'batchctl'),
    [
      '-C',
      projectDir,
      'next',
      ...jobs,
      '--anchor',
      window.at,
      '--after',
      after,
      '--before',
      window.end,
      '--json',
    ],
    { cwd: REPO_ROOT },
  );
  if (result.code !== 0) throw new Error(`batchctl next failed (exit ${result.code}):\n${result.stderr}`);
  const listed = JSON.parse(result.stdout) as { job: string; enabled: boolean; runs: string[] }[];
  return new Map(listed.map((entry) => [entry.job, entry.enabled ? entry.runs : []]));
}

/** VmRSS and its anonymous part (kB), and the open fd count of a live process, from /proc. */
function readUsage(pid: number): { rssKb: number; anonKb: number; fds: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
    const anonKb = Number(/^RssAnon:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
    return { rssKb, anonKb, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

/** Environment variable the local ECS puts on every task process (local/ecs/run-task.ts). */
const TASK_MARKER = 'SFN_BATCH_LOCAL_TASK_ID=';

/**
 * The runtime's child processes other than its ECS tasks: the database server when the
 * embedded database runs in a process of its own. Found by parent pid in /proc/<pid>/stat, so
 * it works whether or not npm start has such a child; task processes carry TASK_MARKER.
 */
function helperChildren(pid: number): Array<{ pid: number; command: string }> {
  const found: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(TASK_MARKER)) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      found.push({ pid: Number(entry), command });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** The runtime's open fds grouped by what they are (socket, pipe, anon_inode:[eventpoll], a folder). */
function describeFds(pid: number): string {
  const kinds = new Map<string, number>();
  let entries: string[];
  try {
    entries = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return 'process gone';
  }
  for (const fd of entries) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const kind = /^(socket|pipe|anon_inode:[^\]]*\]?)/.exec(target)?.[1] ?? path.dirname(target);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return [...kinds]
    .sort((a, b) => b[1] - a[1])
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
}

interface AfterGc {
  /** The snapshot file. */
  file: string;
  /** Every live object's self size (JS heap and array buffer contents, PGlite's WASM memory included). */
  liveMb: number;
  /** VmRSS once the snapshot is written (the collection done, the snapshot's own buffers maybe not yet returned). */
  rssMb: number;
}

/**
 * Signals the runtime (started with --heapsnapshot-signal=SIGUSR2) and waits until the snapshot
 * file it writes into `dir` stops growing. V8 collects garbage first, so the file holds only live
 * objects, and the RSS read then is the runtime's memory without the garbage of its last minutes.
 */
async function memoryAfterGc(pid: number, dir: string): Promise<AfterGc | undefined> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 300_000;
  let file: string | undefined;
  let lastSize = -1;
  while (Date.now() < deadline) {
    await sleep(500);
    file ??= readdirSync(dir).find((name) => name.endsWith('.heapsnapshot') && !before.has(name));
    if (file === undefined) continue;
    const size = statSync(path.join(dir, file)).size;
    // The runtime writes the file in one synchronous call: a size unchanged for half a second
    // after a non-empty write is the end.
    if (size > 0 && size === lastSize) {
      const rssKb = readUsage(pid)?.rssKb ?? Number.NaN;
      const full = path.join(dir, file);
      const groups = summarizeHeap(full);
      const live = [...groups.values()].reduce((sum, group) => sum + group.bytes, 0);
      return { file: full, liveMb: live / 1024 / 1024, rssMb: rssKb / 1024 };
    }
    lastSize = size;
  }
  return undefined;
}

/** Waits until no execution of any state machine is RUNNING (or `timeoutMs` passes); how many still run. */
async function waitForNoRunning(client: SFNClient, timeoutMs: number): Promise<number> {
  const machines = (await client.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let running = 0;
    for (const machine of machines) {
      const page = await client.send(
        new ListExecutionsCommand({
          stateMachineArn: machine.stateMachineArn,
          statusFilter: 'RUNNING',
          maxResults: 1000,
        }),
      );
      running += page.executions?.length ?? 0;
    }
    if (running === 0 || Date.now() > deadline) return running;
    await sleep(2000);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function percentile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? Number.NaN;
}

/** Reads inputs of at most this many executions per job (always the first and the last). */
const INPUTS_CHECKED_PER_JOB = 500;

/**
 * Every execution of every state machine, through ListExecutions. The scheduled instant comes
 * from the name (`<job>-<yyyyMMddTHHmmZ>`; every instant of the catalogue is a whole minute) and
 * is checked against the input's scheduledTime through DescribeExecution: for every execution of
 * a job, or an even spread of INPUTS_CHECKED_PER_JOB of them (rate(5 minutes) fires 8,928 times).
 */
async function readFires(
  client: SFNClient,
  log: (line: string) => void,
): Promise<{ fires: Fire[]; problems: string[]; inputsChecked: number }> {
  const machines = (await client.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
  const fires: Fire[] = [];
  const problems: string[] = [];
  const toDescribe: { fire: Fire; executionArn: string }[] = [];
  for (const machine of machines) {
    const job = machine.name?.replace(/^sfn-batch-local-/, '') ?? '';
    const items: ExecutionListItem[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListExecutionsCommand({ stateMachineArn: machine.stateMachineArn, maxResults: 1000, nextToken }),
      );
      items.push(...(page.executions ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    items.reverse();
    const every = Math.max(1, Math.ceil(items.length / INPUTS_CHECKED_PER_JOB));
    items.forEach((item, index) => {
      const stamp = /-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z$/.exec(item.name ?? '');
      if (stamp === null || !item.name?.startsWith(`${job}-`)) {
        problems.push(`${item.name}: not a scheduled execution name (${job}-<yyyyMMddTHHmmZ>)`);
        return;
      }
      const [, year, month, day, hour, minute] = stamp;
      const fire: Fire = {
        job,
        executionArn: item.executionArn ?? '',
        scheduledTime: `${year}-${month}-${day}T${hour}:${minute}:00.000Z`,
        status: item.status ?? 'UNKNOWN',
        startDate: item.startDate?.getTime() ?? Number.NaN,
      };
      fires.push(fire);
      if (index % every === 0 || index === items.length - 1)
        toDescribe.push({ fire, executionArn: item.executionArn ?? '' });
    });
  }
  log(
    `  listed ${fires.length} executions of ${machines.length} state machines; reading ${toDescribe.length} inputs`,
  );
  let next = 0;
  const worker = async () => {
    for (;;) {
      const entry = toDescribe[next++];
      if (entry === undefined) return;
      const described = await client.send(new DescribeExecutionCommand({ executionArn: entry.executionArn }));
      const input = JSON.parse(described.input ?? '{}') as { scheduledTime?: string; trigger?: string };
      const scheduledTime = input.scheduledTime === undefined ? undefined : new Date(input.scheduledTime);
      if (input.trigger !== 'schedule' || scheduledTime === undefined) {
        problems.push(`${described.name}: not started by the scheduler (input ${described.input})`);
      } else if (scheduledTime.toISOString() !== entry.fire.scheduledTime) {
        problems.push(
          `${described.name}: input scheduledTime ${input.scheduledTime} is not the instant in its name (${scheduledExecutionName(entry.fire.job, scheduledTime)} expected)`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return { fires, problems, inputsChecked: toDescribe.length };
}

/** The API endpoint npm start printed in its status block. */
function endpointOf(runtime: OutputProcess): string {
  const endpoint = /Step Functions API {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(runtime.output)?.[1];
  if (endpoint === undefined) throw new Error(`npm start printed no API endpoint:\n${runtime.output}`);
  return endpoint;
}

async function stopRuntime(runtime: OutputProcess): Promise<number | null> {
  if (runtime.child.exitCode !== null) return runtime.child.exitCode;
  runtime.child.kill('SIGTERM');
  const exited = await Promise.race([runtime.exit, sleep(90_000).then(() => 'timeout' as const)]);
  if (exited !== 'timeout') return exited;
  runtime.child.kill('SIGKILL');
  return runtime.exit;
}

const monthInMinutes: Scenario = async ({ size, log }) => {
  const window = windowFor(size);
  const at = Date.parse(window.at);
  const end = Date.parse(window.end);
  const root = mkdtempSync(path.join(tmpdir(), 'sfn-batch-month-'));
  // Heap snapshots of the runtime at the end of the first slice and once the last execution has
  // ended: each starts with a full garbage collection, so they give the memory the runtime
  // retains. Full size always (in the temp folder, deleted at the end, unless
  // MONTH_IN_MINUTES_HEAP_DIR=<folder> keeps them for soak/heap-diff.ts); quick only when asked.
  const heapDir =
    process.env.MONTH_IN_MINUTES_HEAP_DIR ?? (size === 'full' ? path.join(root, 'heap') : undefined);
  if (heapDir !== undefined) mkdirSync(heapDir, { recursive: true });
  let firstGc: AfterGc | undefined;
  let lastGc: AfterGc | undefined;
  const failures: string[] = [];
  const figures: ScenarioResult['figures'] = {};
  let runtime: OutputProcess | undefined;
  const wallStart = Date.now();
  try {
    const { schedulesDir, jobs } = prepareProject(root);
    const dataDir = path.join(root, 'data');
    log(
      `month in minutes (${size}): ${jobs.length} jobs, ${window.at} to ${window.end} at ${window.speed}x (${window.covers})`,
    );
    runtime = startNpmStart(
      dataDir,
      [
        '--schedules',
        schedulesDir,
        '--at',
        window.at,
        '--speed',
        String(window.speed),
        '--until',
        window.end,
        '--port',
        '0',
      ],
      // An empty records database: the stand-in converters convert nothing.
      {
        SFN_BATCH_SEED_RECORDS: '0',
        ...(heapDir === undefined
          ? {}
          : { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${heapDir}` }),
      },
    );
    const expectedPromise = expectedFires(path.dirname(schedulesDir), jobs, window);
    await runtime.waitForOutput('scheduler: simulated clock started at', 360_000);
    log(`  npm start is up after ${((Date.now() - wallStart) / 1000).toFixed(1)} s`);
    // The real instant the simulated clock started, as npm start printed it.
    const started = /simulated clock started at \S+ \(real (\S+)\)/.exec(runtime.output)?.[1];
    const realStart = started === undefined ? Number.NaN : Date.parse(started);
    if (Number.isNaN(realStart)) throw new Error(`npm start printed no clock start:\n${runtime.output}`);
    const simulatedNow = (real: number) => at + (real - realStart) * window.speed;
    const pid = runtime.child.pid;
    if (pid === undefined) throw new Error('npm start has no pid');
    const client = new SFNClient({
      endpoint: endpointOf(runtime),
      region: 'ap-northeast-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

    const samples: Sample[] = [];
    let lastReportedDay = -1;
    let helpers: Array<{ pid: number; command: string }> = [];
    let helpersFoundAt = 0;
    let firstSnapshotTaken = false;
    const realEnd = realStart + (end - at) / window.speed;
    while (Date.now() < realEnd) {
      if (runtime.child.exitCode !== null)
        throw new Error(`npm start exited early:\n${runtime.output.slice(-4000)}`);
      // Children are looked up every few seconds: a scan of /proc costs more than a read of it.
      if (Date.now() - helpersFoundAt > 5000) {
        helpers = helperChildren(pid);
        helpersFoundAt = Date.now();
      }
      const usage = readUsage(pid);
      const helperUsage = helpers.flatMap((helper) => readUsage(helper.pid) ?? []);
      if (usage)
        samples.push({
          simulated: simulatedNow(Date.now()),
          ...usage,
          helperRssKb: helperUsage.reduce((sum, item) => sum + item.rssKb, 0),
          helperFds: helperUsage.reduce((sum, item) => sum + item.fds, 0),
          helpers: helperUsage.length,
        });
      const day = Math.floor((simulatedNow(Date.now()) - at) / DAY);
      if (day !== lastReportedDay && usage) {
        lastReportedDay = day;
        const helperText =
          helperUsage.length === 0
            ? ''
            : `; ${helperUsage.length} helper process(es) ${(helperUsage.reduce((sum, item) => sum + item.rssKb, 0) / 1024).toFixed(0)} MB`;
        log(
          `  simulated ${new Date(simulatedNow(Date.now())).toISOString().slice(0, 16)}Z: RSS ${(usage.rssKb / 1024).toFixed(0)} MB (anonymous ${(usage.anonKb / 1024).toFixed(0)} MB), ${usage.fds} fds${helperText}`,
        );
      }
      if (heapDir !== undefined && !firstSnapshotTaken && simulatedNow(Date.now()) >= at + window.sliceMs) {
        firstSnapshotTaken = true;
        firstGc = await memoryAfterGc(pid, heapDir);
        log(
          `  after a full GC at the end of the first slice: live ${firstGc?.liveMb.toFixed(1)} MB, RSS ${firstGc?.rssMb.toFixed(1)} MB (${firstGc?.file})`,
        );
        log(`  fds at the end of the first slice: ${describeFds(pid)}`);
      }
      await sleep(Math.min(window.sampleEveryMs, Math.max(0, realEnd - Date.now())));
    }
    // The scheduler says when it has started its last run before --until.
    // When the runtime falls behind, starts queue up: that wait is bounded by the window's length.
    await runtime.waitForOutput('(--until); every start is done', Math.max(300_000, realEnd - realStart));
    const expected = await expectedPromise;
    // Once every execution has ended, what the runtime still holds is no backlog: the settled
    // figures (and the last heap snapshot) tell a leak from work in flight.
    const stillRunning = await waitForNoRunning(client, 300_000);
    if (stillRunning > 0)
      failures.push(`${stillRunning} executions still RUNNING 300 s after the last start`);
    // Idle keep-alive connections (each one two fds here: the guard Lambda's SDK client and the
    // API server are in the same process) close after the server's 5 s keep-alive timeout.
    await sleep(7000);
    const settled = readUsage(pid);
    const settledHelpers = helperChildren(pid).flatMap((helper) => readUsage(helper.pid) ?? []);
    const settledFds = describeFds(pid);
    log(
      `  every execution ended after ${((Date.now() - wallStart) / 1000).toFixed(1)} s: RSS ${((settled?.rssKb ?? Number.NaN) / 1024).toFixed(0)} MB (anonymous ${((settled?.anonKb ?? Number.NaN) / 1024).toFixed(0)} MB), fds ${settledFds}`,
    );
    if (heapDir !== undefined) {
      lastGc = await memoryAfterGc(pid, heapDir);
      log(
        `  after a full GC once every execution ended: live ${lastGc?.liveMb.toFixed(1)} MB, RSS ${lastGc?.rssMb.toFixed(1)} MB (${lastGc?.file})`,
      );
    }
    log(`  window over after ${((Date.now() - wallStart) / 1000).toFixed(1)} s; reading the executions back`);
    const { fires, problems, inputsChecked } = await readFires(client, log);
    failures.push(...problems);
    log(`  read ${fires.length} executions back after ${((Date.now() - wallStart) / 1000).toFixed(1)} s`);
    const inWindow = fires;
    let expectedCount = 0;
    let missing = 0;
    let extra = 0;
    const perJob: string[] = [];
    for (const [job, runs] of expected) {
      expectedCount += runs.length;
      const actual = inWindow.filter((fire) => fire.job === job).map((fire) => fire.scheduledTime);
      const actualSet = new Set(actual);
      const expectedSet = new Set(runs);
      const missed = runs.filter((run) => !actualSet.has(run));
      const unexpected = actual.filter((run) => !expectedSet.has(run));
      missing += missed.length;
      extra += unexpected.length;
      perJob.push(`${job} ${actual.length}/${runs.length}`);
      if (missed.length > 0)
        failures.push(
          `${job}: ${missed.length} of ${runs.length} fires missing, first ${missed.slice(0, 3).join(', ')}`,
        );
      if (unexpected.length > 0)
        failures.push(
          `${job}: ${unexpected.length} fires batchctl next does not list: ${unexpected.slice(0, 3).join(', ')}`,
        );
    }
    const unknownJobs = new Set(inWindow.map((fire) => fire.job).filter((job) => !expected.has(job)));
    for (const job of unknownJobs) failures.push(`${job}: fired but is not in the schedules copy`);
    // A second fire of one instant hits StartExecution's name idempotency; npm start says so.
    const doubled = runtime.output
      .split('\n')
      .filter((line) => /was already started; not started again/.test(line));
    if (doubled.length > 0) failures.push(`${doubled.length} doubled fires, e.g. ${doubled[0]}`);
    const schedulerProblems = runtime.output
      .split('\n')
      .filter((line) => /^scheduler: (missed|scheduled start of .* failed|could not)/.test(line));
    for (const line of schedulerProblems.slice(0, 5)) failures.push(`npm start said: ${line}`);

    // Lateness: each start against its instant on the simulated clock, in real ms.
    const lateness = inWindow
      .map((fire) => fire.startDate - (realStart + (Date.parse(fire.scheduledTime) - at) / window.speed))
      .filter((value) => Number.isFinite(value));
    const statuses = new Map<string, number>();
    for (const fire of inWindow) statuses.set(fire.status, (statuses.get(fire.status) ?? 0) + 1);
    // Why runs did not succeed. The one cause found (docs/reliability.md): the duplicate-start
    // guard timing out (States.Timeout, or middy's TimeoutError just before it) because its
    // ListExecutions call waits behind the backlog of the runtime that answers it. That is the
    // clock asking more than the machine gives, not a product fault, when the runtime was behind
    // by more than the guard's timeout; then such runs are counted apart. Anything else fails.
    // The worst start lateness: a guard times out at the moment the queue is longest.
    const behindMs = Math.max(0, ...lateness);
    const overloaded = behindMs > GUARD_STATE_TIMEOUT_MS;
    const errors = new Map<string, number>();
    let guardTimeouts = 0;
    for (const fire of inWindow.filter((item) => item.status !== 'SUCCEEDED' && item.status !== 'RUNNING')) {
      const described = await client.send(new DescribeExecutionCommand({ executionArn: fire.executionArn }));
      const history = await client.send(
        new GetExecutionHistoryCommand({
          executionArn: fire.executionArn,
          reverseOrder: true,
          maxResults: 6,
        }),
      );
      const events = (history.events ?? []).slice().reverse();
      const failedIn = events.findLast((event) => event.stateEnteredEventDetails)?.stateEnteredEventDetails
        ?.name;
      const guardTimedOut =
        failedIn === GUARD_STATE &&
        (described.error === 'States.Timeout' ||
          (described.error === 'TimeoutError' && (described.cause ?? '').includes('AbortError')));
      if (guardTimedOut && overloaded) {
        guardTimeouts += 1;
        continue;
      }
      const key = `${fire.job}: ${described.error ?? fire.status} in "${failedIn}" ${(described.cause ?? '').slice(0, 160)}`;
      if (!errors.has(key))
        log(
          `  ${fire.status} ${described.name}: ${events
            .map(
              (event) =>
                `${event.type}${event.stateEnteredEventDetails ? ` "${event.stateEnteredEventDetails.name}"` : ''}`,
            )
            .join(' -> ')}; ${described.error}: ${(described.cause ?? '').slice(0, 600)}`,
        );
      errors.set(key, (errors.get(key) ?? 0) + 1);
    }

    const first = samples.filter((sample) => sample.simulated < at + window.sliceMs);
    const last = samples.filter((sample) => sample.simulated >= end - window.sliceMs);
    const firstRss = median(first.map((sample) => sample.rssKb)) / 1024;
    const lastRss = median(last.map((sample) => sample.rssKb)) / 1024;
    // The floor: in-flight work (HTTP connections, task pipes) lifts the peaks; a leak lifts the floor.
    const firstFds = Math.min(...first.map((sample) => sample.fds));
    const lastFds = Math.min(...last.map((sample) => sample.fds));
    const peakFds = `${Math.max(...first.map((sample) => sample.fds))} / ${Math.max(...last.map((sample) => sample.fds))}`;
    // Quick: 18 simulated hours are ~22 real seconds, too short to tell a leak from the backlog a
    // loaded machine builds up; its RSS and fd figures are reported, the month asserts them.
    const assertFlat = size === 'full';
    if (first.length === 0 || last.length === 0)
      failures.push('no RSS/fd samples in the first or the last slice');
    // Memory is compared after a full GC (the heap snapshots): RSS medians move by ±200 MB with
    // when V8 last collected (702 MB → 502 MB within the first day of one run), far more than a
    // leak of a few KB per execution, so they are reported, not asserted. So is the RSS read
    // after a snapshot: writing the snapshot itself lifts it by ~120 MB (433 → 553 MB).
    if (assertFlat && (firstGc === undefined || lastGc === undefined))
      failures.push('no heap snapshot of the runtime (SIGUSR2) at the end of the first slice or at the end');
    if (assertFlat && firstGc !== undefined && lastGc !== undefined) {
      if (lastGc.liveMb > firstGc.liveMb * (1 + RSS_GROWTH_TOLERANCE))
        failures.push(
          `live memory after a full GC grew from ${firstGc.liveMb.toFixed(1)} MB (end of the first slice) to ${lastGc.liveMb.toFixed(1)} MB (every execution ended), more than ${RSS_GROWTH_TOLERANCE * 100}%`,
        );
    }
    // Fds are compared once the work is over: while the runtime is behind, in-flight API calls
    // hold sockets at both ends (run at 10000x: 164 sockets 2 s after the last execution ended).
    if (assertFlat && settled !== undefined && settled.fds > firstFds + FD_GROWTH_TOLERANCE)
      failures.push(
        `open fds grew from at least ${firstFds} (first slice) to ${settled.fds} once every execution had ended: ${settledFds}`,
      );
    // The stand-in containers exit 0 and no fault is injected: a run that did not succeed is a
    // fault of the runtime (or the machine), and the scenario names it instead of passing.
    for (const [key, count] of errors) failures.push(`${count} run(s) did not succeed: ${key}`);

    const sliceName = window.sliceMs === DAY ? 'day' : `${window.sliceMs / HOUR} h`;
    Object.assign(figures, {
      window: `${window.at} to ${window.end}`,
      speed: `${window.speed}x`,
      jobs: jobs.length,
      'fires expected': expectedCount,
      'fires seen': inWindow.length,
      'inputs checked': inputsChecked,
      missed: missing,
      'not listed': extra,
      doubled: doubled.length,
      'start lateness p50/p99/max (real ms)': `${percentile(lateness, 0.5).toFixed(0)} / ${percentile(lateness, 0.99).toFixed(0)} / ${Math.max(...lateness).toFixed(0)}`,
      'execution statuses at read-back': [...statuses]
        .map(([status, count]) => `${status} ${count}`)
        .join(', '),
      'runs ended by the guard timing out while the runtime was behind': overloaded
        ? `${guardTimeouts} (start lateness max ${(behindMs / 1000).toFixed(1)} s > the guard's ${GUARD_STATE_TIMEOUT_MS / 1000} s)`
        : `0 excused (start lateness max ${(behindMs / 1000).toFixed(1)} s is within the guard's ${GUARD_STATE_TIMEOUT_MS / 1000} s, so any guard timeout fails)`,
      'why runs did not succeed':
        errors.size === 0
          ? '-'
          : [...errors]
              .sort((a, b) => b[1] - a[1])
              .map(([key, count]) => `${count}x ${key}`)
              .join(' | '),
      [`RSS median first ${sliceName} / last ${sliceName} (MB)`]: `${firstRss.toFixed(1)} / ${lastRss.toFixed(1)}`,
      [`anonymous RSS median first ${sliceName} / last ${sliceName} (MB)`]: `${(median(first.map((sample) => sample.anonKb)) / 1024).toFixed(1)} / ${(median(last.map((sample) => sample.anonKb)) / 1024).toFixed(1)}`,
      [`open fds min first ${sliceName} / last ${sliceName}`]: `${firstFds} / ${lastFds}`,
      [`open fds max first ${sliceName} / last ${sliceName}`]: peakFds,
      samples: `${samples.length} (${first.length} first, ${last.length} last)`,
      'live memory after a full GC, end of first slice / every execution ended (MB)':
        firstGc === undefined || lastGc === undefined
          ? 'not measured'
          : `${firstGc.liveMb.toFixed(1)} / ${lastGc.liveMb.toFixed(1)}`,
      'RSS after a full GC, end of first slice / every execution ended (MB)':
        firstGc === undefined || lastGc === undefined
          ? 'not measured'
          : `${firstGc.rssMb.toFixed(1)} / ${lastGc.rssMb.toFixed(1)}`,
      'once every execution ended: RSS / anonymous (MB)': `${((settled?.rssKb ?? Number.NaN) / 1024).toFixed(1)} / ${((settled?.anonKb ?? Number.NaN) / 1024).toFixed(1)}`,
      'once every execution ended: open fds': settledFds,
      [`helper processes (not tasks): RSS median first ${sliceName} / last ${sliceName} / ended (MB)`]:
        samples.some((sample) => sample.helpers > 0)
          ? `${(median(first.map((sample) => sample.helperRssKb)) / 1024).toFixed(1)} / ${(median(last.map((sample) => sample.helperRssKb)) / 1024).toFixed(1)} / ${(settledHelpers.reduce((sum, item) => sum + item.rssKb, 0) / 1024).toFixed(1)}`
          : 'none (the database runs inside npm start)',
      [`helper processes: open fds min first ${sliceName} / last ${sliceName}`]: samples.some(
        (sample) => sample.helpers > 0,
      )
        ? `${Math.min(...first.map((sample) => sample.helperFds))} / ${Math.min(...last.map((sample) => sample.helperFds))}`
        : '-',
      'fires per job (seen/expected)': perJob.join(', '),
    });
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error));
  } finally {
    if (runtime) {
      const code = await stopRuntime(runtime);
      if (code !== 0 && failures.length === 0)
        failures.push(`npm start exited with ${code} on SIGTERM:\n${runtime.output.slice(-2000)}`);
    }
    rmSync(root, { recursive: true, force: true });
  }
  figures['wall time (s)'] = Math.round((Date.now() - wallStart) / 1000);
  return { scenario: 'a month in minutes', passed: failures.length === 0, figures, failures };
};

export default monthInMinutes;
