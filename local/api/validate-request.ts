import type { ApiModel, ShapeDefinition } from './api-model.ts';

/** One broken constraint of a request member, in the words AWS's validation uses. */
export interface Violation {
  /** Dotted member path as AWS prints it (`overrides.containerOverrides.1.name`). */
  path: string;
  /** Name of the member's shape (`Arn`, `Name`, `PageToken` …): picks the error code. */
  shape: string;
  constraint: string;
  kind: 'required' | 'type' | 'length' | 'range' | 'pattern' | 'enum';
  /** The offending value as AWS quotes it; undefined for sensitive or absent members. */
  value?: string;
}

/** An API error in AWS's JSON protocol shape: `{"__type": type, "message": ...}` with an HTTP status. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly type: string;
  readonly statusCode: number;

  constructor(type: string, message: string, statusCode = 400) {
    super(message);
    this.type = type;
    this.statusCode = statusCode;
  }
}

const patternCache = new Map<string, RegExp>();

/**
 * A model pattern as a JavaScript RegExp. AWS matches the whole value (Java's
 * `String.matches`), so the pattern is anchored; `\p{…}` classes need the `u` flag.
 */
export function modelPattern(pattern: string): RegExp {
  let regex = patternCache.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(`^(?:${pattern})$`, 'u');
    patternCache.set(pattern, regex);
  }
  return regex;
}

/** Walks a request body through the operation's input shape and returns every broken constraint. */
export function findViolations(model: ApiModel, operation: string, body: unknown): Violation[] {
  const inputShape = model.operations[operation]?.input;
  if (inputShape === undefined) return [];
  const violations: Violation[] = [];
  checkValue(model, inputShape, body, '', violations);
  return violations;
}

