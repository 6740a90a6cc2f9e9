import type { ExecutionListItem } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { CliError, EXIT, renderTable, unknownJobMessage } from '../common.ts';
import {
  formatDurationBetween,
  formatLocalTime,
  listExecutions,
  skippedStarts,
  stageStateMachines,
  type TargetOptions,
  withTarget,
  withTargetOptions,
} from '../sfn-client.ts';

/** This machine's zone: ps prints start times in it, each with its offset so it can be compared. */
const LOCAL_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** `2026-11-21 23:40:05 +09:00`: local wall time with its UTC offset (which changes with DST). */
function formatStarted(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const hours = String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0');
  const rest = String(Math.abs(minutes) % 60).padStart(2, '0');
  return `${formatLocalTime(date)} ${minutes < 0 ? '-' : '+'}${hours}:${rest}`;
}

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
      await withTarget(options, async (target) => {
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
        const skipped = await skippedStarts(
          target,
          shown.map(({ execution }) => execution),
        );
        const now = new Date();
        process.stdout.write(
          `${renderTable(
            ['STATUS', 'JOB', `STARTED (${LOCAL_ZONE})`, 'DURATION', 'EXECUTION'],
            shown.map(({ job, execution }) => [
              skipped.has(execution.executionArn ?? '') ? 'SKIPPED' : (execution.status ?? '?'),
              job,
              execution.startDate ? formatStarted(execution.startDate) : '-',
              formatDurationBetween(execution.startDate, execution.stopDate, now),
              execution.name ?? '?',
            ]),
          )}\n`,
        );
        if (skipped.size > 0) {
          process.stdout.write(
            'SKIPPED: a duplicate start the guard skipped while another execution of the job ran (SUCCEEDED in the Step Functions API; "batchctl logs <execution>" names the one it waited for)\n',
          );
        }
        if (!options.all && finished.length > RECENT_COUNT) {
          process.stdout.write(
            `(${finished.length - RECENT_COUNT} older finished executions not shown; use --all)\n`,
          );
        }
      });
    });
}
