import { DescribeTasksCommand, type ECSClient, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import type { Command } from 'commander';
import { type ContainerTaskInput, TASK_INPUT_ENV } from '../../lib/contracts/execution-input.ts';
import { renderTable } from '../common.ts';
import {
  ecsClientFor,
  formatDurationBetween,
  formatLocalTime,
  stageCluster,
  type TargetOptions,
  withTarget,
  withTargetOptions,
} from '../sfn-client.ts';

/** Stopped tasks shown next to the running ones without --all. */
const RECENT_STOPPED = 20;
const DESCRIBE_BATCH = 100;

/** One task as `batchctl tasks` shows it. */
export interface TaskRow {
  taskId: string;
  job: string;
  execution: string;
  status: string;
  stopCode: string;
  reason: string;
  exitCode: string;
  createdAt: Date | undefined;
  startedAt: Date | undefined;
  stoppedAt: Date | undefined;
}

/**
 * The job and execution a task ran for: the `job` tag the workflow puts on its tasks,
 * else the ContainerTaskInput the workflow passes in SFN_BATCH_INPUT (both on AWS and locally).
 */
function origin(task: Task): { job: string; execution: string } {
  const environment =
    task.overrides?.containerOverrides?.flatMap((override) => override.environment ?? []) ?? [];
  const inputText = environment.find((variable) => variable.name === TASK_INPUT_ENV)?.value;
  let input: Partial<ContainerTaskInput> = {};
  try {
    input = inputText === undefined ? {} : (JSON.parse(inputText) as Partial<ContainerTaskInput>);
  } catch {
    // A task started by something else: no input to read.
  }
  const tag = task.tags?.find((item) => item.key === 'job')?.value;
  return {
    job: tag ?? (typeof input.job === 'string' ? input.job : '-'),
    execution: typeof input.executionArn === 'string' ? (input.executionArn.split(':').pop() ?? '-') : '-',
  };
}

export function taskRow(task: Task): TaskRow {
  const { job, execution } = origin(task);
  const exitCode = task.containers?.[0]?.exitCode;
  return {
    taskId: task.taskArn?.split('/').pop() ?? '?',
    job,
    execution,
    status: task.lastStatus ?? '?',
    stopCode: task.stopCode ?? '-',
    reason: task.stoppedReason ?? task.containers?.[0]?.reason ?? '-',
    exitCode: exitCode === undefined ? '-' : String(exitCode),
    createdAt: task.createdAt,
    startedAt: task.startedAt,
    stoppedAt: task.stoppedAt,
  };
}

async function listArns(
  ecs: ECSClient,
  cluster: string,
  desiredStatus: 'RUNNING' | 'STOPPED',
): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListTasksCommand({ cluster, desiredStatus, maxResults: 100, nextToken }));
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
}

/** Running and stopped tasks of the cluster (ECS lists stopped tasks for about an hour), newest first. */
export async function clusterTasks(ecs: ECSClient, cluster: string): Promise<TaskRow[]> {
  const arns = [...(await listArns(ecs, cluster, 'RUNNING')), ...(await listArns(ecs, cluster, 'STOPPED'))];
  const rows: TaskRow[] = [];
  for (let start = 0; start < arns.length; start += DESCRIBE_BATCH) {
    const described = await ecs.send(
      new DescribeTasksCommand({
        cluster,
        tasks: arns.slice(start, start + DESCRIBE_BATCH),
        include: ['TAGS'],
      }),
    );
    rows.push(...(described.tasks ?? []).map(taskRow));
  }
  return rows.sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
}

function shorten(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

export function renderTasks(rows: TaskRow[], now: Date): string {
  return renderTable(
    ['STATUS', 'JOB', 'EXECUTION', 'STARTED', 'DURATION', 'EXIT', 'STOP CODE', 'REASON', 'TASK'],
    rows.map((row) => [
      row.status,
      row.job,
      row.execution,
      formatLocalTime(row.startedAt ?? row.createdAt),
      formatDurationBetween(row.startedAt ?? row.createdAt, row.stoppedAt, now),
      row.exitCode,
      row.stopCode,
      shorten(row.reason, 60),
      row.taskId,
    ]),
  );
}

export function register(program: Command): void {
  withTargetOptions(
    program
      .command('tasks')
      .description("List the ECS tasks of the stage's cluster: running ones and the most recently stopped")
      .option('--all', 'every stopped task ECS still lists (about an hour), not just the 20 most recent')
      .option('--job <job>', 'only this job'),
  )
    .addHelpText(
      'after',
      `
Shows job, execution, status, exit code, stop code and reason, and duration. Locally the
tasks are those of npm start; with --stage, the Fargate tasks of cluster sfn-batch-<stage>.

Examples:
  $ batchctl tasks
  $ batchctl tasks --job export-monthly-records --all
  $ batchctl tasks --stage prod`,
    )
    .action(async (options: TargetOptions & { all?: boolean; job?: string }) => {
      await withTarget(options, async (target) => {
        const cluster = stageCluster(target);
        let rows = await clusterTasks(ecsClientFor(target), cluster);
        if (options.job !== undefined) rows = rows.filter((row) => row.job === options.job);
        const running = rows.filter((row) => row.stoppedAt === undefined);
        const stopped = rows.filter((row) => row.stoppedAt !== undefined);
        const shown = options.all ? rows : [...running, ...stopped.slice(0, RECENT_STOPPED)];
        if (shown.length === 0) {
          process.stdout.write(
            `no tasks in cluster ${cluster} of ${target.description}${options.job ? ` for ${options.job}` : ''} (ECS lists a stopped task for about an hour; npm start --speed shortens that hour, down to a minute). An execution's task logs stay readable: batchctl logs <execution>\n`,
          );
          return;
        }
        process.stdout.write(`${renderTasks(shown, new Date())}\n`);
        if (!options.all && stopped.length > RECENT_STOPPED) {
          process.stdout.write(
            `(${stopped.length - RECENT_STOPPED} older stopped tasks not shown; use --all)\n`,
          );
        }
      });
    });
}
