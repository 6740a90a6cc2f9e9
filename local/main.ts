/**
 * `npm start`: the whole system on one machine. Validates the schedules, prepares the
 * records database (embedded: in its own database process, which serves it to the runtime
 * and the child-process containers),
 * starts the local Step Functions API (with its ECS and Lambda stand-ins) and the
 * scheduler, and wires failure notifications. Ctrl-C stops everything cleanly.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
// The execution-input rule batchctl run applies (lib/contracts/execution-input.ts); the console validates with it.
import { manualExecutionName, validateManualInput } from '../cli/commands/run.ts';
import { FolderInUseError } from '../lib/db/folder-lock.ts';
import { databaseConfigFromEnv, openDatabase } from '../lib/db/index.ts';
import type { JobSpec } from '../lib/schedule/job-spec.ts';
import { formatProblem, loadScheduleCatalogue } from '../lib/schedule/load.ts';
import { suggestClosest } from '../lib/schedule/suggest.ts';
import { formatInstant } from '../lib/schedule/time-format.ts';
import { WorkflowSynthesisError } from '../lib/workflows/synthesize.ts';
import { parseStartConfig, type StartConfig, StartConfigError, USAGE } from './config.ts';
import { ensureConsoleBuilt } from './console/build.ts';
import { CONSOLE_PATH, createConsoleRoutes } from './console/routes.ts';
import { prepareDatabase } from './database/prepare-database.ts';
import { DatabaseProcessError, startDatabaseProcess } from './database/start-database-process.ts';
import { describeNotifyResult } from './notify/deliver.ts';
import { type ExecutionEvent, type LocalRuntime, startLocalRuntime } from './runtime.ts';
import {
  describeFolderInUse,
  isProcessAlive,
  readRuntimeFile,
  removeRuntimeFile,
  runtimeFilePath,
  writeRuntimeFile,
} from './runtime-file.ts';
import { createStartClient, startScheduledExecution } from './scheduled-start.ts';
import { createScheduler, type Scheduler, simulatedClock } from './scheduler.ts';

const STAGE = 'local';
const REGION = 'ap-northeast-1';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);
const clockTime = (date: Date) => date.toTimeString().slice(0, 8);

/** Everything that must be closed on shutdown, in reverse order of opening. */
const closers: Array<{ what: string; close: () => Promise<void> }> = [];

