/**
 * Loads `schedules/*.yml` into `JobSpec`s. Each file is parsed once with positions, merged
 * over `schedules/_defaults.yml` (and a few built-in defaults), validated with zod and
 * the AWS cron engine, and every problem in every file is collected with
 * `file:line:column`, the field, the rule it broke and an example of a valid value.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { parseDuration } from './duration.ts';
import { FARGATE_SIZES, type JobSpec, MAX_JOB_NAME_LENGTH } from './job-spec.ts';
import {
  BUILT_IN_DEFAULTS,
  FIELD_EXAMPLES,
  KEBAB_CASE,
  KNOWN_KEYS,
  type ScheduleFile,
  scheduleFileSchema,
} from './schema.ts';
import { suggestClosest } from './suggest.ts';

/** One located problem in a schedule file. Lines and columns are 1-based. */
export interface ScheduleProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the field, e.g. `retry.interval` or `command[1]`; `yaml` for syntax errors. */
  field: string;
  /** The rule that was broken, without a trailing period. */
  message: string;
  /** A valid value for the field. */
  example?: string;
}

/** Thrown by `loadJobSpecs` when any schedule file is invalid; the message lists every problem. */
export class ScheduleValidationError extends Error {
  readonly problems: ScheduleProblem[];

  constructor(problems: ScheduleProblem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in schedules/:\n${problems.map(formatProblem).join('\n')}`,
    );
    this.name = 'ScheduleValidationError';
    this.problems = problems;
  }
}

/** Where an effective value came from. */
export type ValueOrigin = 'job' | 'defaults' | 'built-in';

/** A valid job with its effective user-facing values and where each one came from. */
export interface EffectiveJob {
  spec: JobSpec;
  /** The merged file as the user writes it (user-facing keys, after defaults). */
  values: ScheduleFile;
  /** Origin of every leaf value, keyed by dotted path (`retry.interval`). */
  origins: Readonly<Record<string, ValueOrigin>>;
}

export interface ScheduleCatalogue {
  jobs: JobSpec[];
  problems: ScheduleProblem[];
  /** Valid jobs by name, with origins for `batchctl show`. */
  effective: Map<string, EffectiveJob>;
  /** Path of the defaults file, when there is one. */
  defaultsFile: string | undefined;
}

export interface ParseOptions {
  /** Container names that exist (folders under `containers/`); the known ones are always accepted. */
  containers?: readonly string[];
}

/** Containers the project ships; accepted even before their folders exist. */
export const KNOWN_CONTAINERS: readonly string[] = ['batch-jobs', 'xlsx-converter'];

/** Repository root (this file lives in `lib/schedule/`). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
export const DEFAULT_SCHEDULES_DIR = path.join(REPO_ROOT, 'schedules');
const DEFAULTS_BASENAMES = new Set(['_defaults.yml', '_defaults.yaml']);

interface ParsedSource {
  path: string;
  doc: Document.Parsed;
  lines: LineCounter;
  value: unknown;
}

type PathSegment = string | number;

/** Formats a problem as `file:line:column  field: message. Example: value`. */
export function formatProblem(problem: ScheduleProblem): string {
  const location = `${problem.file}:${problem.line}:${problem.column}`;
  const example = problem.example === undefined ? '' : `. Example: ${problem.example}`;
  return `${location}  ${problem.field}: ${problem.message}${example}`;
}

/**
 * Parses and validates schedule sources without touching the file system, so the same
 * code checks the working tree, a git ref (`batchctl diff`) and test fixtures.
 */
export function parseScheduleSources(
  files: { path: string; text: string }[],
  options: ParseOptions = {},
): { jobs: JobSpec[]; problems: ScheduleProblem[] } {
  const { jobs, problems } = parseScheduleCatalogue(files, options);
  return { jobs, problems };
}

/** Like `parseScheduleSources`, and also returns effective values with their origins. */
export function parseScheduleCatalogue(
  files: { path: string; text: string }[],
  options: ParseOptions = {},
): ScheduleCatalogue {
  const problems: ScheduleProblem[] = [];
  const containers = new Set([...KNOWN_CONTAINERS, ...(options.containers ?? [])]);
  const sorted = [...files].sort((a, b) => a.path.localeCompare(b.path));

  const defaultsInput = sorted.find((file) => DEFAULTS_BASENAMES.has(path.basename(file.path)));
  const defaults = defaultsInput ? parseSource(defaultsInput, problems) : undefined;
  if (defaults && defaults.value !== undefined && !isPlainObject(defaults.value)) {
    problems.push(
      at(defaults, [], '(file)', 'must be a mapping of default job fields', FIELD_EXAMPLES.timezone),
    );
  }
  const defaultValues = defaults && isPlainObject(defaults.value) ? defaults.value : {};

  const jobs: JobSpec[] = [];
  const effective = new Map<string, EffectiveJob>();
  const seen = new Map<string, string>();
  for (const file of sorted) {
    const basename = path.basename(file.path);
    const extension = path.extname(basename);
    if (basename.startsWith('_') || (extension !== '.yml' && extension !== '.yaml')) continue;
    const name = basename.slice(0, -extension.length);
    const before = problems.length;
    const source = parseSource(file, problems);

    checkJobName(name, file.path, problems);
    const duplicateOf = seen.get(name);
    if (duplicateOf) {
      problems.push({
        file: file.path,
        line: 1,
        column: 1,
        field: '(file name)',
        message: `job "${name}" is already defined in ${duplicateOf}; keep one file per job`,
        example: `${name}.yml`,
      });
    }
    seen.set(name, file.path);

    if (source.doc.errors.length > 0) continue;
    if (source.value === undefined || source.value === null) {
      problems.push({
        file: file.path,
        line: 1,
        column: 1,
        field: '(file)',
        message: 'is empty; a job needs at least description, schedule and command',
        example: 'description: …  schedule: cron(0 9 * * ? *)  command: [refresh-search-index]',
      });
      continue;
    }
    if (!isPlainObject(source.value)) {
      problems.push(at(source, [], '(file)', 'must be a mapping of job fields', 'description: …'));
      continue;
    }

    const merged = deepMerge(deepMerge(BUILT_IN_DEFAULTS, defaultValues), source.value);
    const result = scheduleFileSchema.safeParse(merged);
    if (!result.success) {
      for (const issue of result.error.issues) problems.push(...issueToProblems(issue, source, defaults));
    }
    problems.push(...checkCrossFieldRules(merged, source, defaults, containers));
    if (problems.length > before || !result.success) continue;

    const spec = toJobSpec(name, file.path, result.data);
    jobs.push(spec);
    effective.set(name, {
      spec,
      values: result.data,
      origins: collectOrigins(merged, source.value, defaultValues),
    });
  }
  jobs.sort((a, b) => a.name.localeCompare(b.name));
  return { jobs, problems: dedupe(problems), effective, defaultsFile: defaultsInput?.path };
}

/** Reads every schedule file in `dir` (default `<repo>/schedules`) and parses it. */
export async function loadScheduleCatalogue(dir: string = DEFAULT_SCHEDULES_DIR): Promise<ScheduleCatalogue> {
  // Paths in messages and the containers/ lookup are relative to the folder that holds schedules/.
  const projectRoot = path.dirname(path.resolve(dir));
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(
    entries
      .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
      .map(async (entry) => {
        const absolute = path.join(dir, entry.name);
        return { path: displayPath(absolute, projectRoot), text: await readFile(absolute, 'utf8') };
      }),
  );
  return parseScheduleCatalogue(files, { containers: await listContainers(projectRoot) });
}

/** Loads all schedules and returns the valid jobs and every problem found. */
export async function loadSchedules(dir?: string): Promise<{ jobs: JobSpec[]; problems: ScheduleProblem[] }> {
  const { jobs, problems } = await loadScheduleCatalogue(dir);
  return { jobs, problems };
}

/** Loads all schedules; throws `ScheduleValidationError` listing every problem when any file is invalid. */
export async function loadJobSpecs(dir?: string): Promise<JobSpec[]> {
  const { jobs, problems } = await loadSchedules(dir);
  if (problems.length > 0) throw new ScheduleValidationError(problems);
  return jobs;
}

/** Folders under `<repo>/containers/`; an absent folder means none yet. */
export async function listContainers(root: string = REPO_ROOT): Promise<string[]> {
  const dir = path.join(root, 'containers');
  try {
    if (!(await stat(dir)).isDirectory()) return [];
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

function displayPath(absolute: string, projectRoot: string): string {
  return path.relative(projectRoot, absolute).split(path.sep).join('/');
}

function parseSource(file: { path: string; text: string }, problems: ScheduleProblem[]): ParsedSource {
  const lines = new LineCounter();
  const doc = parseDocument(file.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  let value: unknown;
  for (const error of doc.errors) {
    const position = lines.linePos(error.pos[0]);
    problems.push({
      file: file.path,
      line: position.line,
      column: position.col,
      field: enclosingKey(doc, error.pos[0]) ?? 'yaml',
      message:
        error.code === 'MULTIPLE_DOCS'
          ? 'YAML syntax: a schedule file holds one job, but this one has several documents (---)'
          : `YAML syntax: ${firstLine(error.message)}`,
      example: yamlHint(error.code, error.message),
    });
  }
  if (doc.errors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 50 });
    } catch (error) {
      problems.push({
        file: file.path,
        line: 1,
        column: 1,
        field: 'yaml',
        message: `YAML could not be read: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  return { path: file.path, doc, lines, value };
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? text).replace(/[.:]\s*$/, '');
}

