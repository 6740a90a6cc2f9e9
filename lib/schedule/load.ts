/**
 * Loads `schedules/*.yml` into `JobSpec`s. Each file is parsed once with positions, merged
 * over `schedules/_defaults.yml` (and a few built-in defaults), validated with zod and
 * the AWS cron engine, and every problem in every file is collected with
 * `file:line:column`, the field, the rule it broke and an example of a valid value.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Document, isMap, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { stateMachineTagProblems } from '../contracts/state-machine-tags.ts';
import {
  isValidTimeZone,
  nextRuns,
  parseScheduleExpression,
  ScheduleExpressionError,
} from '../cron/index.ts';
import { MIN_YEAR } from '../cron/parse.ts';
import { CONTAINER_FILES, CONTAINERS, scanContainerFolders } from '../workflows/containers.ts';
import { hasDeploymentSubstitution } from '../workflows/synthesize.ts';
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
import { formatInstant } from './time-format.ts';

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
  /** Set on warnings: the file is valid, but probably not what its author meant. */
  severity?: 'warning';
}

/** A schedule file as read: text, or raw bytes that the loader decodes as strict UTF-8. */
export interface ScheduleSource {
  path: string;
  text: string | Uint8Array;
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
  /** Findings that do not make a job invalid, such as a one-off at() in the past. */
  warnings: ScheduleProblem[];
  /** Valid jobs by name, with origins for `batchctl show`. */
  effective: Map<string, EffectiveJob>;
  /** Path of the defaults file, when there is one. */
  defaultsFile: string | undefined;
}

export interface ParseOptions {
  /** Container names that exist (folders under `containers/`); the known ones are always accepted. */
  containers?: readonly string[];
  /** Folders under `containers/` that lack files a container needs: name → missing files. */
  incompleteContainers?: ReadonlyMap<string, readonly string[]>;
  /** The instant "in the past" is judged against (default now). */
  now?: Date;
}

/** This project's containers; accepted even where a checkout (or a fixture) lacks their folders. */
export const KNOWN_CONTAINERS: readonly string[] = CONTAINERS;

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
  const severity = problem.severity === 'warning' ? 'warning: ' : '';
  return `${location}  ${severity}${problem.field}: ${problem.message}${example}`;
}

/**
 * Parses and validates schedule sources without touching the file system, so the same
 * code checks the working tree, a git ref (`batchctl diff`) and test fixtures.
 */
export function parseScheduleSources(
  files: ScheduleSource[],
  options: ParseOptions = {},
): { jobs: JobSpec[]; problems: ScheduleProblem[]; warnings: ScheduleProblem[] } {
  const { jobs, problems, warnings } = parseScheduleCatalogue(files, options);
  return { jobs, problems, warnings };
}

/** Like `parseScheduleSources`, and also returns effective values with their origins. */
export function parseScheduleCatalogue(
  files: ScheduleSource[],
  options: ParseOptions = {},
): ScheduleCatalogue {
  const problems: ScheduleProblem[] = [];
  const warnings: ScheduleProblem[] = [];
  const now = options.now ?? new Date();
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
    if (source === undefined) {
      seen.set(name, file.path);
      continue;
    }

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
    problems.push(
      ...checkCrossFieldRules(
        merged,
        source,
        defaults,
        containers,
        options.incompleteContainers ?? new Map(),
      ),
    );
    const finding = checkScheduleFires(merged, source, defaults, now);
    if (finding?.severity === 'warning') warnings.push(finding);
    else if (finding) problems.push(finding);
    if (problems.length > before || !result.success) continue;

    const spec = toJobSpec(name, file.path, result.data);
    // Values that become state machine tags must fit one (lib/contracts/state-machine-tags.ts).
    const tagProblems = stateMachineTagProblems(spec);
    for (const tagProblem of tagProblems) {
      const fieldPath = tagProblem.field === 'file name' ? [] : tagProblem.field.split('.');
      problems.push({
        ...locateValue(fieldPath, source, defaults),
        field: tagProblem.field,
        message: tagProblem.message,
      });
    }
    if (tagProblems.length > 0) continue;
    jobs.push(spec);
    effective.set(name, {
      spec,
      values: result.data,
      origins: collectOrigins(merged, source.value, defaultValues),
    });
  }
  jobs.sort((a, b) => a.name.localeCompare(b.name));
  return {
    jobs,
    problems: dedupe(problems),
    warnings: dedupe(warnings),
    effective,
    defaultsFile: defaultsInput?.path,
  };
}

