import { userInfo } from 'node:os';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import {
  describeApiError,
  resolveExecution,
  resolveTarget,
  type TargetOptions,
  withTargetOptions,
} from '../sfn-client.ts';

export function register(program: Command): void {
  withTargetOptions(
    program
      .command('stop')
      .description('Stop a running execution (its task gets SIGTERM, then SIGKILL after the stop timeout)')
      .argument('<execution>', 'execution ARN, name, or a unique name prefix'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ batchctl stop export-monthly-records-manual-20261121T120000Z
  $ batchctl stop arn:aws:states:ap-northeast-1:123456789012:execution:sfn-batch-prod-export-monthly-records:abc --stage prod`,
    )
    .action(async (execution: string, options: TargetOptions) => {
      const target = await resolveTarget(options);
      try {
        const executionArn = await resolveExecution(target, execution);
        const stopped = await target.client.send(
          new StopExecutionCommand({
            executionArn,
            error: 'StoppedByOperator',
            cause: `Stopped with batchctl by ${userInfo().username}`,
          }),
        );
        process.stdout.write(
          `stopped ${executionArn}${stopped.stopDate ? ` at ${stopped.stopDate.toISOString()}` : ''}\n`,
        );
      } catch (error) {
        throw describeApiError(error, target);
      }
    });
}
