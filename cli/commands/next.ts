import type { Command } from 'commander';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import { plannedRuns, scheduleInWords } from '../../lib/schedule/runs.ts';
import { type SchedulerState, storedRateAnchor } from '../../lib/schedule/scheduler-state.ts';
import { formatInstant } from '../../lib/schedule/time-format.ts';
import {
  CliError,
  EXIT,
  findJob,
  loadCatalogue,
  localSchedulerState,
  parseCount,
  parseInstant,
  renderTable,
} from '../common.ts';

/** Most runs `--before` lists per job: rate(1 minute) over two months. */
const MAX_RUNS_BEFORE = 100_000;

interface NextOptions {
  count?: string;
  after?: string;
  before?: string;
  anchor?: string;
  json?: boolean;
}

/** One job's runs as `--json` prints them. */
interface JobRuns {
  job: string;
  schedule: string;
  timezone: string;
  enabled: boolean;
  runs: string[];
}

export function register(program: Command): void {
  program
    .command('next')
    .description("Show jobs' next run instants in their time zone and in UTC")
    .argument('<job...>', 'job names (the schedule file names without .yml)')
    .option(
      '-n, --count <n>',
      'how many runs to show per job (1-1000; default 5, or every run up to --before)',
    )
    .option('--after <instant>', 'start after this ISO 8601 instant instead of now')
    .option(
      '--before <instant>',
      `list every run before this ISO 8601 instant (at most ${MAX_RUNS_BEFORE} a job)`,
    )
    .option(
      '--anchor <instant>',
      "count rate() runs from this instant instead of the local scheduler's stored anchor (e.g. the --at of npm start --at/--speed)",
    )
    .option(
      '--json',
      'print [{job, schedule, timezone, enabled, runs: [UTC ISO instants]}] instead of tables',
    )
    .addHelpText(
      'after',
      `
Times follow EventBridge Scheduler: a local time that does not exist (DST spring-forward)
is skipped, and a repeated local time (fall-back) runs once. rate() schedules count
from the moment the schedule is created: locally, from the anchor npm start stored in
\${SFN_BATCH_DATA_DIR:-.data}/scheduler.json when it first scheduled the job. Before that
there are no fixed instants yet, and next says so (--anchor gives one).

Examples:
  $ batchctl next export-monthly-records
  $ batchctl next send-closing-reminders-us -n 10
  $ batchctl next purge-deleted-records-uk --after 2027-03-26T00:00:00Z -n 4
  $ batchctl next detect-temperature-excursions analyze-tables --anchor 2027-02-28T12:00:00Z \\
      --after 2027-02-28T11:59:59.999Z --before 2027-03-31T12:00:00Z --json

Exit codes: 0 ok, 1 a job's file is invalid, 2 unknown job or bad option.`,
    )
    .action(async (names: string[], options: NextOptions, command: Command) => {
      const after = options.after === undefined ? new Date() : parseInstant(options.after, '--after');
      const before = options.before === undefined ? undefined : parseInstant(options.before, '--before');
      if (before !== undefined && before.getTime() <= after.getTime()) {
        throw new CliError(
          `--before (${before.toISOString()}) must be later than --after (${after.toISOString()})`,
          EXIT.usage,
        );
      }
      const count =
        options.count !== undefined
          ? parseCount(options.count, '--count', 1000)
          : before !== undefined
            ? MAX_RUNS_BEFORE + 1
            : 5;
      const anchorOption =
        options.anchor === undefined ? undefined : parseInstant(options.anchor, '--anchor');
      const catalogue = await loadCatalogue(command);
      const jobs = names.map((name) => findJob(catalogue, name));
      const state = anchorOption === undefined ? await localSchedulerState() : undefined;
      const blocks: string[] = [];
      const json: JobRuns[] = [];
      for (const job of jobs) {
        const anchor = anchorOption ?? storedRateAnchor(state as SchedulerState, job);
        const planned = plannedRuns(job, after, count, anchor);
        const runs =
          before === undefined
            ? planned.runs
            : planned.runs.filter((run) => run.getTime() < before.getTime());
        if (options.count === undefined && runs.length > MAX_RUNS_BEFORE) {
          throw new CliError(
            `${job.name} has more than ${MAX_RUNS_BEFORE} runs between --after and --before; narrow the range`,
            EXIT.usage,
          );
        }
        if (options.json) {
          if (planned.notAnchored) {
            throw new CliError(
              `${job.name}: no fixed run instants yet: ${planned.notAnchored}. Pass --anchor <instant>.`,
              EXIT.usage,
            );
          }
          json.push({
            job: job.name,
            schedule: job.schedule,
            timezone: job.timezone,
            enabled: job.enabled,
            runs: runs.map((run) => run.toISOString()),
          });
        } else blocks.push(describeRuns(job, runs, planned.notAnchored, after, before, anchor, options));
      }
      process.stdout.write(options.json ? `${JSON.stringify(json, null, 2)}\n` : `${blocks.join('\n\n')}\n`);
    });
}

function describeRuns(
  job: JobSpec,
  runs: Date[],
  notAnchored: string | undefined,
  after: Date,
  before: Date | undefined,
  anchor: Date | undefined,
  options: NextOptions,
): string {
  const lines = [`${job.name}: ${job.schedule} in ${job.timezone} (${scheduleInWords(job.schedule)})`];
  if (!job.enabled) lines.push('Note: enabled is false, so these runs do not happen until it is enabled.');
  if (anchor && options.anchor === undefined)
    lines.push(`Counted from the local scheduler's anchor ${formatInstant(anchor, job.timezone)}.`);
  if (notAnchored)
    lines.push(
      `No fixed run instants yet: ${notAnchored}. The local scheduler has no anchor for this job (npm start has not scheduled it, or its schedule changed since); --anchor <instant> counts from a given one.`,
    );
  else if (runs.length === 0)
    lines.push(
      `No runs after ${after.toISOString()}${before === undefined ? '' : ` and before ${before.toISOString()}`}.`,
    );
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
  return lines.join('\n');
}
