import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { TASK_INPUT_ENV } from '../lib/contracts/execution-input.ts';
import { REPO_ROOT } from '../lib/schedule/load.ts';
import { format } from './run-child.ts';

/*
 * Engine benchmarks against a real local runtime in its own process
 * (bench/engine-runtime-child.ts: the real scheduled-task state machine, the real
 * guard Lambda, production timings), driven with the real @aws-sdk/client-sfn:
 *
 * - overhead: StartExecution → SUCCEEDED for a job whose container sleeps 1 s,
 *   divided by spawning and awaiting the same container process directly (same
 *   node binary, entry point, command and environment), runs interleaved;
 * - rate: trivial executions (a container that exits at once) completed per minute
 *   by N concurrent starters (start, wait, start the next), against N concurrent
 *   loops spawning the same container directly.
 */

interface RuntimeInfo {
  endpoint: string;
  pid: number;
  entrypoint: string;
  jobs: Record<'sleep' | 'trivial', { stateMachineArn: string; command: string[] }>;
}

export interface EngineOptions {
  /** Overhead runs of each kind (engine, direct), interleaved. */
  runs: number;
  /** Seconds each rate measurement runs. */
  rateSeconds: number;
  /** Concurrent starters, one rate measurement (and its direct baseline) for each. */
  starters: number[];
  /** Which parts to run. */
  overhead: boolean;
  rate: boolean;
  log?: (line: string) => void;
}

export interface EngineFigures {
  overhead?: {
    runs: number;
    engineSeconds: Percentiles;
    /** The same runs as this client saw them, polling included. */
    observedSeconds: Percentiles;
    directSeconds: Percentiles;
    /** p50 and p90 of the per-pair ratio engine / direct. */
    ratio: Percentiles;
    /** Medians of where the engine's time goes, from the execution history and the task record. */
    phases: Record<string, number>;
  };
  rate?: Array<{
    starters: number;
    executionsPerMinute: number;
    directPerMinute: number;
    ratio: number;
    engineP50Seconds: number;
  }>;
  runtimePeakRssMiB?: number;
}

interface Percentiles {
  p50: number;
  p90: number;
}

/**
 * How often a waiting starter asks DescribeExecution. Polling costs CPU in the runtime and in
 * this process, on the same 2 cores the container starts on, so the overhead runs poll slowly
 * and time the run to the execution's own stopDate; the rate runs poll faster, since there a
 * late look delays the next start.
 */
const OVERHEAD_POLL_MS = 250;
const RATE_POLL_MS = 50;

export function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (fraction: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? Number.NaN;
  return { p50: pick(0.5), p90: pick(0.9) };
}

function startRuntime(maxConcurrentTasks: number): Promise<{ child: ChildProcess; info: RuntimeInfo }> {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'engine-runtime-child.ts'), String(maxConcurrentTasks)],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: '' } },
  );
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (data: Buffer) => {
      stdout += data.toString();
      const newline = stdout.indexOf('\n');
      if (newline >= 0 && stdout.startsWith('{')) {
        resolve({ child, info: JSON.parse(stdout.slice(0, newline)) as RuntimeInfo });
      }
    });
    child.on('close', (code) =>
      reject(new Error(`engine runtime child exited ${code} before serving: ${stderr.trim().slice(-500)}`)),
    );
  });
}

async function stopRuntime(child: ChildProcess): Promise<number | undefined> {
  let stdout = '';
  child.stdout?.on('data', (data: Buffer) => {
    stdout += data.toString();
  });
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  child.stdin?.end();
  await closed;
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return last.includes('peakRssMiB') ? (JSON.parse(last) as { peakRssMiB: number }).peakRssMiB : undefined;
}

/** The environment the runtime's ECS stand-in gives a container (local/ecs/run-task.ts), for the direct baseline. */
function containerEnv(info: RuntimeInfo): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_REGION: 'ap-northeast-1',
    AWS_DEFAULT_REGION: 'ap-northeast-1',
    AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE',
    AWS_ENDPOINT_URL_SFN: info.endpoint,
    [TASK_INPUT_ENV]: JSON.stringify({
      job: 'bench-direct',
      executionArn: 'arn:aws:states:ap-northeast-1:000000000000:execution:bench:direct',
      scheduledTime: new Date().toISOString(),
      params: {},
    }),
  };
}

/** Spawns the container process as the ECS stand-in does (own process group, piped output) and awaits it. */
async function runDirect(info: RuntimeInfo, command: string[]): Promise<number> {
  const begin = performance.now();
  const child = spawn(process.execPath, [info.entrypoint, ...command], {
    cwd: REPO_ROOT,
    env: containerEnv(info),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.resume();
  child.stderr?.resume();
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => resolve(exitCode));
  });
  if (code !== 0) throw new Error(`direct run of ${command.join(' ')} exited ${code}`);
  return (performance.now() - begin) / 1000;
}

let executionCounter = 0;

