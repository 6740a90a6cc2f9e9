import { StopTaskCommand } from '@aws-sdk/client-ecs';
import type { Command } from 'commander';
import {
  ecsClientFor,
  stageCluster,
  type TargetOptions,
  withTarget,
  withTargetOptions,
} from '../sfn-client.ts';
import { taskRow } from './tasks.ts';

const DEFAULT_REASON = 'Stopped with batchctl stop-task';

export function register(program: Command): void {
  withTargetOptions(
    program
      .command('stop-task')
      .description('Stop one ECS task, as ECS StopTask does (SIGTERM, then SIGKILL after the stop timeout)')
      .argument('<task>', 'task ID or ARN (see "batchctl tasks")')
      .option(
        '--reason <text>',
        'the stopped reason recorded on the task (up to 255 characters)',
        DEFAULT_REASON,
      ),
  )
    .addHelpText(
      'after',
      `
The task stops with stop code UserInitiated and your reason; the Step Functions execution
that ran it then fails as the job's own failure (States.TaskFailed), as on AWS.

Examples:
  $ batchctl stop-task 0f3c9a2e4b6d4e0f9a1b2c3d4e5f6a7b
  $ batchctl stop-task 0f3c9a2e4b6d4e0f9a1b2c3d4e5f6a7b --reason "stuck on a lock" --stage prod`,
    )
    .action(async (task: string, options: TargetOptions & { reason: string }) => {
      await withTarget(options, async (target) => {
        const cluster = stageCluster(target);
        const stopped = await ecsClientFor(target).send(
          new StopTaskCommand({ cluster, task, reason: options.reason }),
        );
        const row = stopped.task === undefined ? undefined : taskRow(stopped.task);
        process.stdout.write(
          `stopping ${row?.taskId ?? task} (job ${row?.job ?? '-'}, execution ${row?.execution ?? '-'}): desired status ${stopped.task?.desiredStatus ?? 'STOPPED'}, last status ${row?.status ?? '?'}\n`,
        );
      });
    });
}
