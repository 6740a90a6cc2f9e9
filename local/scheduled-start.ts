/**
 * How `npm start`'s scheduler starts an execution: StartExecution with the scheduled run's
 * deterministic name, retried on transient failures the way EventBridge Scheduler retries
 * its target (the deployment sets no RetryPolicy, so AWS's default applies: up to 185 retries
 * within 24 hours, with exponential backoff). The SDK client's own 3 attempts come first; this
 * is the scheduler's retry around them, for a runtime too busy to answer for a while.
 */
import {
  ExecutionAlreadyExists,
  SFNClient,
  type SFNClientConfig,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';

/** EventBridge Scheduler's default retry policy (MaximumEventAgeInSeconds, MaximumRetryAttempts). */
export const SCHEDULER_RETRY_POLICY = { maximumEventAgeMs: 86_400_000, maximumRetryAttempts: 185 } as const;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 60_000;

/**
 * Time limits of one StartExecution of the scheduler. The local API answers in milliseconds when
 * it keeps up, and in seconds on a loaded machine (a month at 2000x on 2 busy cores); a request
 * still unanswered after 30 s is treated as lost, fails with the SDK's TimeoutError and is
 * retried like any answer that never came (a run it started meanwhile is found by the retry, see
 * "whose answer was lost" below). The SDK's NodeHttpHandler has no timeout by default, and its
 * requestTimeout alone only logs a warning unless throwOnRequestTimeout is set.
 */
export const START_REQUEST_TIMEOUTS = {
  connectionTimeout: 1_000,
  requestTimeout: 30_000,
  throwOnRequestTimeout: true,
} as const;

/**
 * The scheduler's Step Functions client: `config` with the request time limits above (tests
 * pass shorter ones) and one attempt per send. The SDK's own retries would resend a request whose
 * answer was lost, and its ExecutionAlreadyExists would then read as a second fire of the same
 * instant; with one attempt per send, every retry is startScheduledExecution's, which tells the two
 * apart.
 */
export function createStartClient(
  config: Omit<SFNClientConfig, 'requestHandler' | 'maxAttempts'>,
  timeouts: { connectionTimeout: number; requestTimeout: number } = START_REQUEST_TIMEOUTS,
): SFNClient {
  // Options rather than a NodeHttpHandler instance: the SDK builds its own handler from them,
  // so @smithy/node-http-handler (an SDK dependency, not the project's) is not imported here.
  return new SFNClient({
    ...config,
    maxAttempts: 1,
    requestHandler: { ...timeouts, throwOnRequestTimeout: true },
  });
}

export interface ScheduledStartRequest {
  stateMachineArn: string;
  name: string;
  input: unknown;
}

export interface ScheduledStartOptions {
  /** Aborted when the scheduler stops: no retry after that. */
  signal?: AbortSignal;
  log: (line: string) => void;
  /** Delay before retry `n` (1-based); full jitter over the exponential bound by default. */
  delayMs?: (retry: number) => number;
}

/** Node's codes for a connection that failed or ended before an answer ("socket hang up" is ECONNRESET). */
const NO_ANSWER_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
/** The SDK's names for a request that timed out, including createStartClient's limits (TimeoutError). */
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
/** Throttling error codes of AWS APIs, as the SDK's own retry strategy lists them. */
const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ThrottledException',
  'SlowDown',
]);

/**
 * What EventBridge Scheduler retries: no answer (connection refused or reset, a timeout), a
 * 5xx answer, and throttling. Everything else (a 4xx answer such as a missing state machine, an
 * answer the SDK could not read, a TypeError in this process) fails the same way every time.
 */
export function isTransientStartFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  if (typeof status === 'number' && (status >= 500 || status === 429)) return true;
  if (THROTTLING_NAMES.has(error.name) || TIMEOUT_NAMES.has(error.name)) return true;
  const code = (error as { code?: unknown }).code;
  return status === undefined && typeof code === 'string' && NO_ANSWER_CODES.has(code);
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function defaultDelay(retry: number): number {
  return Math.random() * Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (retry - 1));
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Starts the scheduled run. Resolves once the execution exists (started now, or by an earlier
 * attempt whose answer was lost, or already before: a second fire of the same instant); throws
 * the last error when a failure is not transient, the event is older than a day, the
 * retries are spent, or the scheduler stopped.
 */
export async function startScheduledExecution(
  client: SFNClient,
  request: ScheduledStartRequest,
  options: ScheduledStartOptions,
): Promise<void> {
  const firstAttemptAt = Date.now();
  const delayMs = options.delayMs ?? defaultDelay;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(
        new StartExecutionCommand({
          stateMachineArn: request.stateMachineArn,
          name: request.name,
          input: JSON.stringify(request.input),
        }),
      );
      if (attempt > 1) options.log(`scheduler: ${request.name} started on attempt ${attempt}`);
      return;
    } catch (error) {
      // The deterministic name makes a second start of the same run a no-op, as on AWS.
      if (error instanceof ExecutionAlreadyExists) {
        options.log(
          attempt === 1
            ? `scheduler: ${request.name} was already started; not started again`
            : `scheduler: ${request.name} was started by attempt ${attempt - 1}, whose answer was lost; not started again`,
        );
        return;
      }
      if (!isTransientStartFailure(error)) {
        options.log(
          `scheduler: starting ${request.name} failed (${describeError(error)}); not retried: EventBridge Scheduler retries only network errors, timeouts, throttling and 5xx answers`,
        );
        throw error;
      }
      const retry = attempt;
      const wait = delayMs(retry);
      if (
        options.signal?.aborted ||
        retry > SCHEDULER_RETRY_POLICY.maximumRetryAttempts ||
        Date.now() + wait - firstAttemptAt > SCHEDULER_RETRY_POLICY.maximumEventAgeMs
      )
        throw error;
      options.log(
        `scheduler: starting ${request.name} failed (${error instanceof Error ? error.message : String(error)}); retry ${retry} in ${(wait / 1000).toFixed(1)} s, as EventBridge Scheduler retries`,
      );
      await sleep(wait, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}