function yamlHint(code: string, message: string): string {
  if (message.startsWith('Flow sequence'))
    return 'close the list on its line: command: [analyze-tables, --verbose]';
  if (message.startsWith('Flow map')) return 'close the mapping on its line: retry: { maxAttempts: 3 }';
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'each key once per mapping';
    case 'TAB_AS_INDENT':
      return 'indent with spaces, e.g. "  team: records-platform"';
    case 'MULTIPLE_DOCS':
      return 'one job per file, without ---';
    default:
      return 'description: "Quote text that contains \': \' or starts with * & ! [ {"';
  }
}

/** The top-level key whose entry contains `offset`, to name the field of a syntax error. */
function enclosingKey(doc: Document.Parsed, offset: number): string | undefined {
  if (!isMap(doc.contents)) return undefined;
  for (const pair of doc.contents.items) {
    if (!isScalar(pair.key) || !pair.key.range) continue;
    const end = (pair.value as { range?: [number, number, number] } | null)?.range?.[2] ?? pair.key.range[2];
    if (offset >= pair.key.range[0] && offset <= end) return String(pair.key.value);
  }
  return undefined;
}

function checkJobName(name: string, file: string, problems: ScheduleProblem[]): void {
  if (!KEBAB_CASE.test(name)) {
    problems.push({
      file,
      line: 1,
      column: 1,
      field: '(file name)',
      message: `job name "${name}" must be kebab-case: lower-case letters, digits and single hyphens, starting with a letter`,
      example: `${kebab(name) || 'aggregate-record-stats-daily'}.yml`,
    });
  }
  if (name.length > MAX_JOB_NAME_LENGTH) {
    problems.push({
      file,
      line: 1,
      column: 1,
      field: '(file name)',
      message: `job name "${name}" has ${name.length} characters; at most ${MAX_JOB_NAME_LENGTH} fit in the Scheduler and IAM role names`,
      example: 'aggregate-record-stats-daily.yml',
    });
  }
}

