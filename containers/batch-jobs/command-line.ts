import { z } from 'zod';
import type { ContainerTaskInput } from '#lib/contracts/execution-input.ts';
import { TASK_INPUT_ENV } from '#lib/contracts/execution-input.ts';
import { describeZodIssues } from '#lib/zod-issues.ts';
import type { JobDefinition } from './job-context.ts';

/** A problem with argv or the task input: the process prints it and exits 2 (not retried, not the job's fault). */
export class UsageError extends Error {
  override name = 'UsageError';
}

const taskInputSchema = z.object({
  job: z.string().min(1),
  executionArn: z.string().min(1),
  scheduledTime: z.iso.datetime({ offset: true }),
  params: z.record(z.string(), z.unknown()).default({}),
}) satisfies z.ZodType<ContainerTaskInput, unknown>;

const INPUT_EXAMPLE = `{"job":"purge-deleted-records","executionArn":"arn:aws:states:ap-northeast-1:123456789012:execution:sfn-batch-purge-deleted-records:run-1","scheduledTime":"2026-11-21T18:00:00Z","params":{}}`;

/** Parses and validates the JSON in `SFN_BATCH_INPUT`. */
export function parseTaskInput(raw: string | undefined): ContainerTaskInput {
  if (raw === undefined || raw.trim() === '') {
    throw new UsageError(
      `${TASK_INPUT_ENV} is not set: the state machine passes the task input as JSON in it, e.g. ${TASK_INPUT_ENV}='${INPUT_EXAMPLE}'`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new UsageError(
      `${TASK_INPUT_ENV} is not valid JSON (${(error as Error).message}); example: ${INPUT_EXAMPLE}`,
    );
  }
  const parsed = taskInputSchema.safeParse(json);
  if (!parsed.success) {
    throw new UsageError(
      `${TASK_INPUT_ENV} is invalid — ${describeZodIssues(parsed.error)}; example: ${INPUT_EXAMPLE}`,
    );
  }
  return parsed.data;
}

function kebabToCamel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function camelToKebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** Parses `--name value` / `--name=value` pairs into camelCase keys. */
export function parseFlags(args: readonly string[], example: string): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!match?.[1]) {
      throw new UsageError(`unexpected argument "${arg}": flags look like --name value; example: ${example}`);
    }
    let value = match[2];
    if (value === undefined) {
      const next = args[index + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new UsageError(`flag --${match[1]} needs a value; example: ${example}`);
      }
      value = next;
      index++;
    }
    flags[kebabToCamel(match[1])] = value;
  }
  return flags;
}

export interface Invocation {
  definition: JobDefinition;
  params: unknown;
  input: ContainerTaskInput;
}

/**
 * Resolves argv (`<command> --flag value ...`) and the task input into the job to run and its
 * typed parameters. Input `params` override flags of the same camelCase name, so a manual run can
 * change e.g. `retentionDays` without a new task definition; params the job does not know are ignored
 * (they may be defaults meant for another part of the workflow), unknown flags are an error.
 */
export function resolveInvocation(
  argv: readonly string[],
  rawInput: string | undefined,
  catalogue: ReadonlyMap<string, JobDefinition>,
): Invocation {
  const [command, ...rest] = argv;
  const valid = [...catalogue.keys()].sort().join(', ');
  if (command === undefined || command.startsWith('-')) {
    throw new UsageError(`missing command; the first argument names the job, one of: ${valid}`);
  }
  const definition = catalogue.get(command);
  if (!definition) {
    throw new UsageError(`unknown command "${command}"; valid commands: ${valid}`);
  }
  const flags = parseFlags(rest, definition.example);
  const input = parseTaskInput(rawInput);
  const known = knownKeys(definition.params);
  for (const key of Object.keys(flags)) {
    if (known && !known.has(key)) {
      const options = [...known].map((name) => `--${camelToKebab(name)}`).join(', ');
      throw new UsageError(
        `unknown flag --${camelToKebab(key)} for ${command} (accepted: ${options || 'none'}); example: ${definition.example}`,
      );
    }
  }
  const fromInput: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input.params)) {
    if (!known || known.has(key)) fromInput[key] = value;
  }
  const merged = { ...flags, ...fromInput };
  const parsed = definition.params.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const origin = key in fromInput ? `params.${key} in ${TASK_INPUT_ENV}` : `--${camelToKebab(key)}`;
      if (merged[key] === undefined) return `missing ${origin}`;
      return `invalid value for ${origin} (got ${JSON.stringify(merged[key])}): ${issue.message}`;
    });
    throw new UsageError(`${problems.join('; ')}; example: ${definition.example}`);
  }
  return { definition, params: parsed.data, input };
}

function knownKeys(schema: z.ZodType): Set<string> | undefined {
  if (schema instanceof z.ZodObject) return new Set(Object.keys(schema.shape));
  // An object schema followed by a transform (defaults that depend on another flag).
  if (schema instanceof z.ZodPipe) return knownKeys(schema.in as z.ZodType);
  return undefined;
}