/** Reads every schedule file in `dir` (default `<repo>/schedules`) and parses it. */
export async function loadScheduleCatalogue(
  dir: string = DEFAULT_SCHEDULES_DIR,
  options: Pick<ParseOptions, 'now'> = {},
): Promise<ScheduleCatalogue> {
  // Paths in messages and the containers/ lookup are relative to the folder that holds schedules/.
  const projectRoot = path.dirname(path.resolve(dir));
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(
    entries
      .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
      .map(async (entry) => {
        const absolute = path.join(dir, entry.name);
        // Bytes, not 'utf8': Node would silently replace invalid sequences with U+FFFD.
        return { path: displayPath(absolute, projectRoot), text: await readFile(absolute) };
      }),
  );
  const folders = scanContainerFolders(path.join(projectRoot, 'containers'));
  return parseScheduleCatalogue(files, {
    containers: folders.containers,
    incompleteContainers: folders.incomplete,
    ...options,
  });
}

/** Loads all schedules and returns the valid jobs, every problem and every warning found. */
export async function loadSchedules(
  dir?: string,
): Promise<{ jobs: JobSpec[]; problems: ScheduleProblem[]; warnings: ScheduleProblem[] }> {
  const { jobs, problems, warnings } = await loadScheduleCatalogue(dir);
  return { jobs, problems, warnings };
}

/** Loads all schedules; throws `ScheduleValidationError` listing every problem when any file is invalid. */
export async function loadJobSpecs(dir?: string): Promise<JobSpec[]> {
  const { jobs, problems } = await loadSchedules(dir);
  if (problems.length > 0) throw new ScheduleValidationError(problems);
  return jobs;
}

/** Container folders under `<root>/containers/` that have what a container needs (see containers.ts). */
export async function listContainers(root: string = REPO_ROOT): Promise<string[]> {
  return scanContainerFolders(path.join(root, 'containers')).containers;
}

function displayPath(absolute: string, projectRoot: string): string {
  return path.relative(projectRoot, absolute).split(path.sep).join('/');
}

/** The file's text, or undefined (with a located problem) when its bytes are not valid UTF-8. */
function decodeSource(file: ScheduleSource, problems: ScheduleProblem[]): string | undefined {
  if (typeof file.text === 'string') return file.text;
  const bytes = file.text;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    // The lenient decoding re-encodes to the same bytes up to the first invalid sequence.
    const reencoded = new TextEncoder().encode(new TextDecoder('utf-8').decode(bytes));
    let offset = 0;
    while (offset < bytes.length && bytes[offset] === reencoded[offset]) offset++;
    const before = new TextDecoder('utf-8').decode(bytes.subarray(0, offset));
    const lineStart = before.lastIndexOf('\n') + 1;
    problems.push({
      file: file.path,
      line: before.split('\n').length,
      column: [...before.slice(lineStart)].length + 1,
      field: '(file)',
      message: `is not valid UTF-8: byte 0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0')} at byte offset ${offset} cannot start or continue a character; the file is not read, so that nothing is silently replaced`,
      example: 'save the file as UTF-8 (e.g. iconv -f SHIFT_JIS -t UTF-8 old.yml > new.yml)',
    });
    return undefined;
  }
}

function parseSource(file: ScheduleSource, problems: ScheduleProblem[]): ParsedSource | undefined {
  const text = decodeSource(file, problems);
  if (text === undefined) return undefined;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  let value: unknown;
  for (const error of doc.errors) {
    const position = lines.linePos(error.pos[0]);
    const duplicate = error.code === 'DUPLICATE_KEY' ? duplicateKeyAt(doc, error.pos[0], lines) : undefined;
    problems.push({
      file: file.path,
      line: position.line,
      column: position.col,
      // A second document is not inside any key: the key before it would only mislead.
      field:
        duplicate?.field ??
        (error.code === 'MULTIPLE_DOCS' ? undefined : enclosingKey(doc, error.pos[0])) ??
        'yaml',
      message: duplicate
        ? `YAML syntax: the key "${duplicate.key}" appears twice in one mapping (first on line ${duplicate.firstLine}); YAML keeps only one of them`
        : error.code === 'MULTIPLE_DOCS'
          ? 'YAML syntax: a schedule file holds one job, but this one has several documents (---)'
          : `YAML syntax: ${firstLine(error.message)}`,
      example: yamlHint(error.code, error.message),
    });
  }
  if (doc.errors.length === 0) {
    // A file whose aliases make its value infinite or huge is not read at all, so no later check runs on it.
    const unreadable = readAliases(doc, lines);
    if ('problem' in unreadable) {
      problems.push({ file: file.path, field: 'yaml', ...unreadable.problem });
      return undefined;
    }
    value = unreadable.value;
  }
  return { path: file.path, doc, lines, value };
}

