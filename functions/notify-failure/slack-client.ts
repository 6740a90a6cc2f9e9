/**
 * The Slack incoming-webhook client: one POST with retries (exponential backoff,
 * `Retry-After`, a per-attempt timeout), and the logger interface it reports through.
 * The webhook URL is a secret and is never logged.
 */
import type { SlackMessage } from './block-kit.ts';

type LogAttributes = { [key: string]: string | number | boolean | string[] };

/** The part of the Powertools logger the notifier uses. */
export interface NotifyLogger {
  info(message: string, ...attributes: LogAttributes[]): void;
  warn(message: string, ...attributes: LogAttributes[]): void;
  error(message: string, ...attributes: LogAttributes[]): void;
}

export interface WebhookPostOptions {
  maxAttempts: number;
  timeoutMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

const DEFAULT_POST: WebhookPostOptions = {
  maxAttempts: 4,
  timeoutMs: 5000,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * POSTs to a Slack incoming webhook. Retries 429, 5xx, network errors and
 * timeouts with exponential backoff (honouring `Retry-After`, capped), up to
 * `maxAttempts`. Other 4xx answers (bad payload, revoked webhook) are not retried.
 * Never throws. The URL is a secret: it is never logged.
 */
export async function postToWebhook(
  url: string,
  message: SlackMessage,
  logger: NotifyLogger,
  options: Partial<WebhookPostOptions> = {},
): Promise<{ delivered: boolean; attempts: number; reason: string }> {
  const settings = { ...DEFAULT_POST, ...options };
  const body = JSON.stringify(message);
  let reason = 'not attempted';
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
    let retryAfterMs: number | undefined;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      const text = await response.text().catch(() => '');
      if (response.ok) return { delivered: true, attempts: attempt, reason: 'ok' };
      reason = `Slack answered ${response.status}${text ? ` ${text.slice(0, 100)}` : ''}`;
      if (response.status !== 429 && response.status < 500) {
        logger.error(`Slack webhook rejected the message; not retrying: ${reason}`);
        return { delivered: false, attempts: attempt, reason };
      }
      const retryAfter = response.headers.get('retry-after');
      if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) retryAfterMs = Number(retryAfter) * 1000;
    } catch (error) {
      reason =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
          ? `no answer within ${settings.timeoutMs} ms`
          : `request failed: ${errorText(error)}`;
    }
    if (attempt === settings.maxAttempts) break;
    const backoff = settings.baseDelayMs * 2 ** (attempt - 1);
    const delay = Math.min(retryAfterMs ?? backoff, settings.maxDelayMs);
    logger.warn(
      `Slack webhook attempt ${attempt} of ${settings.maxAttempts} failed (${reason}); retrying in ${delay} ms`,
    );
    await settings.sleep(delay);
  }
  logger.error(`giving up on the Slack notification after ${settings.maxAttempts} attempts: ${reason}`);
  return { delivered: false, attempts: settings.maxAttempts, reason };
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
