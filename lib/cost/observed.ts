/**
 * What past runs say about a job: the Fargate task durations, provisioning retries and
 * log volume of each run. From the local execution store (what `npm start` ran), or from
 * the deployed stage's execution histories through the AWS SDK.
 */
import {
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';

/** One finished run as far as cost is concerned. */
export interface ObservedRun {
  executionArn: string;
  status: string;
  /** Wall-clock seconds of each Fargate task that ran (provisioning failures excluded). */
  taskSeconds: number[];
  /** Task starts that failed to provision and were retried or given up. */
  provisioningFailures: number;
  /** Bytes the tasks wrote to stdout/stderr (what the awslogs driver would ingest); undefined when unknown. */
  logBytes: number | undefined;
}

/** Where a figure came from, shown next to it in every output. */
export type FigureSource = 'local' | 'stage' | 'api' | 'declared' | 'none';

const PROVISIONING =
  /TaskFailedToStart|SpotInterruption|ResourceInitializationError|CannotPullContainerError|network interface provision/;

/** The task record the local store keeps per ECS task (the fields used here). */
export interface LocalTaskRecord {
  createdAt: string;
  startedAt?: string | undefined;
  stoppedAt?: string | undefined;
  stopCode?: string | undefined;
  stoppedReason?: string | undefined;
  exitCode?: number | undefined;
  lines: Array<{ text: string }>;
}

/** A run from the local store's task records. */
export function observeLocalRun(executionArn: string, status: string, tasks: LocalTaskRecord[]): ObservedRun {
  const taskSeconds: number[] = [];
  let provisioningFailures = 0;
  let logBytes = 0;
  for (const task of tasks) {
    for (const line of task.lines) logBytes += Buffer.byteLength(line.text, 'utf8') + 1;
    const failedToStart =
      PROVISIONING.test(`${task.stopCode ?? ''} ${task.stoppedReason ?? ''}`) && task.exitCode === undefined;
    if (failedToStart) {
      provisioningFailures++;
      continue;
    }
    if (task.stoppedAt === undefined) continue;
    taskSeconds.push((Date.parse(task.stoppedAt) - Date.parse(task.createdAt)) / 1000);
  }
  return { executionArn, status, taskSeconds, provisioningFailures, logBytes };
}

function eventSeconds(event: HistoryEvent): number {
  return (event.timestamp?.getTime() ?? 0) / 1000;
}

function instantMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

/**
 * Billed seconds of a task from its description, which runTask.sync puts in the
 * TaskSucceeded output and the TaskFailed cause: Fargate bills from the image pull
 * (PullStartedAt, else CreatedAt) to StoppedAt.
 */
function secondsFromTaskDescription(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  let task: unknown;
  try {
    task = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (task === null || typeof task !== 'object') return undefined;
  const fields = task as Record<string, unknown>;
  const from = instantMs(fields.PullStartedAt) ?? instantMs(fields.CreatedAt);
  const to = instantMs(fields.StoppedAt);
  return from === undefined || to === undefined || to < from ? undefined : (to - from) / 1000;
}

/**
 * A run from its Step Functions history. Each ECS task's time comes from the task
 * description in its TaskSucceeded/TaskFailed event; failing that, from its TaskScheduled,
 * found by walking `previousEventId` back (Map iterations interleave, so neighbouring
 * events are not enough).
 */
export function observeHistory(executionArn: string, status: string, events: HistoryEvent[]): ObservedRun {
  const byId = new Map<number, HistoryEvent>();
  for (const event of events) if (event.id !== undefined) byId.set(event.id, event);
  const taskSeconds: number[] = [];
  let provisioningFailures = 0;
  for (const event of events) {
    const details =
      event.taskSucceededEventDetails ?? event.taskFailedEventDetails ?? event.taskTimedOutEventDetails;
    if (details?.resourceType !== 'ecs') continue;
    if (event.type === 'TaskFailed' && PROVISIONING.test(event.taskFailedEventDetails?.cause ?? '')) {
      provisioningFailures++;
      continue;
    }
    const described = secondsFromTaskDescription(
      event.taskSucceededEventDetails?.output ?? event.taskFailedEventDetails?.cause,
    );
    if (described !== undefined) {
      taskSeconds.push(described);
      continue;
    }
    let cursor: HistoryEvent | undefined = event;
    for (let steps = 0; cursor !== undefined && cursor.type !== 'TaskScheduled' && steps < 10; steps++) {
      cursor = cursor.previousEventId === undefined ? undefined : byId.get(cursor.previousEventId);
    }
    if (cursor?.type === 'TaskScheduled') taskSeconds.push(eventSeconds(event) - eventSeconds(cursor));
  }
  return { executionArn, status, taskSeconds, provisioningFailures, logBytes: undefined };
}

/** The last `limit` finished executions of a deployed state machine, with their histories. */
export async function observeStageRuns(
  client: SFNClient,
  stateMachineArn: string,
  limit: number,
): Promise<ObservedRun[]> {
  const finished: Array<{ executionArn: string; status: string }> = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListExecutionsCommand({ stateMachineArn, maxResults: 100, nextToken }),
    );
    for (const item of page.executions ?? []) {
      if (item.status !== 'RUNNING' && item.executionArn !== undefined && item.status !== undefined) {
        finished.push({ executionArn: item.executionArn, status: item.status });
      }
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined && finished.length < limit);
  const runs: ObservedRun[] = [];
  for (const execution of finished.slice(0, limit)) {
    const events: HistoryEvent[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new GetExecutionHistoryCommand({
          executionArn: execution.executionArn,
          maxResults: 1000,
          nextToken: token,
        }),
      );
      events.push(...(page.events ?? []));
      token = page.nextToken;
    } while (token !== undefined);
    runs.push(observeHistory(execution.executionArn, execution.status, events));
  }
  return runs;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
