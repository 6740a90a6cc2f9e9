import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseDuration } from '../lib/schedule/duration.ts';
import { MAX_SEED_TEMPLATES } from '../lib/seed/index.ts';
import { zodIssueMessages } from '../lib/zod-issues.ts';
import { FAULT_KEYS, FAULT_SHARE_SLACK, type FaultInjectionConfig, START_FAULT_KEYS } from './ecs/faults.ts';
import { resolveDataDir } from './runtime-file.ts';
import { parseTimeScale } from './sfn/time-scale.ts';

/**
 * `npm start` settings, parsed once from the command line and the environment. Inner
 * code gets a typed {@link StartConfig} and never reads argv or `process.env`.
 */

export interface StartConfig {
  help: boolean;
  /** Limit the scheduler to these jobs (all state machines still exist for manual runs). */
  only: string[] | undefined;
  schedule: boolean;
  /** Start the scheduler's clock at this instant (then it runs forward at real speed, or at `speed`). */
  at: Date | undefined;
  /** Scheduler clock milliseconds per real millisecond (`--speed`); undefined: real time. */
  speed: number | undefined;
  /** Start no scheduled run at or after this instant (`--until`). */
  until: Date | undefined;
  port: number;
  catchUpSeconds: number;
  faults: FaultInjectionConfig | undefined;
  /** Where the faults came from, for the status block. */
  faultsSource: string | undefined;
  dataDir: string;
  /** Demo records created when the database is empty. */
  seedRecords: number;
  /** At least this many demo checklist templates (0: as many as the record count gives). */
  seedTemplates: number;
  slackWebhookUrl: string | undefined;
  maxConcurrentTasks: number | undefined;
  /** SFN_BATCH_TIME_SCALE: pauses (retry backoff, Wait states) multiplied by this (local/sfn/time-scale.ts). */
  timeScale: number | undefined;
  /** Folder of schedule files (default: the repository's schedules/). */
  schedulesDir: string | undefined;
}

/** A settings problem: printed as-is, exit code 2. */
export class StartConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartConfigError';
  }
}

// Three keys a line, under the variable's description.
const FAULT_KEY_LINES = FAULT_KEYS.map((key, index) =>
  index > 0 && index % 3 === 0 ? `\n${' '.repeat(31)}${key}` : key,
)
  .join(', ')
  .replaceAll(', \n', ',\n');

/**
 * Fastest `--speed`. At 10000x a month passes in under 5 minutes and rate(5 minutes) fires
 * every 30 ms; faster, the runtime cannot start executions as fast as they fall due.
 */
export const MAX_SPEED = 10_000;

export const USAGE = `Usage: npm start -- [options]

Runs the whole system on this machine: the records database (embedded PostgreSQL under
.data/, seeded with demo data on first start), the Step Functions API on 127.0.0.1, the
local ECS/Lambda stand-ins and the scheduler.

Options:
  --only <job,...>       schedule only these jobs (all jobs can still be run by hand)
  --no-schedule          do not start the scheduler
  --at <iso-instant>     start the scheduler clock at this instant, e.g. 2026-12-01T00:00:00+09:00
                         (watch a month-start burst now; scheduler.json is not used)
  --speed <factor>       run the scheduler clock <factor> times as fast as real time, from --at
                         or from now, e.g. --speed 1440 (a day in a minute); 1 to ${MAX_SPEED}.
                         scheduledTime and execution names follow this clock; execution
                         start/stop dates, task timeouts and Wait states stay real time;
                         stopped ECS tasks stay listed for an hour of this clock (at least
                         a real minute).
                         scheduler.json is not used
  --until <iso-instant>  start no scheduled run at or after this instant (ends a simulation;
                         the API and console stay up), e.g. 2027-04-01T00:00:00Z
  --port <n>             Step Functions API port (default 8083; 0 picks a free one)
  --catch-up <duration>  start a run missed while stopped if it is at most this old, once
                         (like Kubernetes startingDeadlineSeconds), e.g. 2h; default: skip
  --faults <file.json>   fault injection settings (see below)
  --schedules <dir>      read the schedule files from this folder (default schedules/)
  --help                 show this help

Environment:
  SFN_BATCH_DATA_DIR     local data folder (default .data)
  DATABASE_URL           use this PostgreSQL instead of the embedded one
  SFN_BATCH_FAULTS       fault injection JSON, e.g. {"capacityUnavailable":0.2,"seed":1}
                         keys: ${FAULT_KEY_LINES}
                         (shares of task starts, 0..1), seed (integer)
  SLACK_WEBHOOK_URL      post failure notifications here (default: print them)
  SFN_BATCH_SEED_RECORDS demo records on first start (default 20000), over the 3 months
                         before the clock (--at, else now)
  SFN_BATCH_SEED_TEMPLATES at least this many demo checklist templates (default: 6 per
                         workspace, 2 more workspaces per 100000 records)
  SFN_BATCH_MAX_TASKS    concurrent task cap standing in for ECS capacity (default 8)
  SFN_BATCH_TIME_SCALE   multiply every retry pause and Wait state by this (0 < x <= 1), keeping
                         backoff and jitter, e.g. 0.0333: a 30 s retry pause takes 1 s (tests, demos)`;

