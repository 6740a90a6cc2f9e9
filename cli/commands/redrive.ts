import { RedriveExecutionCommand } from '@aws-sdk/client-sfn';
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
      .command('redrive')
      .description(
        'Rerun a FAILED, TIMED_OUT or ABORTED execution from the state that failed (within 14 days)',
      )
      .argument('<execution>', 'execution ARN, name, or a unique name prefix'),
  )
    .addHelpText(
      'after',
      `
The redriven execution keeps its name and input; an export converts only what is not done.

Examples:
  $ batchctl redrive export-monthly-records-20261130T1500Z
  $ batchctl ps --all --job export-monthly-records`,
    )
    .action(async (execution: string, options: TargetOptions) => {
      const target = await resolveTarget(options);
      try {
        const executionArn = await resolveExecution(target, execution);
        const redriven = await target.client.send(new RedriveExecutionCommand({ executionArn }));
        process.stdout.write(
          `redriven ${executionArn}${redriven.redriveDate ? ` at ${redriven.redriveDate.toISOString()}` : ''}\n(follow it with: batchctl logs ${executionArn.split(':').at(-1) ?? executionArn} --follow)\n`,
        );
      } catch (error) {
        throw describeApiError(error, target);
      }
    });
}
