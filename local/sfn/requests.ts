/**
 * The request side of the local Step Functions API operations: the typed request of each
 * operation, the lookups of the state machine or execution a request names (InvalidArn,
 * StateMachineDoesNotExist, ExecutionDoesNotExist), the page tokens, and the nesting limit
 * of an execution input. Requests arrive validated against the service model (local/api);
 * these schemas only type them.
 */
import { z } from 'zod';
import type {
  ExecutionRecord,
  ExecutionStore,
  ExecutionSummary,
  ListingCursor,
} from '../store/execution-store.ts';
import { SfnApiError } from './errors.ts';

export const executionArnSchema = z.object({ executionArn: z.string() });
export const stateMachineArnSchema = z.object({ stateMachineArn: z.string() });
export const resourceArnSchema = z.object({ resourceArn: z.string() });
export const redriveSchema = z.object({ executionArn: z.string(), clientToken: z.string().optional() });
export const paginationSchema = z.object({
  maxResults: z.number().int().optional(),
  nextToken: z.string().optional(),
});
export const startExecutionSchema = z.object({
  stateMachineArn: z.string(),
  name: z.string().optional(),
  input: z.string().optional(),
  traceHeader: z.string().optional(),
});
export const listExecutionsSchema = paginationSchema.extend({
  stateMachineArn: z.string().optional(),
  statusFilter: z
    .enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'])
    .optional(),
  redriveFilter: z.enum(['REDRIVEN', 'NOT_REDRIVEN']).optional(),
});
export const stopExecutionSchema = z.object({
  executionArn: z.string(),
  error: z.string().max(256).optional(),
  cause: z.string().max(32768).optional(),
});
export const historySchema = paginationSchema.extend({
  executionArn: z.string(),
  reverseOrder: z.boolean().optional(),
  includeExecutionData: z.boolean().optional(),
});

export type Pagination = z.infer<typeof paginationSchema>;
export type StartExecutionRequest = z.infer<typeof startExecutionSchema>;
export type ListExecutionsRequest = z.infer<typeof listExecutionsSchema>;
export type StopExecutionRequest = z.infer<typeof stopExecutionSchema>;
export type HistoryRequest = z.infer<typeof historySchema>;

/** The request typed by `schema`, or a ValidationException in the API's wording. */
export function parseRequest<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const messages = result.error.issues.map(
    (issue) => `Value at '${issue.path.join('.')}' failed to satisfy constraint: ${issue.message}`,
  );
  throw new SfnApiError(
    'ValidationException',
    `${messages.length} validation error${messages.length === 1 ? '' : 's'} detected: ${messages.join('; ')}`,
  );
}

/** Throws InvalidArn unless `arn` has the shape `pattern` describes. */
export function requireArnShape(arn: string, pattern: RegExp): void {
  if (!pattern.test(arn)) {
    throw new SfnApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
  }
}

export const STATE_MACHINE_ARN = /^arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
const EXECUTION_ARN = /^arn:aws:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;

/** The state machine a request names. */
export function lookupStateMachine<T>(machines: ReadonlyMap<string, T>, stateMachineArn: string): T {
  requireArnShape(stateMachineArn, STATE_MACHINE_ARN);
  const machine = machines.get(stateMachineArn);
  if (machine === undefined) {
    throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
  }
  return machine;
}

/** The stored execution a request names, whole (a finished one's is read from record.json). */
export function lookupExecution(store: ExecutionStore, executionArn: string): ExecutionRecord {
  lookupExecutionSummary(store, executionArn);
  // Known to exist: only a damaged record.json makes get() fail, and it says so.
  return store.get(executionArn) as ExecutionRecord;
}

/**
 * The summary of the stored execution a request names (status, dates, state machine), from
 * memory: for a request that needs no input, output or cause.
 */
export function lookupExecutionSummary(store: ExecutionStore, executionArn: string): ExecutionSummary {
  requireArnShape(executionArn, EXECUTION_ARN);
  const summary = store.summary(executionArn);
  if (summary === undefined) {
    throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
  }
  return summary;
}

/** The page size a request asks for (0 or absent: the API default of 100). */
export function pageSize(request: Pagination): number {
  return request.maxResults === undefined || request.maxResults === 0 ? 100 : request.maxResults;
}

/** A page token: `content` bound to the request it continues (AWS rejects a token used elsewhere). */
function writeToken(content: object, scope: string): string {
  return Buffer.from(JSON.stringify({ ...content, scope })).toString('base64url');
}

function readToken<T extends z.ZodObject>(token: string, scope: string, content: T): z.infer<T> {
  try {
    const raw: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (z.object({ scope: z.string() }).parse(raw).scope !== scope) throw new Error('scope');
    return content.parse(raw);
  } catch {
    throw new SfnApiError('InvalidToken', `Invalid Token: '${token}'`);
  }
}

/**
 * ListExecutions tokens hold the last execution shown rather than an offset, so executions
 * started while someone pages do not shift later pages (new ones sort first).
 */
export function readListingToken(token: string, scope: string): ListingCursor {
  return readToken(token, scope, z.object({ after: z.object({ startDate: z.string(), name: z.string() }) }))
    .after;
}

export function writeListingToken(last: ListingCursor, scope: string): string {
  return writeToken({ after: { startDate: last.startDate, name: last.name } }, scope);
}

/** One page of `items`, with an offset token bound to `scope` when more follow. */
export function paginate<T>(
  items: T[],
  request: Pagination,
  scope: string,
): { items: T[]; nextToken?: string } {
  const offset =
    request.nextToken === undefined
      ? 0
      : readToken(request.nextToken, scope, z.object({ offset: z.number().int().min(0) })).offset;
  const size = pageSize(request);
  const page = items.slice(offset, offset + size);
  const next = offset + size;
  return next < items.length
    ? { items: page, nextToken: writeToken({ offset: next }, scope) }
    : { items: page };
}

/**
 * Deepest nesting the local runtime accepts in an execution input. The interpreter and the
 * execution store handle JSON recursively: an input nested 5,000 deep overflowed the stack
 * in the store and took the whole runtime down (2,000 ran). AWS documents no depth limit;
 * no real input comes near this one.
 */
export const MAX_INPUT_NESTING_DEPTH = 1000;

/** How deep the lists and objects of a JSON text nest, counted without recursion (the text is valid JSON). */
export function jsonNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (inString) {
      if (character === '\\') index++;
      else if (character === '"') inString = false;
    } else if (character === '"') inString = true;
    else if (character === '[' || character === '{') deepest = Math.max(deepest, ++depth);
    else if (character === ']' || character === '}') depth--;
  }
  return deepest;
}
