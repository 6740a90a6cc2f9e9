/**
 * The console's only ways to the runtime: the Step Functions API (AWS JSON 1.0 on this
 * origin, as any SDK calls it), the ECS API (AWS JSON 1.1, same origin) for task status
 * and StopTask, the read-only job metadata under /_local/console/, and the task logs
 * under /_local/logs (CloudWatch Logs' part).
 */

export class ApiError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.type = type;
    this.status = status;
  }
}

/** One Step Functions API call: `POST /` with `X-Amz-Target: AWSStepFunctions.<operation>`. */
export function sfn<T>(operation: string, body: Record<string, unknown>): Promise<T> {
  return awsJson('AWSStepFunctions', '1.0', operation, body);
}

/** One ECS API call, as the SDK makes it (JSON 1.1, `AmazonEC2ContainerServiceV20141113.<operation>`). */
export function ecs<T>(operation: string, body: Record<string, unknown>): Promise<T> {
  return awsJson('AmazonEC2ContainerServiceV20141113', '1.1', operation, body);
}

async function awsJson<T>(
  targetPrefix: string,
  jsonVersion: '1.0' | '1.1',
  operation: string,
  body: Record<string, unknown>,
): Promise<T> {
  const response = await fetch('/', {
    method: 'POST',
    headers: {
      // A non-simple content type: a cross-site form cannot send it (see request-guard.ts).
      'Content-Type': `application/x-amz-json-${jsonVersion}`,
      'X-Amz-Target': `${targetPrefix}.${operation}`,
    },
    body: JSON.stringify(body),
  });
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const type = String(data.__type ?? response.headers.get('x-amzn-ErrorType') ?? 'Error').replace(
      /^.*#/,
      '',
    );
    throw new ApiError(type, String(data.message ?? data.Message ?? response.statusText), response.status);
  }
  return data as T;
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) throw new ApiError('Error', String(data.message ?? response.statusText), response.status);
  return data as T;
}

export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) throw new ApiError('Error', String(data.message ?? response.statusText), response.status);
  return data as T;
}

export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE';

export interface ExecutionListItem {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  redriveCount?: number;
}

export interface DescribedExecution extends ExecutionListItem {
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  redriveStatus?: string;
  redriveStatusReason?: string;
}

export interface HistoryEvent {
  id: number;
  previousEventId?: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

export interface TaskLog {
  taskArn: string;
  container: string;
  command: string[];
  startedAt: string | null;
  stoppedAt: string | null;
  exitCode: number | null;
  stopCode: string | null;
  stoppedReason: string | null;
  lines: { stream: 'stdout' | 'stderr'; at: string; text: string }[];
}

import type { JobSummary } from './job-shapes.ts';

export type { EffectiveSettingRow as EffectiveSetting, JobDetail, JobSummary } from './job-shapes.ts';

let jobsCache: Promise<JobSummary[]> | undefined;

/** The job catalogue does not change while the runtime runs: read it once per page load. */
export function loadJobs(): Promise<JobSummary[]> {
  jobsCache ??= getJson<{ jobs: JobSummary[] }>('/_local/console/jobs').then((data) => data.jobs);
  return jobsCache;
}

/** Job name of a state machine (`sfn-batch-<stage>-<job>`) from the catalogue. */
export function jobOfStateMachine(jobs: readonly JobSummary[], stateMachineArn: string): string {
  return (
    jobs.find((job) => job.stateMachineArn === stateMachineArn)?.name ??
    stateMachineArn.split(':').at(-1) ??
    ''
  );
}

/** A task as the ECS API's DescribeTasks returns it (the members the console reads; times in epoch seconds). */
export interface EcsTask {
  taskArn: string;
  clusterArn?: string;
  lastStatus?: string;
  desiredStatus?: string;
  stopCode?: string;
  stoppedReason?: string;
  createdAt?: number;
  startedAt?: number;
  stoppedAt?: number;
  containers?: { exitCode?: number; reason?: string }[];
  overrides?: { containerOverrides?: { environment?: { name?: string; value?: string }[] }[] };
}

/** An execution's task: status from the ECS API while it lists the task, else from the runtime's task record. */
export interface ExecutionTask extends TaskLog {
  /** PROVISIONING, RUNNING, STOPPING or STOPPED; UNKNOWN for a record of an earlier npm start without an end. */
  lastStatus: string;
  /** Where status, exit code, reason and times came from. */
  source: 'ecs' | 'record';
}

/** The environment variable the workflows pass ContainerTaskInput in (lib/contracts TASK_INPUT_ENV). */
const TASK_INPUT_ENV = 'SFN_BATCH_INPUT';
const ECS_PAGE = 100;

/** `arn:aws:ecs:<region>:<account>:task/<cluster>/<id>` → the cluster's name. */
function clusterOfTask(taskArn: string): string | undefined {
  return /:task\/([^/]+)\/[^/]+$/.exec(taskArn)?.[1];
}

/** The execution a task ran for, from the ContainerTaskInput in its environment (as `batchctl tasks` reads it). */
function executionOfTask(task: EcsTask): string | undefined {
  const environment = task.overrides?.containerOverrides?.flatMap((item) => item.environment ?? []) ?? [];
  const text = environment.find((variable) => variable.name === TASK_INPUT_ENV)?.value;
  try {
    const input = JSON.parse(text ?? 'null') as { executionArn?: unknown } | null;
    return typeof input?.executionArn === 'string' ? input.executionArn : undefined;
  } catch {
    return undefined;
  }
}

async function listTaskArns(cluster: string, desiredStatus: 'RUNNING' | 'STOPPED'): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page: { taskArns?: string[]; nextToken?: string } = await ecs('ListTasks', {
      cluster,
      desiredStatus,
      maxResults: ECS_PAGE,
      ...(nextToken === undefined ? {} : { nextToken }),
    });
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return arns;
}

