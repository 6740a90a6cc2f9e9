/**
 * The schedule diff a reviewer reads on a pull request: jobs added, removed and changed
 * between two catalogues (effective values, so a change to `_defaults.yml` shows up on
 * every job it affects), with the next runs before and after for timing changes.
 */
import { stringify } from 'yaml';
import type { JobSpec } from './job-spec.ts';
import { type EffectiveJob, formatProblem, type ScheduleCatalogue } from './load.ts';
import { scheduleInWords, upcomingRuns } from './runs.ts';
import { formatInstant } from './time-format.ts';

export interface FieldChange {
  field: string;
  before: string | undefined;
  after: string | undefined;
  /** The job sets the field itself on neither side: the change comes from `_defaults.yml`. */
  viaDefaults: boolean;
}

export interface ChangedJob {
  name: string;
  changes: FieldChange[];
  /** True when the schedule, time zone or enabled flag changed, so the run times differ. */
  timingChanged: boolean;
}

export interface CatalogueDiff {
  added: string[];
  removed: string[];
  changed: ChangedJob[];
  unchanged: number;
}

export interface DiffReportOptions {
  /** How the base and head are named in the report, e.g. `origin/main` and `working tree`. */
  baseLabel: string;
  headLabel: string;
  /** Next runs are computed after this instant. */
  now: Date;
  /** How many next runs to list; 5 by default. */
  runs?: number;
}

const TIMING_FIELDS = new Set(['schedule', 'timezone', 'enabled']);

/** Compares the valid jobs of two catalogues field by field. */
export function diffCatalogues(base: ScheduleCatalogue, head: ScheduleCatalogue): CatalogueDiff {
  const added = [...head.effective.keys()].filter((name) => !base.effective.has(name)).sort();
  const removed = [...base.effective.keys()].filter((name) => !head.effective.has(name)).sort();
  const changed: ChangedJob[] = [];
  let unchanged = 0;
  for (const [name, after] of [...head.effective].sort(([a], [b]) => a.localeCompare(b))) {
    const before = base.effective.get(name);
    if (!before) continue;
    const changes = compareValues(flatten(before), flatten(after)).map((change) => ({
      ...change,
      viaDefaults: before.origins[change.field] !== 'job' && after.origins[change.field] !== 'job',
    }));
    if (changes.length === 0) unchanged++;
    else
      changed.push({
        name,
        changes,
        timingChanged: changes.some((change) => TIMING_FIELDS.has(change.field)),
      });
  }
  return { added, removed, changed, unchanged };
}

