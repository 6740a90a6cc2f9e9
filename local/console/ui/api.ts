/**
 * The console's only ways to the runtime: the Step Functions API (AWS JSON 1.0 on this
 * origin, as any SDK calls it), the read-only job metadata under /_local/console/, and
 * the task logs under /_local/logs.
 * TODO(ECS API): task status (exit code, stop reason, times) should come from the local
 * ECS API (ListTasks/DescribeTasks with startedBy = the execution, StopTask) once it is on
 * main; /_local/logs stays the source of the log lines.
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
export async function sfn<T>(operation: string, body: Record<string, unknown>): Promise<T> {
  const response = await fetch('/', {
    method: 'POST',
    headers: {
      // A non-simple content type: a cross-site form cannot send it (see request-guard.ts).
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `AWSStepFunctions.${operation}`,
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

export interface EffectiveSetting {
  key: string;
  depth: 0 | 1;
  value?: unknown;
  origin: 'job' | 'defaults' | 'built-in';
}

export interface JobSummary {
  name: string;
  description: string;
  owner: { team: string; slackChannel: string };
  runbookUrl: string | null;
  schedule: string;
  scheduleInWords: { en: string; ja: string };
  timezone: string;
  enabled: boolean;
  workflow: string;
  stateMachineArn: string;
  scheduledHere: boolean;
  nextRun: string | null;
  defaultInput: Record<string, unknown>;
}

export interface JobDetail extends JobSummary {
  sourceFile: string;
  settings: EffectiveSetting[];
  nextRuns: string[];
}

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

/**
 * An execution's ECS tasks with their end (exit code, stop code and reason, times) and
 * captured output, from the runtime's /_local/logs. When the local ECS API is on the
 * endpoint, the task fields should come from ListTasks/DescribeTasks as on AWS; only the
 * log lines stay here (CloudWatch Logs' part).
 */
export async function executionTasks(executionArn: string): Promise<TaskLog[]> {
  const logs = await getJson<{ tasks: TaskLog[] }>(
    `/_local/logs?executionArn=${encodeURIComponent(executionArn)}`,
  );
  return logs.tasks;
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