function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '');
}

function issueToProblems(
  issue: z.core.$ZodIssue,
  source: ParsedSource,
  defaults: ParsedSource | undefined,
): ScheduleProblem[] {
  const issuePath = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const known = KNOWN_KEYS[issuePath.join('.')] ?? [];
    return issue.keys.map((key) => {
      const suggestion = suggestClosest(key, known);
      const hint = suggestion ? ` (did you mean "${suggestion}"?)` : ` (allowed: ${known.join(', ')})`;
      const target = findKey(source, issuePath, key) ?? (defaults && findKey(defaults, issuePath, key));
      const value = suggestion ? exampleFor([...issuePath, suggestion]) : undefined;
      const under = issuePath.length > 0 ? ` under ${fieldName(issuePath)}` : '';
      // Without a near match, the key is most likely a job parameter that belongs in `input`.
      const example =
        value !== undefined
          ? `${suggestion}: ${value}${under}`
          : issuePath.length === 0
            ? `input: { ${key}: … } for a job parameter`
            : undefined;
      return {
        ...(target ?? { file: source.path, line: 1, column: 1 }),
        field: fieldName([...issuePath, key]),
        message: `unknown key "${key}"${hint}; unknown keys are errors so that a typo cannot silently change a job`,
        ...(example === undefined ? {} : { example }),
      };
    });
  }
  const params = (issue as { params?: { example?: unknown } }).params;
  const example = typeof params?.example === 'string' ? params.example : exampleFor(issuePath);
  return [
    {
      ...locateValue(issuePath, source, defaults),
      field: fieldName(issuePath),
      message: issue.message.replace(/\.$/, ''),
      ...(example === undefined ? {} : { example }),
    },
  ];
}