/**
 * The execution's tasks that ECS still lists (running, and stopped within about an hour
 * of this runtime process), by task ARN: ListTasks per cluster, then DescribeTasks of
 * those among `wanted`, kept only when their SFN_BATCH_INPUT names this execution.
 */
export async function ecsTasksOf(
  executionArn: string,
  wanted: readonly string[],
): Promise<Map<string, EcsTask>> {
  const found = new Map<string, EcsTask>();
  const clusters = new Set(wanted.map(clusterOfTask).filter((name) => name !== undefined));
  for (const cluster of clusters) {
    let listed: Set<string>;
    try {
      listed = new Set([
        ...(await listTaskArns(cluster, 'RUNNING')),
        ...(await listTaskArns(cluster, 'STOPPED')),
      ]);
    } catch (error) {
      // A cluster of another stage's runtime: ECS knows none of its tasks, their records stand.
      if (error instanceof ApiError && error.type === 'ClusterNotFoundException') continue;
      throw error;
    }
    const arns = wanted.filter((arn) => listed.has(arn));
    for (let start = 0; start < arns.length; start += ECS_PAGE) {
      const described: { tasks?: EcsTask[] } = await ecs('DescribeTasks', {
        cluster,
        tasks: arns.slice(start, start + ECS_PAGE),
      });
      for (const task of described.tasks ?? []) {
        if (executionOfTask(task) === executionArn) found.set(task.taskArn, task);
      }
    }
  }
  return found;
}

function isoOfSeconds(seconds: number | undefined): string | null {
  return seconds === undefined ? null : new Date(seconds * 1000).toISOString();
}

/** The record's task with status, exit code, stop code and reason, and times from the ECS API's task. */
export function withEcsStatus(record: TaskLog, task: EcsTask | undefined): ExecutionTask {
  if (task === undefined) {
    // ECS lists every task of this runtime process until an hour after it stops: a record
    // without an end is from an earlier npm start that exited while the task ran.
    return { ...record, lastStatus: record.stoppedAt !== null ? 'STOPPED' : 'UNKNOWN', source: 'record' };
  }
  const container = task.containers?.[0];
  return {
    ...record,
    lastStatus: task.lastStatus ?? 'UNKNOWN',
    source: 'ecs',
    exitCode: container?.exitCode ?? null,
    stopCode: task.stopCode ?? null,
    stoppedReason: task.stoppedReason ?? container?.reason ?? null,
    startedAt: isoOfSeconds(task.startedAt),
    stoppedAt: isoOfSeconds(task.stoppedAt),
  };
}

/**
 * An execution's ECS tasks: the task list and log lines from the runtime's /_local/logs,
 * status from the ECS API (ListTasks + DescribeTasks, as on AWS). Tasks ECS no longer
 * lists (stopped over an hour ago, or by an earlier npm start) keep the runtime's record.
 */
export async function executionTasks(executionArn: string): Promise<ExecutionTask[]> {
  const logs = await getJson<{ tasks: TaskLog[] }>(
    `/_local/logs?executionArn=${encodeURIComponent(executionArn)}`,
  );
  const fromEcs = await ecsTasksOf(
    executionArn,
    logs.tasks.map((task) => task.taskArn),
  );
  return logs.tasks.map((task) => withEcsStatus(task, fromEcs.get(task.taskArn)));
}

/** StopTask, as `aws ecs stop-task` sends it: the task gets SIGTERM, then SIGKILL after its stop timeout. */
export async function stopTask(taskArn: string, reason: string): Promise<void> {
  const cluster = clusterOfTask(taskArn);
  await ecs('StopTask', { ...(cluster === undefined ? {} : { cluster }), task: taskArn, reason });
}

/** All of an execution's history (1,000 events per call). */
export async function fullHistory(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page: { events: HistoryEvent[]; nextToken?: string } = await sfn('GetExecutionHistory', {
      executionArn,
      maxResults: 1000,
      ...(nextToken === undefined ? {} : { nextToken }),
    });
    events.push(...page.events);
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return events;
}