/**
 * StartExecution, then DescribeExecution every `pollMs` until it leaves RUNNING; SUCCEEDED or it
 * throws. `seconds` runs from just before StartExecution to the execution's stopDate (the same
 * machine clock), so the polling interval is not in it; `observedSeconds` is when this client saw it.
 */
async function runExecution(
  client: SFNClient,
  stateMachineArn: string,
  pollMs: number,
): Promise<{ seconds: number; observedSeconds: number; described: DescribeExecutionCommandOutput }> {
  const beginMs = Date.now();
  const begin = performance.now();
  const { executionArn } = await client.send(
    new StartExecutionCommand({
      stateMachineArn,
      name: `bench-${process.pid}-${++executionCounter}`,
      input: '{}',
    }),
  );
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') {
      if (described.status !== 'SUCCEEDED') {
        throw new Error(`${executionArn} ended ${described.status}: ${described.error} ${described.cause}`);
      }
      const observedSeconds = (performance.now() - begin) / 1000;
      const stopMs = described.stopDate?.getTime();
      return {
        seconds: stopMs === undefined ? observedSeconds : (stopMs - beginMs) / 1000,
        observedSeconds,
        described,
      };
    }
  }
}

/** Seconds between the history's landmarks: guard, task dispatch → container start → exit → execution end. */
async function phases(
  client: SFNClient,
  executionArn: string,
  endpoint: string,
): Promise<Record<string, number>> {
  const { events = [] } = await client.send(
    new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
  );
  const at = (predicate: (event: HistoryEvent) => boolean) => events.find(predicate)?.timestamp?.getTime();
  const started = at((event) => event.type === 'ExecutionStarted');
  const guardDone = at((event) => event.type === 'LambdaFunctionSucceeded' || event.type === 'TaskSucceeded');
  const taskScheduled = at(
    (event) => event.type === 'TaskScheduled' && event.taskScheduledEventDetails?.resourceType === 'ecs',
  );
  const taskSucceeded = events
    .filter((event) => event.type === 'TaskSucceeded')
    .at(-1)
    ?.timestamp?.getTime();
  const ended = at((event) => event.type === 'ExecutionSucceeded');
  // The container's own start and stop, as the ECS stand-in recorded them.
  const response = await fetch(`${endpoint}/_local/logs?executionArn=${encodeURIComponent(executionArn)}`);
  const { tasks } = (await response.json()) as { tasks: Array<{ startedAt?: string; stoppedAt?: string }> };
  const containerStart = tasks[0]?.startedAt ? Date.parse(tasks[0].startedAt) : undefined;
  const containerStop = tasks[0]?.stoppedAt ? Date.parse(tasks[0].stoppedAt) : undefined;
  const span = (from: number | undefined, to: number | undefined) =>
    from === undefined || to === undefined ? Number.NaN : (to - from) / 1000;
  return {
    'start → guard done': span(started, guardDone),
    'guard done → task scheduled': span(guardDone, taskScheduled),
    'task scheduled → container spawned': span(taskScheduled, containerStart),
    'container spawned → exited': span(containerStart, containerStop),
    'container exited → task succeeded': span(containerStop, taskSucceeded),
    'task succeeded → execution succeeded': span(taskSucceeded, ended),
    'start → execution succeeded (engine clock)': span(started, ended),
  };
}

/** Runs `loop` on `count` workers until `seconds` pass; returns completions and their durations. */
async function sustained(
  count: number,
  seconds: number,
  once: () => Promise<number>,
): Promise<{ completed: number; elapsedSeconds: number; durations: number[] }> {
  const begin = performance.now();
  const deadline = begin + seconds * 1000;
  const durations: number[] = [];
  await Promise.all(
    Array.from({ length: count }, async () => {
      while (performance.now() < deadline) durations.push(await once());
    }),
  );
  return { completed: durations.length, elapsedSeconds: (performance.now() - begin) / 1000, durations };
}

