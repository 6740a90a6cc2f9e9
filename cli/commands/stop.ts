import { userInfo } from 'node:os';
import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { CliError, EXIT } from '../common.ts';
import { type TargetOptions, withExecution, withTargetOptions } from '../sfn-client.ts';

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
  $ batchctl stop arn:aws:states:ap-northeast-1:123456789012:execution:sfn-batch-prod-export-monthly-records:abc --stage prod

An execution that has already ended is left as it is: batchctl says so, with its status
and end time, and exits 1, so a script notices that it stopped nothing.

Exit codes: 0 stopped, 1 the execution had already ended (or the API failed), 2 usage error.`,
    )
    .action((execution: string, options: TargetOptions) =>
      withExecution(options, execution, async (target, executionArn) => {
        const current = await target.client.send(new DescribeExecutionCommand({ executionArn }));
        if (current.status !== undefined && current.status !== 'RUNNING') {
          const ended = current.stopDate ? ` at ${current.stopDate.toISOString()}` : '';
          throw new CliError(
            `${current.name ?? executionArn} had already ended: ${current.status}${ended}; nothing was stopped`,
            EXIT.problem,
          );
        }
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
      }),
    );
}
