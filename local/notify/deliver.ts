/**
 * The local stand-in for the EventBridge notify rules and Lambda's asynchronous invoke:
 * each status-change event the notify rules match goes to the real notify Lambda
 * handler (functions/notify-failure/handler.ts, its whole middy chain) in the shape AWS
 * delivers it. A failed invocation is retried, as Lambda retries an asynchronous
 * invocation; one that still fails is kept in `<dataDir>/notify/undelivered.jsonl` (the
 * local dead-letter queue, which the console can read) and reported on the terminal.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { renderPlainText, type SlackMessage } from '../../functions/notify-failure/block-kit.ts';
import {
  matchesNotifyRule,
  type StatusChangeEvent,
  statusChangeEventSchema,
} from '../../lib/contracts/status-change-event.ts';
import { WORKFLOW_LAMBDAS } from '../../lib/workflows/names.ts';
import type { LambdaInvoker } from '../lambda/invoke.ts';
import { TaskStateError } from '../sfn/errors.ts';

/** Lambda retries a failed asynchronous invocation twice by default; locally the pauses are seconds, not minutes. */
export const DEFAULT_NOTIFY_RETRY_DELAYS_MS: readonly number[] = [1000, 2000];

/** One notification the notify Lambda could not deliver, as kept in the local dead-letter file. */
export interface UndeliveredNotification {
  /** When the last attempt failed (ISO). */
  failedAt: string;
  attempts: number;
  error: string;
  cause: string;
  event: StatusChangeEvent;
}

export interface NotifyDeliveryOptions {
  lambda: Pick<LambdaInvoker, 'invoke'>;
  /** ARN of the notify Lambda (`sfn-batch-<stage>-notifyFailure`). */
  functionArn: string;
  /** Only this stage's state machines match the rules, as on AWS. */
  stateMachineArnPrefix: string;
  dataDir: string;
  retryDelaysMs?: readonly number[];
  warn: (message: string) => void;
  /** What the handler returned (posted, printed, ignored), for the terminal. */
  onDelivered?: (result: unknown, event: StatusChangeEvent) => void;
}

/** Where undelivered notifications are kept under a data directory. */
export function undeliveredNotificationsFile(dataDir: string): string {
  return path.join(dataDir, 'notify', 'undelivered.jsonl');
}

/** The undelivered notifications kept in a data directory, oldest first (a torn last line is skipped). */
export function readUndeliveredNotifications(dataDir: string): UndeliveredNotification[] {
  const file = undeliveredNotificationsFile(dataDir);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line) as UndeliveredNotification];
      } catch {
        return [];
      }
    });
}

/** The delivery the local runtime wires to its status-change events. */
export interface NotifyDelivery {
  deliver(event: unknown): Promise<void>;
  /**
   * At shutdown: a failed invocation is kept at once instead of waiting for its retries,
   * so Ctrl-C does not wait on an unreachable Slack, and nothing is lost.
   */
  stopRetrying(): void;
}

/** Returns the delivery the local runtime calls with every status-change event. */
export function notifyDelivery(options: NotifyDeliveryOptions): NotifyDelivery {
  const delays = options.retryDelaysMs ?? DEFAULT_NOTIFY_RETRY_DELAYS_MS;
  const timeoutSeconds = WORKFLOW_LAMBDAS.notifyFailure.timeoutSeconds;
  const stopping = new AbortController();
  /** Waits `ms`, or less when the runtime stops meanwhile. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        stopping.signal.removeEventListener('abort', wake);
        resolve();
      }, ms);
      stopping.signal.addEventListener('abort', wake, { once: true });
    });
  const deliver = async (raw: unknown): Promise<void> => {
    const event = statusChangeEventSchema.parse(raw);
    if (!matchesNotifyRule(event, options.stateMachineArnPrefix)) return;
    let failure = { error: 'Unknown', cause: '' };
    let attempts = 0;
    for (let attempt = 1; attempt <= delays.length + 1; attempt++) {
      attempts = attempt;
      try {
        const result = await options.lambda.invoke(options.functionArn, event, timeoutSeconds);
        options.onDelivered?.(result, event);
        return;
      } catch (error) {
        failure =
          error instanceof TaskStateError
            ? { error: error.name, cause: error.message }
            : { error: error instanceof Error ? error.name : 'Error', cause: String(error) };
      }
      const delay = delays[attempt - 1];
      if (delay === undefined || stopping.signal.aborted) break;
      await pause(delay);
      if (stopping.signal.aborted) break;
    }
    const record: UndeliveredNotification = {
      failedAt: new Date().toISOString(),
      attempts,
      ...failure,
      event,
    };
    const file = undeliveredNotificationsFile(options.dataDir);
    mkdirSync(path.dirname(file), { recursive: true });
    appendFileSync(file, `${JSON.stringify(record)}\n`);
    options.warn(
      `notification of ${event.detail.name} (${event.detail.status}) was not delivered after ${record.attempts} attempt(s) (${failure.error}: ${causeMessage(failure.cause)}); kept in ${file}`,
    );
  };
  return {
    deliver,
    stopRetrying: () => stopping.abort(),
  };
}

/** The `errorMessage` of a Lambda error cause, or the cause itself. */
function causeMessage(cause: string): string {
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed)
      return String(parsed.errorMessage);
  } catch {
    // Not JSON: use as is.
  }
  return cause;
}

const notifyResultSchema = z.object({
  action: z.enum(['ignored', 'posted', 'printed', 'failed']),
  reason: z.string(),
  message: z.object({ text: z.string(), blocks: z.array(z.looseObject({ type: z.string() })) }).optional(),
});

/**
 * The terminal text for what the notify Lambda returned: the whole message when it
 * was printed (no webhook configured), one line when it was posted, nothing when the
 * event needed no notification.
 */
export function describeNotifyResult(result: unknown): string | undefined {
  const parsed = notifyResultSchema.safeParse(result);
  if (!parsed.success) return undefined;
  const { action, reason, message } = parsed.data;
  if (action === 'posted') return `posted to Slack (${reason})`;
  if (action === 'printed' && message) {
    return `no SLACK_WEBHOOK_URL; the message follows\n${renderPlainText(message as SlackMessage)}`;
  }
  return undefined;
}