export async function runEngineSuite(options: EngineOptions): Promise<EngineFigures> {
  const log = options.log ?? (() => undefined);
  const maxStarters = Math.max(1, ...options.starters);
  const { child, info } = await startRuntime(Math.max(8, maxStarters));
  const client = new SFNClient({
    endpoint: info.endpoint,
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const figures: EngineFigures = {};
  try {
    // Warm-up: module caches, the guard Lambda's first load, the SDK's connections.
    await runExecution(client, info.jobs.trivial.stateMachineArn, RATE_POLL_MS);
    await runDirect(info, info.jobs.trivial.command);

    if (options.overhead) {
      const engine: number[] = [];
      const observed: number[] = [];
      const direct: number[] = [];
      const ratios: number[] = [];
      const phaseSamples: Record<string, number[]> = {};
      for (let run = 0; run < options.runs; run++) {
        // Alternate which goes first, so a load swing does not favour one side.
        const directFirst = run % 2 === 0;
        const directSeconds = directFirst ? await runDirect(info, info.jobs.sleep.command) : Number.NaN;
        const execution = await runExecution(client, info.jobs.sleep.stateMachineArn, OVERHEAD_POLL_MS);
        const directAfter = directFirst ? directSeconds : await runDirect(info, info.jobs.sleep.command);
        engine.push(execution.seconds);
        observed.push(execution.observedSeconds);
        direct.push(directAfter);
        ratios.push(execution.seconds / directAfter);
        const executionArn = execution.described.executionArn;
        if (executionArn) {
          for (const [name, value] of Object.entries(await phases(client, executionArn, info.endpoint))) {
            const samples = phaseSamples[name] ?? [];
            samples.push(value);
            phaseSamples[name] = samples;
          }
        }
        log(
          `engine overhead run ${run + 1}/${options.runs}: engine ${execution.seconds.toFixed(3)} s, direct ${directAfter.toFixed(3)} s`,
        );
      }
      figures.overhead = {
        runs: options.runs,
        engineSeconds: percentiles(engine),
        observedSeconds: percentiles(observed),
        directSeconds: percentiles(direct),
        ratio: percentiles(ratios),
        phases: Object.fromEntries(
          Object.entries(phaseSamples).map(([name, samples]) => [name, percentiles(samples).p50]),
        ),
      };
    }

    if (options.rate) {
      figures.rate = [];
      for (const starters of options.starters) {
        const engine = await sustained(starters, options.rateSeconds, async () => {
          return (await runExecution(client, info.jobs.trivial.stateMachineArn, RATE_POLL_MS))
            .observedSeconds;
        });
        const direct = await sustained(starters, options.rateSeconds, () =>
          runDirect(info, info.jobs.trivial.command),
        );
        const executionsPerMinute = (engine.completed / engine.elapsedSeconds) * 60;
        const directPerMinute = (direct.completed / direct.elapsedSeconds) * 60;
        figures.rate.push({
          starters,
          executionsPerMinute,
          directPerMinute,
          ratio: executionsPerMinute / directPerMinute,
          engineP50Seconds: percentiles(engine.durations).p50,
        });
        log(
          `rate with ${starters} starter(s): ${executionsPerMinute.toFixed(0)} executions/min, direct ${directPerMinute.toFixed(0)} runs/min`,
        );
      }
    }
  } finally {
    client.destroy();
    figures.runtimePeakRssMiB = await stopRuntime(child);
  }
  return figures;
}

/** Markdown sections for `npm run bench`: the overhead (with where the time goes) and the rate. */
export function formatEngineFigures(figures: EngineFigures): string[] {
  const sections: string[] = [];
  const seconds = (value: number) => `${format(value, 3)} s`;
  const { overhead, rate } = figures;
  if (overhead) {
    const phaseRows = Object.entries(overhead.phases).map(
      ([name, value]) => `| ${name} | ${seconds(value)} |`,
    );
    sections.push(
      [
        `## engine overhead (${overhead.runs} runs each, interleaved)`,
        '',
        '| | p50 | p90 |',
        '|---|---:|---:|',
        `| StartExecution → SUCCEEDED (stopDate), container sleeps 1 s (SDK; DescribeExecution every ${OVERHEAD_POLL_MS} ms) | ${seconds(overhead.engineSeconds.p50)} | ${seconds(overhead.engineSeconds.p90)} |`,
        `| the same runs as the client saw them (polling included) | ${seconds(overhead.observedSeconds.p50)} | ${seconds(overhead.observedSeconds.p90)} |`,
        `| same container process spawned and awaited directly | ${seconds(overhead.directSeconds.p50)} | ${seconds(overhead.directSeconds.p90)} |`,
        `| **ratio engine / direct** (per run pair) | **${format(overhead.ratio.p50, 2)}** | ${format(overhead.ratio.p90, 2)} |`,
        '',
        'Where the engine time goes (medians, from the execution history and the task record):',
        '',
        '| phase | median |',
        '|---|---:|',
        ...phaseRows,
      ].join('\n'),
    );
  }
  if (rate) {
    sections.push(
      [
        `## trivial executions per minute (container exits at once; DescribeExecution every ${RATE_POLL_MS} ms)`,
        '',
        '| concurrent starters | executions/min | direct spawns/min (baseline) | ratio | p50 StartExecution → SUCCEEDED |',
        '|---:|---:|---:|---:|---:|',
        ...rate.map(
          (item) =>
            `| ${item.starters} | ${format(item.executionsPerMinute)} | ${format(item.directPerMinute)} | ${format(item.ratio, 2)} | ${seconds(item.engineP50Seconds)} |`,
        ),
      ].join('\n'),
    );
  }
  if (figures.runtimePeakRssMiB !== undefined) {
    sections.push(
      `- local runtime process peak RSS over the engine runs: ${format(figures.runtimePeakRssMiB)} MiB`,
    );
  }
  return sections;
}
