/**
 * Helpers shared by batchctl commands: exit codes, errors that carry an exit code, the
 * project root, loading the catalogue, finding a job by name, and plain-text tables.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { JobSpec } from '../lib/schedule/job-spec.ts';
import {
  formatProblem,
  loadScheduleCatalogue,
  REPO_ROOT,
  type ScheduleCatalogue,
} from '../lib/schedule/load.ts';
import {
  emptyState,
  readSchedulerState,
  type SchedulerState,
  schedulerStatePath,
} from '../lib/schedule/scheduler-state.ts';
import { suggestClosest } from '../lib/schedule/suggest.ts';
import { resolveDataDir } from '../local/runtime-file.ts';

/** Exit codes of every batchctl command (documented in `batchctl --help` and README.md). */
export const EXIT = { ok: 0, problem: 1, usage: 2 } as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  a problem was found (invalid schedule files, failed check)
  2  usage error (unknown command, option or job, bad argument)`;

/** An error the CLI prints as-is (no stack) and exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT.problem) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * The project whose `schedules/` batchctl reads: `--root`, else the nearest folder from
 * the current directory upwards that has a `schedules/` folder, else this repository.
 */
export function projectRoot(command: Command): string {
  const option = command.optsWithGlobals<{ root?: string }>().root;
  if (option) return path.resolve(option);
  let dir = process.cwd();
  for (;;) {
    if (existsSync(path.join(dir, 'schedules'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return REPO_ROOT;
    dir = parent;
  }
}

/** Loads the working-tree catalogue of the project that `command` runs in. */
export async function loadCatalogue(command: Command, now?: Date): Promise<ScheduleCatalogue> {
  const dir = path.join(projectRoot(command), 'schedules');
  if (!existsSync(dir)) throw new CliError(`no schedules/ folder in ${path.dirname(dir)}`, EXIT.usage);
  return loadScheduleCatalogue(dir, now === undefined ? {} : { now });
}

/**
 * The valid job called `name`. An unknown name is a usage error with a suggestion; a job
 * whose file is invalid is a problem, reported with its located errors.
 */
export function findJob(catalogue: ScheduleCatalogue, name: string): JobSpec {
  const job = catalogue.effective.get(name)?.spec;
  if (job) return job;
  const ownProblems = catalogue.problems.filter(
    (problem) => path.basename(problem.file).replace(/\.ya?ml$/, '') === name,
  );
  if (ownProblems.length > 0) {
    throw new CliError(
      `job "${name}" has invalid settings:\n${ownProblems.map(formatProblem).join('\n')}`,
      EXIT.problem,
    );
  }
  throw new CliError(unknownJobMessage(name, [...catalogue.effective.keys()]), EXIT.usage);
}

/**
 * Why `name` names none of `jobs`: the jobs it is the start of (when several, so the
 * user can pick one), else the closest name, else where to look.
 */
export function unknownJobMessage(name: string, jobs: readonly string[], where = ''): string {
  const starting = jobs.filter((job) => job.startsWith(name)).sort();
  if (starting.length > 1) {
    const listed = starting.slice(0, 10).join(', ');
    return `"${name}" is not a job name${where}; it is the start of ${starting.length} jobs: ${listed}${starting.length > 10 ? ', …' : ''}. Give the whole name.`;
  }
  const suggestion = starting[0] ?? suggestClosest(name, jobs);
  const hint = suggestion ? `Did you mean "${suggestion}"?` : 'Run "batchctl list" to see all jobs.';
  return `unknown job "${name}"${where}. ${hint}`;
}

/** Parses a positive whole number option, or throws a usage error naming the option. */
export function parseCount(text: string, option: string, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new CliError(`${option} must be a whole number from 1 to ${max}, got "${text}"`, EXIT.usage);
  }
  return value;
}

/** Terminal width of text: East Asian wide characters take two columns. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    const wide =
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6);
    width += wide ? 2 : 1;
  }
  return width;
}

/** Renders rows as a left-aligned plain-text table with a header row. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(displayWidth(title), ...rows.map((row) => displayWidth(row[column] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((text, column) =>
        column === cells.length - 1 ? text : text + ' '.repeat((widths[column] ?? 0) - displayWidth(text)),
      )
      .join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** Parses an ISO 8601 instant option, or throws a usage error naming the option. */
export function parseInstant(text: string, option: string): Date {
  const instant = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(instant.getTime())) {
    throw new CliError(
      `${option} must be an ISO 8601 instant such as 2026-12-01T00:00:00Z, got "${text}"`,
      EXIT.usage,
    );
  }
  return instant;
}

/**
 * For commands that still print the valid jobs: lists the problems on stderr and sets
 * exit code 1, so a script cannot mistake a partial list for the whole catalogue.
 */
export function reportProblemsAfterOutput(catalogue: ScheduleCatalogue): void {
  if (catalogue.problems.length === 0) return;
  process.stderr.write(
    `\n${catalogue.problems.length} problem(s) in schedule files; jobs with problems are not shown:\n${catalogue.problems
      .map(formatProblem)
      .join('\n')}\n`,
  );
  process.exitCode = EXIT.problem;
}

/**
 * The local scheduler's stored state in `${SFN_BATCH_DATA_DIR:-.data}/scheduler.json`
 * (rate() anchors). Empty when npm start has not run there; an unreadable file is
 * reported on stderr and read as empty, as the scheduler itself does.
 */
export async function localSchedulerState(): Promise<SchedulerState> {
  const { state, problem } = await readSchedulerState(schedulerStatePath(resolveDataDir())).catch(
    (error: unknown) => ({
      state: emptyState(),
      problem: error instanceof Error ? error.message : String(error),
    }),
  );
  if (problem) process.stderr.write(`batchctl: ${problem}; rate() jobs are shown without an anchor\n`);
  return state;
}
