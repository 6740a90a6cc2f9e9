import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { z } from 'zod';
import { skippedStartOf } from '../../lib/contracts/execution-input.ts';
import { CliError } from '../common.ts';
import {
  listExecutions,
  resolveExecution,
  type SfnTarget,
  shownStatus,
  stageStateMachines,
  type TargetOptions,
  withTarget,
  withTargetOptions,
} from '../sfn-client.ts';
import { describeOutcome } from './run.ts';

const taskLogsSchema = z.object({
  tasks: z.array(
    z.object({
      taskArn: z.string(),
      container: z.string(),
      command: z.array(z.string()).nullish(),
      startedAt: z.string().nullish(),
      stoppedAt: z.string().nullish(),
      exitCode: z.number().nullish(),
      stopCode: z.string().nullish(),
      stoppedReason: z.string().nullish(),
      lines: z.array(z.object({ stream: z.enum(['stdout', 'stderr']), at: z.string(), text: z.string() })),
    }),
  ),
});
type TaskLogs = z.infer<typeof taskLogsSchema>['tasks'][number];

async function fetchTaskLogs(endpoint: string, executionArn: string): Promise<TaskLogs[]> {
  const response = await fetch(`${endpoint}/_local/logs?executionArn=${encodeURIComponent(executionArn)}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message =
      typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : '';
    throw new CliError(
      `the local runtime refused the logs request (${response.status}${message ? `: ${message}` : ''})`,
    );
  }
  const parsed = taskLogsSchema.safeParse(body);
  if (!parsed.success) throw new CliError('the local runtime answered /_local/logs with an unexpected shape');
  return parsed.data.tasks;
}

/** Prints what is new since the last call; remembers per task how much was printed. */
class LogPrinter {
  private printed = new Map<string, { lines: number; ended: boolean }>();

  print(tasks: TaskLogs[]): void {
    for (const task of tasks) {
      let state = this.printed.get(task.taskArn);
      if (!state) {
        state = { lines: 0, ended: false };
        this.printed.set(task.taskArn, state);
        const taskId = task.taskArn.split('/').at(-1) ?? task.taskArn;
        process.stdout.write(
          `=== task ${taskId} (${task.container}: ${(task.command ?? []).join(' ')}) started ${task.startedAt ?? '-'}\n`,
        );
      }
      for (const line of task.lines.slice(state.lines)) {
        const stream = line.stream === 'stderr' ? 'err' : 'out';
        process.stdout.write(`${line.at} ${stream} | ${line.text}\n`);
      }
      state.lines = task.lines.length;
      if (task.stoppedAt && !state.ended) {
        state.ended = true;
        process.stdout.write(
          `=== stopped ${task.stoppedAt}: exit code ${task.exitCode ?? 'none'}${task.stopCode ? `, ${task.stopCode}` : ''}${task.stoppedReason ? ` (${task.stoppedReason})` : ''}\n`,
        );
      }
    }
  }
}

async function executionRunning(target: SfnTarget, executionArn: string): Promise<boolean> {
  const described = await target.client.send(new DescribeExecutionCommand({ executionArn }));
  return described.status === 'RUNNING' || described.status === 'PENDING_REDRIVE';
}

/**
 * The execution `text` names: for a job name, the job's newest execution (so that
 * `logs <job> --follow` works without knowing the generated name); otherwise an ARN,
 * an execution name or a unique prefix of one.
 */
async function resolveLogTarget(target: SfnTarget, text: string): Promise<string> {
  const stateMachineArn = text.startsWith('arn:') ? undefined : (await stageStateMachines(target)).get(text);
  if (stateMachineArn === undefined) return resolveExecution(target, text);
  const executions = await listExecutions(target, stateMachineArn, 1000);
  const newest = executions
    .filter((execution) => execution.executionArn !== undefined)
    .sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0))[0];
  if (newest?.executionArn === undefined) {
    throw new CliError(
      `job ${text} has no executions in ${target.description} yet; start one with "batchctl run ${text}"`,
    );
  }
  const described = await target.client.send(
    new DescribeExecutionCommand({ executionArn: newest.executionArn }),
  );
  process.stdout.write(
    `=== ${newest.name} (${shownStatus(described.status, described.output)}), the newest execution of ${text}\n`,
  );
  return newest.executionArn;
}

export function register(program: Command): void {
  withTargetOptions(
    program
      .command('logs')
      .description("Print an execution's task output (stdout and stderr of each container run)")
      .argument(
        '<execution>',
        'execution ARN, name, a unique name prefix, or a job name (its newest execution)',
      )
      .option('-f, --follow', 'keep printing new output until the execution ends'),
  )
    .addHelpText(
      'after',
      `
Local runtime only. On AWS the task output is in CloudWatch Logs (the task definition's
log group); open the execution in the Step Functions console and follow the task link.

A job name stands for that job's newest execution, running or not.

Examples:
  $ batchctl logs aggregate-record-stats-daily-manual-20261121T120000Z
  $ batchctl logs export-monthly-records --follow`,
    )
    .action(async (execution: string, options: TargetOptions & { follow?: boolean }) => {
      await withTarget(options, async (target) => {
        if (target.kind === 'aws' || target.endpoint === undefined) {
          throw new CliError(
            'batchctl logs reads the local runtime only. On AWS, task output is in CloudWatch Logs: open the execution in the Step Functions console (batchctl ps --stage <name> shows its name) and follow the link of the "Run job task" step.',
          );
        }
        const endpoint = target.endpoint;
        const executionArn = await resolveLogTarget(target, execution);
        const described = await target.client.send(new DescribeExecutionCommand({ executionArn }));
        if (described.status === 'SUCCEEDED' && skippedStartOf(described.output)) {
          process.stdout.write(
            `${describeOutcome(described)}\n  (a skipped start runs no task, so it has no output)\n`,
          );
          return;
        }
        const printer = new LogPrinter();
        for (;;) {
          // Read the status first: output written before the execution ended is then always printed.
          const running = options.follow ? await executionRunning(target, executionArn) : false;
          printer.print(await fetchTaskLogs(endpoint, executionArn));
          if (!running) break;
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      });
    });
}
