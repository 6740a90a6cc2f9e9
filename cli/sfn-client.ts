/**
 * Which Step Functions API the operational commands (run, ps, stop, redrive, logs)
 * talk to: the local runtime found through `<dataDir>/runtime.json` (default), an
 * explicit `--endpoint-url`, or AWS with `--stage <name>` (credentials and region from
 * the usual SDK chain).
 */

import { ECSClient, ECSServiceException } from '@aws-sdk/client-ecs';
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  SFNServiceException,
} from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { type GuardDecision, skippedStartOf } from '../lib/contracts/execution-input.ts';
import { SERVICE_NAME } from '../lib/schedule/job-spec.ts';
import { isProcessAlive, readRuntimeFile, resolveDataDir, runtimeFilePath } from '../local/runtime-file.ts';
import { CliError, EXIT } from './common.ts';

export interface TargetOptions {
  stage?: string;
  endpointUrl?: string;
}

export interface SfnTarget {
  kind: 'local' | 'aws';
  client: SFNClient;
  stage: string;
  /** Local endpoint (for `/_local/` routes); undefined on AWS. */
  endpoint: string | undefined;
  /** Words for messages: "the local runtime at http://…" or "AWS stage prod". */
  description: string;
}

/** Adds `--stage` and `--endpoint-url` to an operational command. */
export function withTargetOptions(command: Command): Command {
  return command
    .option('--stage <name>', 'talk to AWS: the deployed stage (state machines sfn-batch-<stage>-<job>)')
    .option(
      '--endpoint-url <url>',
      'talk to this Step Functions endpoint (default: the local runtime of npm start)',
    );
}

/** Resolves the API to use, or throws a CliError that says how to get one. */
export async function resolveTarget(options: TargetOptions): Promise<SfnTarget> {
  if (options.stage !== undefined && options.endpointUrl !== undefined) {
    throw new CliError('use either --stage (AWS) or --endpoint-url (a local runtime), not both', EXIT.usage);
  }
  if (options.stage !== undefined) {
    if (!/^[a-z0-9]{1,12}$/.test(options.stage)) {
      throw new CliError(
        `--stage must be 1-12 lowercase letters or digits, got "${options.stage}"`,
        EXIT.usage,
      );
    }
    return {
      kind: 'aws',
      client: new SFNClient({}),
      stage: options.stage,
      endpoint: undefined,
      description: `AWS stage ${options.stage}`,
    };
  }
  if (options.endpointUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(options.endpointUrl);
    } catch {
      throw new CliError(
        `--endpoint-url must be a URL such as http://127.0.0.1:8083, got "${options.endpointUrl}"`,
        EXIT.usage,
      );
    }
    const endpoint = url.origin;
    const stage = await localStage(endpoint);
    return {
      kind: 'local',
      client: localClient(endpoint),
      stage,
      endpoint,
      description: `the runtime at ${endpoint}`,
    };
  }
  const dataDir = resolveDataDir();
  let runtime: Awaited<ReturnType<typeof readRuntimeFile>>;
  try {
    runtime = await readRuntimeFile(dataDir);
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error));
  }
  if (runtime === undefined) {
    throw new CliError(
      `no local runtime is running (no ${runtimeFilePath(dataDir)}). Start it with "npm start" in another terminal, or pass --stage <name> for AWS or --endpoint-url <url>.`,
    );
  }
  if (!isProcessAlive(runtime.pid)) {
    throw new CliError(
      `the local runtime recorded in ${runtimeFilePath(dataDir)} (pid ${runtime.pid}) is not running any more. Start it with "npm start".`,
    );
  }
  return {
    kind: 'local',
    client: localClient(runtime.endpoint),
    stage: runtime.stage,
    endpoint: runtime.endpoint,
    description: `the local runtime at ${runtime.endpoint}`,
  };
}

/** An ECS client for the same target: the local endpoint (it serves ECS too), or AWS. */
export function ecsClientFor(target: SfnTarget): ECSClient {
  if (target.kind === 'aws' || target.endpoint === undefined) return new ECSClient({});
  return new ECSClient({
    endpoint: target.endpoint,
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
  });
}

