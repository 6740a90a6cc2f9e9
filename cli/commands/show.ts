import type { Command } from 'commander';
import { stringify } from 'yaml';
import { effectiveSettings } from '../../lib/schedule/effective-settings.ts';
import type { ValueOrigin } from '../../lib/schedule/load.ts';
import { plannedRuns, scheduleInWords } from '../../lib/schedule/runs.ts';
import { storedRateAnchor } from '../../lib/schedule/scheduler-state.ts';
import { formatInstant } from '../../lib/schedule/time-format.ts';
import { findJob, loadCatalogue, localSchedulerState } from '../common.ts';

const ORIGIN_NOTE: Record<ValueOrigin, string> = {
  job: '',
  defaults: '_defaults.yml',
  'built-in': 'built-in default',
};

export function register(program: Command): void {
  program
    .command('show')
    .description("Print a job's effective settings, marking values that come from _defaults.yml")
    .argument('<job>', 'job name (the schedule file name without .yml)')
    .addHelpText(
      'after',
      `
The output is the job file as it is in effect: its own values, plus the values it takes
from schedules/_defaults.yml (marked "# _defaults.yml") or from batchctl's built-in
defaults (marked "# built-in default").

Examples:
  $ batchctl show export-monthly-records
  $ batchctl show detect-temperature-excursions

Exit codes: 0 ok, 1 the job's file is invalid, 2 unknown job.`,
    )
    .action(async (name: string, _options: unknown, command: Command) => {
      const catalogue = await loadCatalogue(command);
      const job = findJob(catalogue, name);
      const effective = catalogue.effective.get(job.name);
      if (!effective) return;
      const rows: [string, string][] = effectiveSettings(effective).map((setting) =>
        setting.value === undefined
          ? [`${setting.key}:`, '']
          : [
              `${setting.depth === 1 ? '  ' : ''}${setting.key}: ${render(setting.value)}`,
              ORIGIN_NOTE[setting.origin],
            ],
      );
      const width = Math.min(40, Math.max(...rows.filter(([, note]) => note).map(([text]) => text.length)));
      const plan = job.enabled
        ? plannedRuns(job, new Date(), 1, storedRateAnchor(await localSchedulerState(), job))
        : undefined;
      const next = plan?.runs[0];
      const lines = [
        `# ${job.sourceFile} (effective values)`,
        ...rows.map(([text, note]) => (note ? `${text.padEnd(width)}  # ${note}` : text)),
        '',
        `# schedule: ${scheduleInWords(job.schedule)} (${job.timezone})`,
        `# next run: ${next ? `${formatInstant(next, job.timezone)} = ${formatInstant(next, 'UTC', { offset: false })} UTC` : (plan?.notAnchored ?? (job.enabled ? 'none' : 'none (disabled)'))}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

function render(value: unknown): string {
  return stringify(value, { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).trim();
}