const share = z.number().min(0).max(1);
// One optional share per kind in lib/contracts/provisioning-failures.ts. Each task start
// draws one start fate, so the start failure shares cannot add up to more than all starts.
export const faultsSchema = z
  .strictObject({
    ...Object.fromEntries(FAULT_KEYS.map((key) => [key, share.optional()])),
    seed: z.number().int().optional(),
  })
  .superRefine((faults, context) => {
    const shares = faults as Partial<Record<string, number>>;
    const total = START_FAULT_KEYS.reduce((sum, key) => sum + (shares[key] ?? 0), 0);
    // A little slack for decimal shares such as 0.7 + 0.2 + 0.1.
    if (total > 1 + FAULT_SHARE_SLACK) {
      const running = FAULT_KEYS.filter((key) => !START_FAULT_KEYS.includes(key));
      context.addIssue({
        code: 'custom',
        message: `the start failure shares (${START_FAULT_KEYS.filter((key) => shares[key] !== undefined).join(' + ')}) add up to ${Number(total.toFixed(6))}; they must add up to at most 1 (${running.join(', ')} ${running.length === 1 ? 'is' : 'are'} drawn separately)`,
      });
    }
  });

/** Parses fault settings text; the error names the source, the key and the rule. */
export function parseFaults(text: string, source: string): FaultInjectionConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StartConfigError(`${source} is not valid JSON (${(error as Error).message})`);
  }
  const parsed = faultsSchema.safeParse(value);
  if (!parsed.success) {
    const problems = zodIssueMessages(parsed.error, 'settings').map((problem) => `  - ${problem}`);
    throw new StartConfigError(
      `${source} has invalid fault injection settings:\n${problems.join('\n')}\nExample: {"capacityUnavailable":0.2,"resourceInitializationError":0.1,"seed":7}`,
    );
  }
  return parsed.data;
}

function parseSpeed(text: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !Number.isFinite(value)) {
    throw new StartConfigError(
      `--speed must be a plain decimal number such as 60 (an hour a minute) or 1440 (a day a minute), got "${text}"`,
    );
  }
  if (value < 1 || value > MAX_SPEED) {
    throw new StartConfigError(
      `--speed must be from 1 to ${MAX_SPEED}, got "${text}": ${value < 1 ? 'the scheduler clock cannot run slower than real time' : `above ${MAX_SPEED}x the runtime cannot start executions as fast as they fall due`}`,
    );
  }
  return value;
}

function parseIsoInstant(text: string, option: string): Date {
  const instant = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(instant.getTime())) {
    throw new StartConfigError(
      `${option} must be an ISO 8601 instant such as 2026-12-01T00:00:00+09:00, got "${text}"`,
    );
  }
  return instant;
}