/** The stage's ECS cluster, as serverless.yml names it. */
export function stageCluster(target: SfnTarget): string {
  return `${SERVICE_NAME}-${target.stage}`;
}

function localClient(endpoint: string): SFNClient {
  // The local API ignores credentials, but the SDK signs every request and needs some.
  return new SFNClient({
    endpoint,
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
  });
}

async function localStage(endpoint: string): Promise<string> {
  try {
    const response = await fetch(`${endpoint}/_local/health`, { signal: AbortSignal.timeout(3000) });
    const body = (await response.json()) as { stage?: unknown };
    return typeof body.stage === 'string' ? body.stage : 'local';
  } catch {
    throw new CliError(
      `cannot reach a local runtime at ${endpoint} (GET /_local/health failed). Is npm start running?`,
    );
  }
}

/** Turns SDK and network errors into messages that say what happened and where. */
export function describeApiError(error: unknown, target: SfnTarget): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof SFNServiceException || error instanceof ECSServiceException)
    return new CliError(`${error.name}: ${error.message}`);
  const text = error instanceof Error ? error.message : String(error);
  if (/ECONNREFUSED|fetch failed|socket hang up/.test(text)) {
    return new CliError(
      `cannot reach ${target.description} (${text}). Is it still running? Start it with "npm start".`,
    );
  }
  if (target.kind === 'aws' && /Region is missing/.test(text)) {
    return new CliError(
      `${target.description}: no AWS region configured; set AWS_REGION or use a profile with a region (AWS_PROFILE)`,
    );
  }
  if (target.kind === 'aws' && /Could not load credentials/.test(text)) {
    return new CliError(
      `${target.description}: no AWS credentials found; set AWS_PROFILE (or run "aws sso login") and try again`,
    );
  }
  return new CliError(`${target.description}: ${text}`);
}

/** Runs `act` (API calls against `target`); what it throws becomes a CliError that says what happened and where. */
export async function callApi<T>(target: SfnTarget, act: () => Promise<T>): Promise<T> {
  try {
    return await act();
  } catch (error) {
    throw describeApiError(error, target);
  }
}

/** Resolves the target the options name and runs `act` on it, with callApi's errors. */
export async function withTarget<T>(
  options: TargetOptions,
  act: (target: SfnTarget) => Promise<T>,
): Promise<T> {
  const target = await resolveTarget(options);
  return callApi(target, () => act(target));
}

/** Resolves the target, then the execution `text` names in it (resolveExecution), and runs `act` on both. */
export function withExecution<T>(
  options: TargetOptions,
  text: string,
  act: (target: SfnTarget, executionArn: string) => Promise<T>,
): Promise<T> {
  return withTarget(options, async (target) => act(target, await resolveExecution(target, text)));
}

const jobPrefix = (stage: string) => `${SERVICE_NAME}-${stage}-`;