/** Rules that involve several fields, checked on the merged value when the fields have the right types. */
function checkCrossFieldRules(
  merged: Record<string, unknown>,
  source: ParsedSource,
  defaults: ParsedSource | undefined,
  containers: ReadonlySet<string>,
): ScheduleProblem[] {
  const problems: ScheduleProblem[] = [];
  const problem = (field: PathSegment[], message: string, example: string, anchor = field) =>
    problems.push({ ...locateValue(anchor, source, defaults), field: fieldName(field), message, example });

  const { cpu, memory, workflow, container } = merged;
  if (typeof cpu === 'number' && Number.isInteger(cpu)) {
    const allowed = FARGATE_SIZES[cpu];
    if (!allowed) {
      problem(
        ['cpu'],
        `${cpu} is not a Fargate CPU size; use one of ${Object.keys(FARGATE_SIZES).join(', ')}`,
        '256',
      );
    } else if (typeof memory === 'number' && Number.isInteger(memory) && !allowed.includes(memory)) {
      problem(
        ['memory'],
        `${memory} MiB is not valid with cpu ${cpu} on Fargate; cpu ${cpu} allows ${describeSizes(allowed)} MiB`,
        String(allowed[0]),
      );
    }
  }
  if (workflow === 'xlsx-export' && merged.export === undefined) {
    problem(['export'], 'is required when workflow is xlsx-export', FIELD_EXAMPLES.export ?? '', [
      'workflow',
    ]);
  }
  if (workflow === 'task' && merged.export !== undefined) {
    problem(
      ['export'],
      'is only allowed with workflow: xlsx-export; remove it or change the workflow',
      'workflow: xlsx-export',
    );
  }
  if (typeof container === 'string' && KEBAB_CASE.test(container) && !containers.has(container)) {
    const suggestion = suggestClosest(container, [...containers]);
    problem(
      ['container'],
      `no container "${container}": it is neither a folder under containers/ nor one of ${[...containers].sort().join(', ')}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
      suggestion ?? 'batch-jobs',
    );
  }
  return problems;
}

function describeSizes(sizes: readonly number[]): string {
  const first = sizes[0];
  const second = sizes[1];
  const last = sizes[sizes.length - 1];
  if (sizes.length > 4 && first !== undefined && second !== undefined && last !== undefined) {
    return `${first} to ${last} in steps of ${second - first}`;
  }
  return sizes.join(', ');
}

function exampleFor(fieldPath: PathSegment[]): string | undefined {
  return FIELD_EXAMPLES[fieldPath.filter((segment) => typeof segment === 'string').join('.')];
}

function fieldName(fieldPath: PathSegment[]): string {
  let name = '';
  for (const segment of fieldPath) {
    name += typeof segment === 'number' ? `[${segment}]` : name === '' ? segment : `.${segment}`;
  }
  return name === '' ? '(file)' : name;
}

type Location = Pick<ScheduleProblem, 'file' | 'line' | 'column'>;

function nodeLocation(source: ParsedSource, fieldPath: PathSegment[]): Location | undefined {
  let node: unknown;
  try {
    node = fieldPath.length === 0 ? source.doc.contents : source.doc.getIn(fieldPath, true);
  } catch {
    return undefined;
  }
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  if (!range) return undefined;
  const position = source.lines.linePos(range[0]);
  return { file: source.path, line: position.line, column: position.col };
}

function findKey(source: ParsedSource, parentPath: PathSegment[], key: string): Location | undefined {
  let parent: unknown;
  try {
    parent = parentPath.length === 0 ? source.doc.contents : source.doc.getIn(parentPath, true);
  } catch {
    return undefined;
  }
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === key);
  const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
  if (!range) return undefined;
  const position = source.lines.linePos(range[0]);
  return { file: source.path, line: position.line, column: position.col };
}

/**
 * Where to point for a problem with the value at `fieldPath`: the value in the job file,
 * else the value in `_defaults.yml` (it came from there), else the nearest enclosing
 * node the job file has (a missing key is reported at its parent).
 */
function locateValue(
  fieldPath: PathSegment[],
  source: ParsedSource,
  defaults: ParsedSource | undefined,
): Location {
  const inJob = hasPath(source.value, fieldPath) ? nodeLocation(source, fieldPath) : undefined;
  if (inJob) return inJob;
  const inDefaults =
    defaults && hasPath(defaults.value, fieldPath) ? nodeLocation(defaults, fieldPath) : undefined;
  if (inDefaults) return inDefaults;
  for (let length = fieldPath.length - 1; length > 0; length--) {
    const parentPath = fieldPath.slice(0, length);
    const key = parentPath[parentPath.length - 1];
    if (typeof key === 'string' && hasPath(source.value, parentPath)) {
      const location = findKey(source, parentPath.slice(0, -1), key);
      if (location) return location;
    }
  }
  return { file: source.path, line: 1, column: 1 };
}

function hasPath(value: unknown, fieldPath: PathSegment[]): boolean {
  let current: unknown = value;
  for (const segment of fieldPath) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isPlainObject(current) && typeof segment === 'string' && Object.hasOwn(current, segment))
      current = current[segment];
    else return false;
  }
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges `override` over `base` per key; mappings merge recursively, lists and scalars replace. */
function deepMerge(
  base: Readonly<Record<string, unknown>>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const existing = result[key];
    result[key] = isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
  }
  return result;
}

function collectOrigins(
  merged: Record<string, unknown>,
  job: Record<string, unknown>,
  defaults: Record<string, unknown>,
): Record<string, ValueOrigin> {
  const origins: Record<string, ValueOrigin> = {};
  const walk = (value: unknown, fieldPath: string[]) => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) walk(child, [...fieldPath, key]);
      return;
    }
    origins[fieldPath.join('.')] = hasPath(job, fieldPath)
      ? 'job'
      : hasPath(defaults, fieldPath)
        ? 'defaults'
        : 'built-in';
  };
  walk(merged, []);
  return origins;
}

function toJobSpec(name: string, sourceFile: string, file: ScheduleFile): JobSpec {
  return {
    name,
    sourceFile,
    description: file.description,
    owner: { team: file.owner.team, slackChannel: file.owner.slack },
    runbookUrl: file.runbook,
    schedule: file.schedule.trim(),
    timezone: file.timezone,
    enabled: file.enabled,
    workflow: file.workflow,
    container: file.container,
    command: file.command,
    size: { cpu: file.cpu, memory: file.memory },
    timeoutSeconds: parseDuration(file.timeout) ?? 0,
    expectedDurationSeconds:
      file.expectedDuration === undefined ? undefined : parseDuration(file.expectedDuration),
    concurrency: file.concurrency,
    spot: file.spot,
    retry: {
      maxAttempts: file.retry.maxAttempts,
      intervalSeconds: parseDuration(file.retry.interval) ?? 0,
      backoffRate: file.retry.backoffRate,
      retryOnJobFailure: file.retry.retryOnJobFailure,
    },
    notifications: { on: file.notify.on, warnAfterConsecutiveSkips: file.notify.warnAfterConsecutiveSkips },
    defaultInput: file.input,
    export: file.export,
  };
}

function at(
  source: ParsedSource,
  fieldPath: PathSegment[],
  field: string,
  message: string,
  example?: string,
) {
  return {
    ...(nodeLocation(source, fieldPath) ?? { file: source.path, line: 1, column: 1 }),
    field,
    message,
    ...(example === undefined ? {} : { example }),
  };
}

function dedupe(problems: ScheduleProblem[]): ScheduleProblem[] {
  const seen = new Set<string>();
  return problems
    .filter((problem) => {
      const key = formatProblem(problem);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}
