import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { ValueOrigin } from '../../lib/schedule/load.ts';
import { plannedRuns, scheduleInWords } from '../../lib/schedule/runs.ts';
import { storedRateAnchor } from '../../lib/schedule/scheduler-state.ts';
import { KNOWN_KEYS } from '../../lib/schedule/schema.ts';
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
      const rows: [string, string][] = [];
      const values = effective.values as Record<string, unknown>;
      for (const key of KNOWN_KEYS[''] ?? []) {
        const value = values[key];
        if (value === undefined) continue;
        const children = KNOWN_KEYS[key];
        if (children && typeof value === 'object' && value !== null) {
          rows.push([`${key}:`, '']);
          for (const child of children) {
            const childValue = (value as Record<string, unknown>)[child];
            if (childValue === undefined) continue;
            rows.push([
              `  ${child}: ${render(childValue)}`,
              ORIGIN_NOTE[effective.origins[`${key}.${child}`] ?? 'job'],
            ]);
          }
        } else {
          rows.push([`${key}: ${render(value)}`, ORIGIN_NOTE[originOf(effective.origins, key)]]);
        }
      }
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

/** Origin of a top-level key; a mapping such as `input` counts as the job's if any part of it is. */
function originOf(origins: Readonly<Record<string, ValueOrigin>>, key: string): ValueOrigin {
  const own = origins[key];
  if (own) return own;
  const parts = Object.entries(origins).filter(([field]) => field.startsWith(`${key}.`));
  if (parts.some(([, origin]) => origin === 'job')) return 'job';
  return parts[0]?.[1] ?? 'job';
}