/** The stage's state machines as job name → ARN. */
export async function stageStateMachines(target: SfnTarget): Promise<Map<string, string>> {
  const machines = new Map<string, string>();
  let nextToken: string | undefined;
  do {
    const page = await target.client.send(new ListStateMachinesCommand({ maxResults: 1000, nextToken }));
    for (const machine of page.stateMachines ?? []) {
      if (machine.name?.startsWith(jobPrefix(target.stage)) && machine.stateMachineArn) {
        machines.set(machine.name.slice(jobPrefix(target.stage).length), machine.stateMachineArn);
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return machines;
}

/** The ARN of a job's state machine in the target stage, or a CliError saying it is not deployed there. */
export async function jobStateMachineArn(target: SfnTarget, job: string): Promise<string> {
  const arn = (await stageStateMachines(target)).get(job);
  if (!arn) {
    throw new CliError(
      `${target.description} has no state machine ${jobPrefix(target.stage)}${job}. ${target.kind === 'aws' ? 'Is the job deployed to this stage?' : 'Restart npm start after adding a schedule file.'}`,
    );
  }
  return arn;
}

/** Lists executions of one state machine, newest first, up to `limit`. */
export async function listExecutions(
  target: SfnTarget,
  stateMachineArn: string,
  limit: number,
  statusFilter?: 'RUNNING',
): Promise<ExecutionListItem[]> {
  const executions: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await target.client.send(
      new ListExecutionsCommand({
        stateMachineArn,
        maxResults: Math.min(1000, limit - executions.length),
        nextToken,
        ...(statusFilter ? { statusFilter } : {}),
      }),
    );
    executions.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken && executions.length < limit);
  return executions;
}

/** DescribeExecution calls in flight at once when ps looks for skipped starts (AWS throttles the API). */
const DESCRIBE_CONCURRENCY = 4;

/**
 * The guard decisions of the listed executions that are skipped duplicate starts, by ARN.
 * A skip ends SUCCEEDED with the decision as its output, which ListExecutions does not
 * return, so each SUCCEEDED execution is described (a few at a time).
 */
export async function skippedStarts(
  target: SfnTarget,
  executions: readonly ExecutionListItem[],
): Promise<Map<string, GuardDecision>> {
  const succeeded = executions.flatMap((execution) =>
    execution.status === 'SUCCEEDED' && execution.executionArn ? [execution.executionArn] : [],
  );
  const skipped = new Map<string, GuardDecision>();
  let next = 0;
  const worker = async () => {
    while (next < succeeded.length) {
      const executionArn = succeeded[next++] ?? '';
      const described = await target.client.send(new DescribeExecutionCommand({ executionArn }));
      const decision = skippedStartOf(described.output);
      if (decision) skipped.set(executionArn, decision);
    }
  };
  await Promise.all(Array.from({ length: Math.min(DESCRIBE_CONCURRENCY, succeeded.length) }, worker));
  return skipped;
}

/**
 * The status the CLI shows: SKIPPED for a duplicate start the guard skipped (SUCCEEDED to
 * the API, with the guard's decision as output), else the API's status.
 */
export function shownStatus(status: string | undefined, output: string | undefined): string {
  return status === 'SUCCEEDED' && skippedStartOf(output) ? 'SKIPPED' : (status ?? '?');
}

/**
 * An execution given as an ARN, an exact name, or a unique name prefix. Names are
 * searched in the state machines whose job name the text starts with first, then in all.
 */
export async function resolveExecution(target: SfnTarget, text: string): Promise<string> {
  if (text.startsWith('arn:')) return text;
  const machines = [...(await stageStateMachines(target)).entries()];
  machines.sort(([a], [b]) => Number(text.startsWith(b)) - Number(text.startsWith(a)) || b.length - a.length);
  const matches: ExecutionListItem[] = [];
  for (const [, arn] of machines) {
    for (const execution of await listExecutions(target, arn, 1000)) {
      if (execution.name === text && execution.executionArn) return execution.executionArn;
      if (execution.name?.startsWith(text)) matches.push(execution);
    }
  }
  const [only, ...others] = matches;
  if (only?.executionArn && others.length === 0) return only.executionArn;
  if (matches.length === 0) {
    throw new CliError(
      `no execution named or starting with "${text}" in ${target.description}. See "batchctl ps --all".`,
    );
  }
  const listed = matches
    .slice(0, 10)
    .map((execution) => `  ${execution.name} (${execution.status})`)
    .join('\n');
  throw new CliError(
    `"${text}" matches ${matches.length} executions; give more of the name or the ARN:\n${listed}${matches.length > 10 ? '\n  …' : ''}`,
    EXIT.usage,
  );
}

/** `1h 2m 3s`, from start to stop (or to now while running). */
export function formatDurationBetween(
  start: Date | undefined,
  stop: Date | undefined,
  now = new Date(),
): string {
  if (!start) return '-';
  const totalSeconds = Math.max(0, Math.round(((stop ?? now).getTime() - start.getTime()) / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return [hours ? `${hours}h` : '', minutes ? `${minutes}m` : '', `${seconds}s`].filter(Boolean).join(' ');
}

/** Local wall time `2026-11-21 23:40:05` for tables. */
export function formatLocalTime(date: Date | undefined): string {
  if (!date) return '-';
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
