import type { ExecutionListItem } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { CliError, EXIT, renderTable, unknownJobMessage } from '../common.ts';
import {
  describeApiError,
  formatDurationBetween,
  formatLocalTime,
  listExecutions,
  resolveTarget,
  stageStateMachines,
  type TargetOptions,
  withTargetOptions,
} from '../sfn-client.ts';

/** Finished executions shown next to the running ones without --all. */
const RECENT_COUNT = 20;

interface Row {
  job: string;
  execution: ExecutionListItem;
}

export function register(program: Command): void {
  withTargetOptions(
    program
      .command('ps')
      .description('List running executions and the most recent finished ones')
      .option('--all', 'list every execution (newest first), not just running and recent')
      .option('--job <job>', 'only this job'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ batchctl ps
  $ batchctl ps --all --job export-monthly-records
  $ batchctl ps --stage prod`,
    )
    .action(async (options: TargetOptions & { all?: boolean; job?: string }) => {
      const target = await resolveTarget(options);
      try {
        let machines = [...(await stageStateMachines(target)).entries()];
        if (options.job !== undefined) {
          const deployed = machines.map(([job]) => job);
          machines = machines.filter(([job]) => job === options.job);
          if (machines.length === 0) {
            throw new CliError(
              unknownJobMessage(options.job, deployed, ` in ${target.description}`),
              EXIT.usage,
            );
          }
        }
        const rows: Row[] = [];
        for (const [job, arn] of machines) {
          const executions = options.all
            ? await listExecutions(target, arn, Number.POSITIVE_INFINITY)
            : await listExecutions(target, arn, RECENT_COUNT);
          for (const execution of executions) rows.push({ job, execution });
        }
        rows.sort(
          (a, b) => (b.execution.startDate?.getTime() ?? 0) - (a.execution.startDate?.getTime() ?? 0),
        );
        const running = rows.filter((row) => row.execution.status === 'RUNNING');
        const finished = rows.filter((row) => row.execution.status !== 'RUNNING');
        const shown = options.all ? rows : [...running, ...finished.slice(0, RECENT_COUNT)];
        if (shown.length === 0) {
          process.stdout.write(
            `no executions in ${target.description}${options.job ? ` for ${options.job}` : ''}\n`,
          );
          return;
        }
        const now = new Date();
        process.stdout.write(
          `${renderTable(
            ['STATUS', 'JOB', 'STARTED', 'DURATION', 'EXECUTION'],
            shown.map(({ job, execution }) => [
              execution.status ?? '?',
              job,
              formatLocalTime(execution.startDate),
              formatDurationBetween(execution.startDate, execution.stopDate, now),
              execution.name ?? '?',
            ]),
          )}\n`,
        );
        if (!options.all && finished.length > RECENT_COUNT) {
          process.stdout.write(
            `(${finished.length - RECENT_COUNT} older finished executions not shown; use --all)\n`,
          );
        }
      } catch (error) {
        throw describeApiError(error, target);
      }
    });
}