async function main(): Promise<number> {
  let config: StartConfig;
  try {
    config = await parseStartConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof StartConfigError) {
      err(`npm start: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (config.help) {
    out(USAGE);
    return 0;
  }

  const catalogue = await loadScheduleCatalogue(config.schedulesDir);
  const { jobs, problems, warnings } = catalogue;
  for (const warning of warnings) err(`npm start: ${formatProblem(warning)}`);
  if (problems.length > 0) {
    err(
      `npm start: ${problems.length} problem(s) in schedules/ (the same as "npm run batchctl -- validate"):`,
    );
    for (const problem of problems) err(formatProblem(problem));
    return 1;
  }
  const scheduledJobs = selectScheduledJobs(jobs, config.only);

  await mkdir(config.dataDir, { recursive: true });
  // Checked before the database opens: two PGlite instances on one folder corrupt it.
  const running = await readRuntimeFile(config.dataDir).catch(() => undefined);
  if (running && running.pid !== process.pid && isProcessAlive(running.pid)) {
    throw new StartConfigError(
      `another npm start already uses ${config.dataDir} (pid ${running.pid}, API ${running.endpoint}). Use that one, stop it, or set SFN_BATCH_DATA_DIR to another folder.`,
    );
  }
  const environment = { ...process.env, SFN_BATCH_DATA_DIR: config.dataDir };
  const databaseConfig = databaseConfigFromEnv(environment);
  // Demo data ends at the clock's start: with --at, the month before a simulated month start is complete.
  const seed = { records: config.seedRecords, templates: config.seedTemplates, now: config.at ?? new Date() };
  let databaseUrl: string;
  let databaseDisplayUrl: string;
  let databasePid: number | undefined;
  if (databaseConfig.url) {
    const db = await openDatabase(databaseConfig);
    closers.push({ what: 'database', close: () => db.close() });
    await prepareDatabase(db, seed, out);
    databaseUrl = databaseDisplayUrl = databaseConfig.url;
  } else {
    // PGlite runs in a process of its own, so its queries never hold up this process's timers
    // (Wait states, retries, timeouts, the scheduler), and task starts fork a smaller process.
    // The runtime's Lambdas and the containers reach it over the wire, with a password made
    // for this start that only they receive (in DATABASE_URL).
    const database = await startDatabaseProcess({
      pgliteDir: databaseConfig.dataDir ?? path.join(config.dataDir, 'pglite'),
      seed,
      onUnexpectedExit: (description) => {
        err(
          `npm start: ${description} unexpectedly; nothing works without the records database, so npm start stops. Start it again (npm start).`,
        );
        void shutdown('the database process ended', 1);
      },
    });
    closers.push({ what: 'database process', close: () => database.close() });
    databaseUrl = database.url;
    databaseDisplayUrl = database.displayUrl;
    databasePid = database.pid;
  }
  const sharedEnvironment: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    SFN_BATCH_DATA_DIR: config.dataDir,
    ...pick(process.env, [
      'SFN_BATCH_STORAGE_URL',
      'SFN_BATCH_S3_ENDPOINT',
      'LOG_LEVEL',
      'POWERTOOLS_LOG_LEVEL',
    ]),
  };

  // Built assets are never committed: build them when missing or older than the sources.
  try {
    if (await ensureConsoleBuilt()) out('console: built the browser assets (npm run build)');
  } catch (error) {
    // The API and the scheduler do not need the console: say why it is missing and go on.
    err(
      `console: could not build the browser assets (${error instanceof Error ? error.message : String(error)}); the console answers 503 until "npm run build" succeeds (it needs the devDependencies: npm ci)`,
    );
  }
  let scheduler: Scheduler | undefined;
  let stateMachineArnOf: (job: string) => string = () => '';
  const consoleRoutes = createConsoleRoutes({
    jobs,
    effective: catalogue.effective,
    stateMachineArn: (job) => stateMachineArnOf(job),
    upcoming: (job, count) => scheduler?.upcomingFor(job, count),
    validateInput: validateManualInput,
    manualExecutionName,
  });

  const runtime = await startLocalRuntime({
    routes: consoleRoutes,
    // Failure notifications link to the execution's console page (SFN_BATCH_CONSOLE_URL).
    consolePath: CONSOLE_PATH,
    jobs,
    dataDir: config.dataDir,
    port: config.port,
    stage: STAGE,
    region: REGION,
    taskEnvironment: sharedEnvironment,
    // In-process Lambdas log to this terminal at WARN unless POWERTOOLS_LOG_LEVEL says otherwise (runtime.ts).
    lambdaEnvironment: {
      ...sharedEnvironment,
      // The notify Lambda posts here; without it, it returns the message and it is printed below.
      ...(config.slackWebhookUrl ? { SLACK_WEBHOOK_URL: config.slackWebhookUrl } : {}),
    },
    ...(config.faults ? { faults: config.faults } : {}),
    ...(config.maxConcurrentTasks ? { maxConcurrentTasks: config.maxConcurrentTasks } : {}),
    ...(config.timeScale === undefined ? {} : { timeScale: config.timeScale }),
    // Stopped ECS tasks stay listed for an hour of the --speed clock (task-registry.ts).
    ...(config.speed === undefined ? {} : { clockSpeed: config.speed }),
    ...projectContainersDir(config.schedulesDir),
    onExecutionEvent: printExecutionEvent,
    // Status changes go through the real notify Lambda (as EventBridge delivers them);
    // undelivered ones are kept in <data dir>/notify/undelivered.jsonl and reported by warn.
    onNotification: (result) => {
      const text = describeNotifyResult(result);
      if (text !== undefined) out(`notify: ${text}`);
    },
    warn: (message) => err(`[local runtime] ${message}`),
  });
  closers.push({ what: 'local runtime', close: () => runtime.close() });
  stateMachineArnOf = (job) => runtime.stateMachineArn(job);
  const consoleUrl = `${runtime.endpoint}${CONSOLE_PATH}`;
  const client = createStartClient({
    endpoint: runtime.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

  // Stops the scheduler's retries of starts that failed (local/scheduled-start.ts) at shutdown.
  const schedulerStopping = new AbortController();
  if (config.schedule) {
    scheduler = createScheduler({
      jobs: scheduledJobs,
      start: (job, request) =>
        startScheduledExecution(
          client,
          { stateMachineArn: runtime.stateMachineArn(job.name), ...request },
          { signal: schedulerStopping.signal, log: out },
        ),
      log: {
        info: (message) => out(`scheduler: ${message}`),
        warn: (message) => out(`scheduler: ${message}`),
        error: (message) => err(`scheduler: ${message}`),
      },
      catchUpSeconds: config.catchUpSeconds,
      ...(config.until ? { until: config.until } : {}),
      // --at/--speed simulate time: missed-run bookkeeping would compare simulated and real instants.
      ...(config.at !== undefined || config.speed !== undefined
        ? { clock: simulatedClock(config.at, config.speed ?? 1) }
        : { stateFile: path.join(config.dataDir, 'scheduler.json') }),
    });
    closers.push({
      what: 'scheduler',
      close: () => {
        schedulerStopping.abort();
        return scheduler?.stop() ?? Promise.resolve();
      },
    });
  }

  const startedAt = new Date();
  await writeRuntimeFile(config.dataDir, {
    endpoint: runtime.endpoint,
    pid: process.pid,
    startedAt: startedAt.toISOString(),
    stage: STAGE,
    consoleUrl,
    ...(databasePid === undefined ? {} : { databasePid }),
  });
  closers.push({ what: 'runtime.json', close: () => removeRuntimeFile(config.dataDir, process.pid) });

  printStatusBlock(config, runtime, databaseDisplayUrl, databasePid, jobs, scheduledJobs, scheduler);
  // Started after the status block so the burst of an `--at` month start prints below it.
  // A simulated clock starts when the scheduler first reads it, at the start of start().
  const schedulerStartedAt = new Date();
  await scheduler?.start();
  if (scheduler && (config.at !== undefined || config.speed !== undefined)) {
    out(
      `scheduler: simulated clock started at ${(config.at ?? schedulerStartedAt).toISOString()} (real ${schedulerStartedAt.toISOString()}), ${config.speed ?? 1}x real time (scheduledTime and execution names follow it; execution start and stop dates stay real)`,
    );
  }
  if (scheduler) printUpcoming(scheduler, scheduledJobs);
  return -1;
}

/**
 * With --schedules, the containers are the ones beside that schedules/ folder (validate
 * checked `container:` against them); otherwise the runtime's default, this repository's.
 */
function projectContainersDir(schedulesDir: string | undefined): { containersDir?: string } {
  if (schedulesDir === undefined) return {};
  const containersDir = path.join(path.dirname(path.resolve(schedulesDir)), 'containers');
  return existsSync(containersDir) ? { containersDir } : {};
}

function selectScheduledJobs(jobs: JobSpec[], only: string[] | undefined): JobSpec[] {
  if (!only) return jobs;
  const names = jobs.map((job) => job.name);
  const unknown = only.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    const hints = unknown.map((name) => {
      const suggestion = suggestClosest(name, names);
      return `"${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
    });
    throw new StartConfigError(
      `--only names unknown jobs: ${hints.join(', ')}. Run "npm run batchctl -- list".`,
    );
  }
  return jobs.filter((job) => only.includes(job.name));
}

