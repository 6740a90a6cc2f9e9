import { RedriveExecutionCommand } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { assertRedriveDoesNotOverlap, RedriveOverlapError } from '../../lib/workflows/redrive-guard.ts';
import { CliError, EXIT } from '../common.ts';
import { type TargetOptions, withExecution, withTargetOptions } from '../sfn-client.ts';

export function register(program: Command): void {
  withTargetOptions(
    program
      .command('redrive')
      .description(
        'Rerun a FAILED, TIMED_OUT or ABORTED execution from the state that failed (within 14 days)',
      )
      .argument('<execution>', 'execution ARN, name, or a unique name prefix')
      .option('--force', 'redrive even while another execution of the same job is RUNNING'),
  )
    .addHelpText(
      'after',
      `
The redriven execution keeps its name and input; an export converts only what is not done.
A redrive resumes after the duplicate-start guard (as on AWS), so batchctl first checks for a
RUNNING execution of the same job and refuses, naming it, unless --force is given.

Examples:
  $ batchctl redrive export-monthly-records-20261130T1500Z
  $ batchctl ps --all --job export-monthly-records`,
    )
    .action((execution: string, options: TargetOptions & { force?: boolean }) =>
      withExecution(options, execution, async (target, executionArn) => {
        if (options.force !== true) {
          try {
            await assertRedriveDoesNotOverlap(target.client, executionArn);
          } catch (error) {
            if (error instanceof RedriveOverlapError) throw new CliError(error.message, EXIT.problem);
            throw error;
          }
        }
        const redriven = await target.client.send(new RedriveExecutionCommand({ executionArn }));
        process.stdout.write(
          `redriven ${executionArn}${redriven.redriveDate ? ` at ${redriven.redriveDate.toISOString()}` : ''}\n(follow it with: batchctl logs ${executionArn.split(':').at(-1) ?? executionArn} --follow)\n`,
        );
      }),
    );
}
