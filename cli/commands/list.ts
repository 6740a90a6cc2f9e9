import { type Command, Option } from 'commander';
import type { DescriptionLanguage } from '../../lib/cron/index.ts';
import { plannedRuns, scheduleInWords } from '../../lib/schedule/runs.ts';
import { storedRateAnchor } from '../../lib/schedule/scheduler-state.ts';
import { formatInstant } from '../../lib/schedule/time-format.ts';
import {
  loadCatalogue,
  localSchedulerState,
  parseInstant,
  renderTable,
  reportProblemsAfterOutput,
} from '../common.ts';

/** The table's own words in each language (job names, zones and instants stay as they are). */
const TABLE_LABELS: Record<DescriptionLanguage, { header: string[]; yes: string; no: string }> = {
  en: { header: ['JOB', 'SCHEDULE', 'ZONE', 'ENABLED', 'NEXT RUN (job zone)'], yes: 'yes', no: 'no' },
  ja: {
    header: ['ジョブ', 'スケジュール', 'タイムゾーン', '有効', '次回実行 (ジョブのタイムゾーン)'],
    yes: 'はい',
    no: 'いいえ',
  },
};

export function register(program: Command): void {
  program
    .command('list')
    .description('List jobs: schedule in words, time zone, enabled, and next run in the job zone')
    .addOption(
      new Option('--lang <lang>', 'language of the table (headers, schedule, yes/no, weekdays)')
        .choices(['en', 'ja'])
        .default('en'),
    )
    .option('--json', 'print JSON instead of a table')
    .option('--after <instant>', 'compute the next run after this ISO 8601 instant instead of now')
    .addHelpText(
      'after',
      `
Examples:
  $ batchctl list
  $ batchctl list --lang ja
  $ batchctl list --json | jq '.[] | select(.enabled == false) | .name'

Disabled jobs show "-" as next run. rate() jobs run from the anchor npm start stored in
\${SFN_BATCH_DATA_DIR:-.data}/scheduler.json; before npm start has scheduled one, its next
run says so instead of an instant. Jobs whose files are invalid are left out and the
problems are printed on stderr (exit code 1). Exit codes: 0 ok, 1 problems, 2 usage error.`,
    )
    .action(
      async (options: { lang: DescriptionLanguage; json?: boolean; after?: string }, command: Command) => {
        const catalogue = await loadCatalogue(command);
        const now = options.after === undefined ? new Date() : parseInstant(options.after, '--after');
        const schedulerState = await localSchedulerState();
        const rows = catalogue.jobs.map((job) => {
          const plan = job.enabled
            ? plannedRuns(job, now, 1, storedRateAnchor(schedulerState, job), options.lang)
            : undefined;
          const next = plan?.runs[0];
          return { job, words: scheduleInWords(job.schedule, options.lang), next, note: plan?.notAnchored };
        });
        if (options.json) {
          const json = rows.map(({ job, words, next, note }) => ({
            name: job.name,
            schedule: job.schedule,
            scheduleInWords: words,
            owner: job.owner.team,
            timezone: job.timezone,
            enabled: job.enabled,
            nextRun: next?.toISOString() ?? null,
            nextRunLocal: next ? formatInstant(next, job.timezone) : null,
            ...(note ? { nextRunNote: note } : {}),
          }));
          process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
        } else {
          const labels = TABLE_LABELS[options.lang];
          const table = renderTable(
            labels.header,
            rows.map(({ job, words, next, note }) => [
              job.name,
              words,
              job.timezone,
              job.enabled ? labels.yes : labels.no,
              next ? formatInstant(next, job.timezone, { lang: options.lang }) : (note ?? '-'),
            ]),
          );
          process.stdout.write(`${table}\n`);
        }
        reportProblemsAfterOutput(catalogue);
      },
    );
}