function printExecutionEvent(event: ExecutionEvent): void {
  if (event.type === 'started') {
    out(`${clockTime(event.startDate)}  started   ${event.job.padEnd(36)} ${event.name}`);
    return;
  }
  const stop = event.stopDate ?? new Date();
  const seconds = Math.max(0, Math.round((stop.getTime() - event.startDate.getTime()) / 1000));
  const duration =
    seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
  const error = event.error ? `  ${event.error}` : '';
  out(
    `${clockTime(stop)}  ${event.status.padEnd(9)} ${event.job.padEnd(36)} ${event.name} (${duration})${error}`,
  );
}

function printStatusBlock(
  config: StartConfig,
  runtime: LocalRuntime,
  databaseUrl: string,
  databasePid: number | undefined,
  jobs: JobSpec[],
  scheduledJobs: JobSpec[],
  scheduler: Scheduler | undefined,
): void {
  const enabled = scheduledJobs.filter((job) => job.enabled).length;
  const lines = [
    '',
    'sfn-batch local runtime is up',
    `  Step Functions API  ${runtime.endpoint}   (AWS SDK/CLI: --endpoint-url ${runtime.endpoint})`,
    `  Console             ${runtime.endpoint}${CONSOLE_PATH}/   (jobs, executions, graphs, start/stop/redrive)`,
    `  Database            ${databasePid === undefined ? 'DATABASE_URL (external PostgreSQL)' : `embedded PGlite in ${path.join(config.dataDir, 'pglite')}, served to tasks at ${databaseUrl} by the database process (pid ${databasePid})`}`,
    `  Data folder         ${config.dataDir}   (runtime file ${runtimeFilePath(config.dataDir)})`,
    `  Jobs                ${jobs.length} state machines; ${
      scheduler
        ? `${enabled} scheduled${config.only ? ` (--only ${config.only.join(',')})` : ''}${config.at ? `, clock starts at ${config.at.toISOString()} (--at)` : ''}${config.speed ? `, clock runs ${config.speed}x real time (--speed)` : ''}${config.at || config.speed ? '' : config.catchUpSeconds > 0 ? `, catch-up window ${config.catchUpSeconds} s` : ', missed runs are skipped and logged'}`
        : 'scheduler off (--no-schedule)'
    }`,
    `  Notifications       ${config.slackWebhookUrl ? 'Slack webhook (SLACK_WEBHOOK_URL)' : 'printed here (set SLACK_WEBHOOK_URL to post to Slack)'}`,
  ];
  if (config.faults)
    lines.push(`  Fault injection     ${JSON.stringify(config.faults)} from ${config.faultsSource}`);
  if (config.timeScale !== undefined)
    lines.push(
      `  Time scale          retry pauses and Wait states × ${config.timeScale} (SFN_BATCH_TIME_SCALE; timeouts unchanged)`,
    );
  lines.push('  Run a job now       npm run batchctl -- run <job> --wait        Stop with Ctrl-C', '');
  out(lines.join('\n'));
}

