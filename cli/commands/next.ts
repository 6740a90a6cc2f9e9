import type { Command } from 'commander';
import { plannedRuns, scheduleInWords } from '../../lib/schedule/runs.ts';
import { storedRateAnchor } from '../../lib/schedule/scheduler-state.ts';
import { formatInstant } from '../../lib/schedule/time-format.ts';
import {
  findJob,
  loadCatalogue,
  localSchedulerState,
  parseCount,
  parseInstant,
  renderTable,
} from '../common.ts';

export function register(program: Command): void {
  program
    .command('next')
    .description("Show a job's next run instants in its time zone and in UTC")
    .argument('<job>', 'job name (the schedule file name without .yml)')
    .option('-n, --count <n>', 'how many runs to show (1-1000)', '5')
    .option('--after <instant>', 'start after this ISO 8601 instant instead of now')
    .addHelpText(
      'after',
      `
Times follow EventBridge Scheduler: a local time that does not exist (DST spring-forward)
is skipped, and a repeated local time (fall-back) runs once. rate() schedules count
from the moment the schedule is created: locally, from the anchor npm start stored in
\${SFN_BATCH_DATA_DIR:-.data}/scheduler.json when it first scheduled the job. Before that
there are no fixed instants yet, and next says so.

Examples:
  $ batchctl next export-monthly-records
  $ batchctl next send-closing-reminders-us -n 10
  $ batchctl next purge-deleted-records-uk --after 2027-03-26T00:00:00Z -n 4

Exit codes: 0 ok, 1 the job's file is invalid, 2 unknown job or bad option.`,
    )
    .action(async (name: string, options: { count: string; after?: string }, command: Command) => {
      const count = parseCount(options.count, '--count', 1000);
      const after = options.after === undefined ? new Date() : parseInstant(options.after, '--after');
      const job = findJob(await loadCatalogue(command), name);
      const anchor = storedRateAnchor(await localSchedulerState(), job);
      const { runs, notAnchored } = plannedRuns(job, after, count, anchor);
      const lines = [`${job.name}: ${job.schedule} in ${job.timezone} (${scheduleInWords(job.schedule)})`];
      if (!job.enabled)
        lines.push('Note: enabled is false, so these runs do not happen until it is enabled.');
      if (anchor)
        lines.push(`Counted from the local scheduler's anchor ${formatInstant(anchor, job.timezone)}.`);
      if (notAnchored)
        lines.push(
          `No fixed run instants yet: ${notAnchored}. The local scheduler has no anchor for this job (npm start has not scheduled it, or its schedule changed since).`,
        );
      else if (runs.length === 0) lines.push(`No runs after ${after.toISOString()}.`);
      else {
        lines.push(
          renderTable(
            ['#', job.timezone, 'UTC'],
            runs.map((run, index) => [
              String(index + 1),
              formatInstant(run, job.timezone),
              formatInstant(run, 'UTC', { offset: false }),
            ]),
          ),
        );
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