/** How many alias (`*name`) expansions a schedule file may make: a few are handy, thousands are an attack. */
const MAX_ALIAS_EXPANSION = 50;

type AliasProblem = Omit<ScheduleProblem, 'file' | 'field'>;

/**
 * The document's value, or why its aliases make it unreadable: an alias inside the node it
 * names (an infinite value, on which every later JSON step would crash), or expansions past
 * MAX_ALIAS_EXPANSION (a "billion laughs" bomb, which would take the process's memory).
 */
function readAliases(
  doc: Document.Parsed,
  lines: LineCounter,
): { value: unknown } | { problem: AliasProblem } {
  let problem: AliasProblem | undefined;
  let firstAlias: { line: number; col: number } | undefined;
  visit(doc, {
    Alias(_key, node, ancestors) {
      const position = lines.linePos(node.range?.[0] ?? 0);
      firstAlias ??= position;
      if (!ancestors.some((ancestor) => (ancestor as { anchor?: string }).anchor === node.source)) return;
      problem = {
        line: position.line,
        column: position.col,
        message: `the alias *${node.source} is inside the value it names, so that value would never end; the file is not read`,
        example: `write the value out instead of *${node.source}`,
      };
      return visit.BREAK;
    },
  });
  if (problem !== undefined) return { problem };
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION }) };
  } catch (error) {
    return {
      problem: {
        line: firstAlias?.line ?? 1,
        column: firstAlias?.col ?? 1,
        message: `its aliases (*name) expand to more than ${MAX_ALIAS_EXPANSION} copies, as an alias bomb ("billion laughs") does; the file is not read, so that it cannot exhaust memory (${error instanceof Error ? error.message : String(error)})`,
        example: 'write the values out, or use each alias only a few times',
      },
    };
  }
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
  // Last first: a value's range ends where the next key starts, and an error at that
  // offset belongs to the next key (an error at the end of the file, to the last one).
  for (const pair of [...doc.contents.items].reverse()) {
    if (!isScalar(pair.key) || !pair.key.range) continue;
    const end = (pair.value as { range?: [number, number, number] } | null)?.range?.[2] ?? pair.key.range[2];
    if (offset >= pair.key.range[0] && offset <= end) return String(pair.key.value);
  }
  return undefined;
}

/**
 * The repeated key that starts at `offset` (where the YAML parser reports DUPLICATE_KEY),
 * with its dotted field name and the line of its first occurrence.
 */