/** Renders the Markdown report posted on pull requests. */
export function renderDiffReport(
  base: ScheduleCatalogue,
  head: ScheduleCatalogue,
  options: DiffReportOptions,
): string {
  const diff = diffCatalogues(base, head);
  const runs = options.runs ?? 5;
  const lines: string[] = [];
  lines.push(`## Schedule changes: \`${options.baseLabel}\` → \`${options.headLabel}\``, '');
  lines.push(
    `${diff.changed.length} changed, ${diff.added.length} added, ${diff.removed.length} removed, ${diff.unchanged} unchanged.`,
    '',
  );

  if (head.problems.length > 0) {
    lines.push(`### ❌ Problems in ${options.headLabel} (${head.problems.length})`, '');
    lines.push('Jobs with problems are left out of the comparison. Fix them before merging:', '');
    lines.push('```', ...head.problems.map(formatProblem), '```', '');
  }
  if (base.problems.length > 0) {
    lines.push(`### ⚠️ Problems in ${options.baseLabel} (${base.problems.length})`, '');
    lines.push('The base itself does not validate; jobs with problems there count as added here.', '');
    lines.push('```', ...base.problems.map(formatProblem), '```', '');
  }

  const shared = groupDefaultsChanges(diff.changed);
  if (shared.length > 0) {
    lines.push('### Changed through `_defaults.yml`', '');
    lines.push('| field | before | after | jobs |', '|---|---|---|---|');
    for (const group of shared) {
      const jobs = group.jobs.map((name) => `\`${name}\``).join(', ');
      lines.push(
        `| ${group.field} | ${cell(group.before)} | ${cell(group.after)} | ${group.jobs.length}: ${jobs} |`,
      );
    }
    lines.push('');
  }
  // A job gets its own section for its own changes, and for any timing change (even one
  // that comes from the defaults) because its run times are what a reviewer must check.
  const ownSections = diff.changed
    .map((job) => ({
      job,
      changes: job.changes.filter((change) => !change.viaDefaults || TIMING_FIELDS.has(change.field)),
    }))
    .filter(({ changes }) => changes.length > 0);
  if (ownSections.length > 0) {
    lines.push('### Changed', '');
    for (const { job, changes } of ownSections) {
      const before = base.effective.get(job.name);
      const after = head.effective.get(job.name);
      if (!before || !after) continue;
      lines.push(`#### \`${job.name}\``, '', escapeText(after.spec.description), '');
      lines.push('| field | before | after |', '|---|---|---|');
      for (const change of changes) {
        const note = change.viaDefaults ? ' (from `_defaults.yml`)' : '';
        lines.push(`| ${change.field}${note} | ${cell(change.before)} | ${cell(change.after)} |`);
      }
      lines.push('');
      if (job.timingChanged)
        lines.push(...renderRunComparison(before.spec, after.spec, options.now, runs), '');
    }
  }
  if (diff.added.length > 0) {
    lines.push('### Added', '');
    for (const name of diff.added) {
      const job = head.effective.get(name);
      if (job) lines.push(...renderJobSummary(job, options.now, runs), '');
    }
  }
  if (diff.removed.length > 0) {
    lines.push('### Removed', '');
    for (const name of diff.removed) {
      const job = base.effective.get(name);
      if (!job) continue;
      lines.push(...renderJobSummary(job, undefined, runs));
      lines.push('', 'Its schedule and state machine are removed on the next deploy.', '');
    }
  }
  if (diff.changed.length + diff.added.length + diff.removed.length === 0) {
    lines.push('No job changes.', '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

interface DefaultsChangeGroup {
  field: string;
  before: string | undefined;
  after: string | undefined;
  jobs: string[];
}

function groupDefaultsChanges(changed: ChangedJob[]): DefaultsChangeGroup[] {
  const groups = new Map<string, DefaultsChangeGroup>();
  for (const job of changed) {
    for (const change of job.changes.filter((c) => c.viaDefaults && !TIMING_FIELDS.has(c.field))) {
      const key = JSON.stringify([change.field, change.before ?? null, change.after ?? null]);
      const group = groups.get(key) ?? {
        field: change.field,
        before: change.before,
        after: change.after,
        jobs: [],
      };
      group.jobs.push(job.name);
      groups.set(key, group);
    }
  }
  return [...groups.values()];
}

function renderRunComparison(before: JobSpec, after: JobSpec, now: Date, count: number): string[] {
  const beforeRuns = before.enabled ? upcomingRuns(before, now, count) : [];
  const afterRuns = after.enabled ? upcomingRuns(after, now, count) : [];
  const lines = [
    `Runs before: ${timing(before)}; after: ${timing(after)}.`,
    '',
    `| next run | before (${before.timezone}) | after (${after.timezone}) |`,
    '|---|---|---|',
  ];
  for (let index = 0; index < count; index++) {
    const beforeRun = beforeRuns[index];
    const afterRun = afterRuns[index];
    if (index > 0 && !beforeRun && !afterRun) break;
    lines.push(
      `| ${index + 1} | ${runCell(beforeRun, before, index)} | ${runCell(afterRun, after, index)} |`,
    );
  }
  return lines;
}

function runCell(run: Date | undefined, job: JobSpec, index: number): string {
  if (run) return `${formatInstant(run, job.timezone)} (${formatInstant(run, 'UTC', { offset: false })} UTC)`;
  if (index > 0) return '';
  return job.enabled ? 'no further runs' : 'disabled';
}

function timing(job: JobSpec): string {
  const state = job.enabled ? '' : ', disabled';
  return `\`${job.schedule}\` ${job.timezone} (${scheduleInWords(job.schedule)}${state})`;
}

function renderJobSummary(job: EffectiveJob, now: Date | undefined, count: number): string[] {
  const spec = job.spec;
  const lines = [
    `#### \`${spec.name}\``,
    '',
    escapeText(spec.description),
    '',
    `- schedule: ${timing(spec)}`,
    `- runs: \`${spec.command.join(' ')}\` in ${spec.container} (${spec.workflow}), cpu ${spec.size.cpu} / memory ${spec.size.memory} MiB, owner ${spec.owner.team}`,
  ];
  if (now && spec.enabled) {
    const runs = upcomingRuns(spec, now, count).map((run) => formatInstant(run, spec.timezone));
    lines.push(`- next runs: ${runs.length > 0 ? runs.join(', ') : 'none'}`);
  }
  return lines;
}

/** Effective user-facing values as `field → text`, leaves only (lists and empty mappings are leaves). */
function flatten(job: EffectiveJob): Map<string, string> {
  const result = new Map<string, string>();
  const walk = (value: unknown, field: string) => {
    if (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      Object.keys(value).length > 0
    ) {
      for (const [key, child] of Object.entries(value)) walk(child, field === '' ? key : `${field}.${key}`);
      return;
    }
    if (value !== undefined) result.set(field, renderValue(value));
  };
  walk(job.values, '');
  return result;
}

function compareValues(
  before: Map<string, string>,
  after: Map<string, string>,
): Omit<FieldChange, 'viaDefaults'>[] {
  const fields = [...new Set([...before.keys(), ...after.keys()])];
  return fields
    .filter((field) => before.get(field) !== after.get(field))
    .map((field) => ({ field, before: before.get(field), after: after.get(field) }));
}

function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  return stringify(value, { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).trim();
}

function cell(value: string | undefined): string {
  if (value === undefined) return '*(not set)*';
  return `\`${value.replace(/\|/g, '\\|').replace(/`/g, "'").replace(/\n/g, ' ')}\``;
}

function escapeText(text: string): string {
  return text.replace(/\n/g, ' ').replace(/([<>])/g, '\\$1');
}