function checkValue(
  model: ApiModel,
  shapeName: string,
  value: unknown,
  path: string,
  violations: Violation[],
): void {
  const shape = model.shapes[shapeName];
  if (shape === undefined) return;
  const fail = (constraint: string, kind: Violation['kind'] = 'type') => {
    const quoted = shape.sensitive === true ? undefined : quote(value);
    violations.push({
      path,
      shape: shapeName,
      constraint,
      kind,
      ...(quoted === undefined ? {} : { value: quoted }),
    });
  };
  switch (shape.type) {
    case 'structure': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        return void fail('Member must be a structure (a JSON object)');
      }
      const record = value as Record<string, unknown>;
      for (const required of shape.required ?? []) {
        if (record[required] === undefined || record[required] === null) {
          violations.push({
            path: join(path, required),
            shape: shape.members?.[required]?.shape ?? required,
            constraint: 'Member must not be null',
            kind: 'required',
          });
        }
      }
      for (const [member, ref] of Object.entries(shape.members ?? {})) {
        const item = record[member];
        if (item === undefined || item === null) continue;
        checkValue(model, ref.shape, item, join(path, member), violations);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return void fail('Member must be a list (a JSON array)');
      checkCount(shape, value.length, fail);
      value.forEach((item, index) => {
        if (shape.member !== undefined)
          checkValue(model, shape.member.shape, item, join(path, String(index + 1)), violations);
      });
      return;
    }
    case 'map': {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return void fail('Member must be a map (a JSON object)');
      const entries = Object.entries(value as Record<string, unknown>);
      checkCount(shape, entries.length, fail);
      for (const [key, item] of entries) {
        if (shape.key !== undefined) checkValue(model, shape.key.shape, key, join(path, key), violations);
        if (shape.value !== undefined)
          checkValue(model, shape.value.shape, item, join(path, key), violations);
      }
      return;
    }
    case 'string': {
      if (typeof value !== 'string') return void fail('Member must be a string');
      // Smithy lengths count Unicode code points, not UTF-16 units.
      const length = [...value].length;
      if (shape.min !== undefined && length < shape.min)
        fail(`Member must have length greater than or equal to ${shape.min}`, 'length');
      if (shape.max !== undefined && length > shape.max)
        fail(`Member must have length less than or equal to ${shape.max}`, 'length');
      if (shape.pattern !== undefined && !(value.isWellFormed() && modelPattern(shape.pattern).test(value)))
        fail(`Member must satisfy regular expression pattern: ${shape.pattern}`, 'pattern');
      if (shape.enum !== undefined && !shape.enum.includes(value))
        fail(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`, 'enum');
      return;
    }
    case 'integer':
    case 'long': {
      if (typeof value !== 'number' || !Number.isInteger(value))
        return void fail(`Member must be an ${shape.type === 'long' ? 'integer (long)' : 'integer'}`);
      if (shape.min !== undefined && value < shape.min)
        fail(`Member must have value greater than or equal to ${shape.min}`, 'range');
      if (shape.max !== undefined && value > shape.max)
        fail(`Member must have value less than or equal to ${shape.max}`, 'range');
      return;
    }
    case 'float':
    case 'double':
      if (typeof value !== 'number') fail('Member must be a number');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail('Member must be a boolean');
      return;
    case 'timestamp':
      if (typeof value !== 'number') fail('Member must be a timestamp (epoch seconds)');
      return;
    default:
      return;
  }
}

/**
 * The request as the operation sees it: only the members the model has (AWS ignores
 * others), members sent as null dropped (AWS treats them as absent). Walks the shape,
 * not the data, so an arbitrarily deep unknown member costs nothing.
 */
export function modelledRequest(model: ApiModel, operation: string, body: unknown): Record<string, unknown> {
  const inputShape = model.operations[operation]?.input;
  const value = inputShape === undefined ? {} : keepModelled(model, inputShape, body);
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function keepModelled(model: ApiModel, shapeName: string, value: unknown): unknown {
  const shape = model.shapes[shapeName];
  if (shape === undefined || value === null || typeof value !== 'object') return value;
  if (shape.type === 'list' && Array.isArray(value)) {
    return value.map((item) =>
      shape.member === undefined ? item : keepModelled(model, shape.member.shape, item),
    );
  }
  if (shape.type === 'map' && !Array.isArray(value)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        key,
        shape.value === undefined ? item : keepModelled(model, shape.value.shape, item),
      ]),
    );
  }
  if (shape.type === 'structure' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(shape.members ?? {}).flatMap(([member, ref]) =>
        record[member] === undefined || record[member] === null
          ? []
          : [[member, keepModelled(model, ref.shape, record[member])]],
      ),
    );
  }
  return value;
}

function checkCount(
  shape: ShapeDefinition,
  count: number,
  fail: (constraint: string, kind: Violation['kind']) => void,
): void {
  if (shape.min !== undefined && count < shape.min)
    fail(`Member must have length greater than or equal to ${shape.min}`, 'length');
  if (shape.max !== undefined && count > shape.max)
    fail(`Member must have length less than or equal to ${shape.max}`, 'length');
}

function join(path: string, member: string): string {
  return path === '' ? member : `${path}.${member}`;
}

function quote(value: unknown): string | undefined {
  // Structures and lists are not quoted (AWS prints them in Java's notation; they may be deeply nested).
  if (value === undefined || value === null || typeof value === 'object') return undefined;
  const text = String(value);
  // Lone surrogates cannot be encoded; long values are cut as AWS cuts them.
  const safe = text.toWellFormed();
  return safe.length > 300 ? `${safe.slice(0, 300)}…` : safe;
}

/** AWS's message: `2 validation errors detected: Value 'x' at 'name' failed to satisfy constraint: …; …`. */
export function validationMessage(violations: Violation[]): string {
  const parts = violations.map(
    (violation) =>
      `Value ${violation.value === undefined ? '' : `'${violation.value}' `}at '${violation.path}' failed to satisfy constraint: ${violation.constraint}`,
  );
  return `${violations.length} validation error${violations.length === 1 ? '' : 's'} detected: ${parts.join('; ')}`;
}