function duplicateKeyAt(
  doc: Document.Parsed,
  offset: number,
  lines: LineCounter,
): { key: string; field: string; firstLine: number } | undefined {
  const search = (node: unknown, parentPath: PathSegment[]): ReturnType<typeof duplicateKeyAt> => {
    if (!isMap(node)) return undefined;
    for (const pair of node.items) {
      if (!isScalar(pair.key) || !pair.key.range) continue;
      const key = String(pair.key.value);
      if (pair.key.range[0] === offset) {
        const first = node.items.find((other) => isScalar(other.key) && String(other.key.value) === key);
        const firstOffset = first && isScalar(first.key) ? (first.key.range?.[0] ?? offset) : offset;
        return { key, field: fieldName([...parentPath, key]), firstLine: lines.linePos(firstOffset).line };
      }
      const found = search(pair.value, [...parentPath, key]);
      if (found) return found;
    }
    return undefined;
  };
  return search(doc.contents, []);
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
  incompleteContainers: ReadonlyMap<string, readonly string[]>,
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
  const { description, command, input } = merged;
  const substitutionMessage =
    'contains "${" or "#{", which the deployment would read as a substitution (CloudFormation Fn::Sub, serverless-step-functions)';
  if (typeof description === 'string' && hasDeploymentSubstitution(description))
    problem(['description'], substitutionMessage, 'Refresh the index under $HOME/data (no braces)');
  if (Array.isArray(command)) {
    command.forEach((argument, index) => {
      if (typeof argument === 'string' && hasDeploymentSubstitution(argument))
        problem(['command', index], substitutionMessage, '[echo, $HOME] (without braces)');
    });
  }
  if (isPlainObject(input) && hasDeploymentSubstitution(JSON.stringify(input)))
    problem(['input'], substitutionMessage, '{ path: /data/exports } (a literal value, without braces)');
  const missingFiles = typeof container === 'string' ? incompleteContainers.get(container) : undefined;
  if (typeof container === 'string' && !containers.has(container) && missingFiles) {
    problem(
      ['container'],
      `containers/${container}/ is not a complete container: it has no ${missingFiles
        .map((file) => `${file} (${CONTAINER_FILES[file as keyof typeof CONTAINER_FILES] ?? 'required'})`)
        .join(
          ' and no ',
        )}; add ${missingFiles.length === 1 ? 'it' : 'them'}, or use one of ${[...containers].sort().join(', ')}`,
      `${container} once containers/${container}/ has ${Object.keys(CONTAINER_FILES).join(' and ')}`,
    );
  } else if (typeof container === 'string' && KEBAB_CASE.test(container) && !containers.has(container)) {
    const suggestion = suggestClosest(container, [...containers]);
    problem(
      ['container'],
      `no container "${container}": it is neither a folder under containers/ (with ${Object.keys(CONTAINER_FILES).join(' and ')}) nor one of ${[...containers].sort().join(', ')}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
      suggestion ?? 'batch-jobs',
    );
  }
  return problems;
}

/**
 * A schedule that can never start the job is an error (`cron(0 0 30 2 ? *)`, or years that
 * have all passed); a one-off at() in the past is a warning, since it has simply run (or
 * been missed) already.
 */
function checkScheduleFires(
  merged: Record<string, unknown>,
  source: ParsedSource,
  defaults: ParsedSource | undefined,
  now: Date,
): ScheduleProblem | undefined {
  const { schedule, timezone } = merged;
  if (typeof schedule !== 'string' || typeof timezone !== 'string' || !isValidTimeZone(timezone)) return;
  let expression: ReturnType<typeof parseScheduleExpression>;
  try {
    expression = parseScheduleExpression(schedule);
  } catch (error) {
    if (error instanceof ScheduleExpressionError) return;
    throw error;
  }
  if (expression.kind === 'rate' || nextRuns(expression, timezone, now, 1).length > 0) return;
  const location = locateValue(['schedule'], source, defaults);
  const ever = nextRuns(expression, timezone, new Date(Date.UTC(MIN_YEAR, 0, 1)), 1)[0];
  if (expression.kind === 'at') {
    if (ever === undefined) {
      return {
        ...location,
        field: 'schedule',
        message: `${expression.text} never fires: ${expression.localDateTime.replace('T', ' ')} does not exist in ${timezone} (the clocks skip it for daylight saving time)`,
        example: `at(${expression.localDateTime.slice(0, 11)}12:00:00)`,
      };
    }
    return {
      ...location,
      field: 'schedule',
      severity: 'warning',
      message: `${expression.text} is in the past (${formatInstant(ever, timezone)}), so this one-off job will not run again; remove the file or give a future time`,
      example: `at(${now.getUTCFullYear() + 1}-01-01T09:00:00)`,
    };
  }
  const everyYearWildcard = `cron(${[
    expression.fields.minutes,
    expression.fields.hours,
    expression.fields.dayOfMonth,
    expression.fields.month,
    expression.fields.dayOfWeek,
    '*',
  ].join(' ')})`;
  if (ever === undefined) {
    return {
      ...location,
      field: 'schedule',
      message: `${expression.text} never fires: no date matches its day-of-month, month, day-of-week and year fields together (for example day 30 of February)`,
      example: 'cron(0 0 L 2 ? *) for the last day of February',
    };
  }
  return {
    ...location,
    field: 'schedule',
    message: `${expression.text} has no run after ${formatInstant(now, timezone).slice(0, 16)}: every year it names is in the past`,
    example: everyYearWildcard,
  };
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