function printUpcoming(scheduler: Scheduler, jobs: readonly JobSpec[]): void {
  const upcoming = scheduler.upcoming(5);
  if (upcoming.length === 0) {
    out('No scheduled runs ahead.\n');
    return;
  }
  const zones = new Map(jobs.map((job) => [job.name, job.timezone]));
  out("Next runs (each in its job's time zone):");
  for (const run of upcoming) {
    const zone = zones.get(run.job) ?? 'UTC';
    out(`  ${formatInstant(run.at, zone)} ${zone.padEnd(16)}  ${run.job}`);
  }
  out('');
}

function pick(environment: NodeJS.ProcessEnv, keys: string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of keys) {
    const value = environment[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  return picked;
}

let shuttingDown = false;

async function shutdown(reason: string, exitCode = 0): Promise<void> {
  if (shuttingDown) {
    // The database process sees this process go and closes the database itself.
    if (exitCode === 0) err(`received ${reason} again: exiting without waiting for tasks`);
    process.exit(exitCode === 0 ? 130 : exitCode);
  }
  shuttingDown = true;
  out(`\n${reason}: stopping (running tasks get SIGTERM, as ECS would)…`);
  let failed = exitCode !== 0;
  for (const closer of closers.reverse()) {
    try {
      await closer.close();
    } catch (error) {
      failed = true;
      err(`could not close the ${closer.what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  out('stopped.');
  process.exit(failed ? Math.max(exitCode, 1) : 0);
}

process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  const code = await main();
  if (code >= 0) {
    for (const closer of closers.reverse()) await closer.close().catch(() => undefined);
    process.exit(code);
  }
} catch (error) {
  if (
    error instanceof StartConfigError ||
    error instanceof WorkflowSynthesisError ||
    error instanceof DatabaseProcessError
  )
    err(`npm start: ${error.message}`);
  else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    err(
      `npm start: ${(error as Error).message}. Another npm start may be running; stop it, or pass --port 0 (any free port) or --port <n>.`,
    );
  } else if (error instanceof FolderInUseError) {
    err(`npm start: ${await describeFolderInUse(error, path.dirname(error.folder))}`);
  } else err(`npm start failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  for (const closer of closers.reverse()) await closer.close().catch(() => undefined);
  process.exit(error instanceof StartConfigError ? 2 : 1);
}