function positiveInteger(text: string, what: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new StartConfigError(`${what} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** Parses argv (without node and script) and the environment. */
export async function parseStartConfig(argv: string[], environment: NodeJS.ProcessEnv): Promise<StartConfig> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new StartConfigError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const only = values.only
    ?.split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (values.only !== undefined && (only === undefined || only.length === 0)) {
    throw new StartConfigError(
      '--only needs job names separated by commas, e.g. --only export-monthly-records',
    );
  }
  const at = values.at === undefined ? undefined : parseIsoInstant(values.at, '--at');
  const until = values.until === undefined ? undefined : parseIsoInstant(values.until, '--until');
  if (until !== undefined && until.getTime() <= (at ?? new Date()).getTime()) {
    throw new StartConfigError(
      `--until (${until.toISOString()}) must be later than ${at === undefined ? 'now' : `--at (${at.toISOString()})`}`,
    );
  }
  const speed = values.speed === undefined ? undefined : parseSpeed(values.speed);
  let catchUpSeconds = 0;
  if (values['catch-up'] !== undefined) {
    const seconds = parseDuration(values['catch-up']);
    if (seconds === undefined) {
      throw new StartConfigError(
        `--catch-up must be a duration such as 30m, 2h or 1h30m, got "${values['catch-up']}"`,
      );
    }
    catchUpSeconds = seconds;
  }
  let faults: FaultInjectionConfig | undefined;
  let faultsSource: string | undefined;
  if (values.faults !== undefined) {
    let text: string;
    try {
      text = await readFile(values.faults, 'utf8');
    } catch (error) {
      throw new StartConfigError(`cannot read --faults file ${values.faults}: ${(error as Error).message}`);
    }
    faults = parseFaults(text, values.faults);
    faultsSource = values.faults;
  } else if (environment.SFN_BATCH_FAULTS?.trim()) {
    faults = parseFaults(environment.SFN_BATCH_FAULTS, 'SFN_BATCH_FAULTS');
    faultsSource = 'SFN_BATCH_FAULTS';
  }
  const webhook = environment.SLACK_WEBHOOK_URL?.trim();
  if (webhook && !z.url().safeParse(webhook).success) {
    throw new StartConfigError(
      'SLACK_WEBHOOK_URL must be a full URL such as https://hooks.slack.com/services/...',
    );
  }
  return {
    help: values.help === true,
    only,
    schedule: values['no-schedule'] !== true,
    at,
    speed,
    until,
    port: values.port === undefined ? 8083 : positiveInteger(values.port, '--port', 0, 65535),
    catchUpSeconds,
    faults,
    faultsSource,
    dataDir: resolveDataDir(environment),
    seedRecords: environment.SFN_BATCH_SEED_RECORDS?.trim()
      ? positiveInteger(environment.SFN_BATCH_SEED_RECORDS, 'SFN_BATCH_SEED_RECORDS', 0, 10_000_000)
      : 20_000,
    seedTemplates: environment.SFN_BATCH_SEED_TEMPLATES?.trim()
      ? positiveInteger(
          environment.SFN_BATCH_SEED_TEMPLATES,
          'SFN_BATCH_SEED_TEMPLATES',
          0,
          MAX_SEED_TEMPLATES,
        )
      : 0,
    slackWebhookUrl: webhook || undefined,
    schedulesDir: values.schedules,
    maxConcurrentTasks: environment.SFN_BATCH_MAX_TASKS?.trim()
      ? positiveInteger(environment.SFN_BATCH_MAX_TASKS, 'SFN_BATCH_MAX_TASKS', 1, 1000)
      : undefined,
    timeScale: timeScaleFrom(environment.SFN_BATCH_TIME_SCALE),
  };
}

function timeScaleFrom(text: string | undefined): number | undefined {
  if (!text?.trim()) return undefined;
  try {
    return parseTimeScale(text);
  } catch (error) {
    throw new StartConfigError((error as Error).message);
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      only: { type: 'string' },
      'no-schedule': { type: 'boolean' },
      at: { type: 'string' },
      speed: { type: 'string' },
      until: { type: 'string' },
      port: { type: 'string' },
      'catch-up': { type: 'string' },
      faults: { type: 'string' },
      schedules: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
