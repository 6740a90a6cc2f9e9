/** `npm start` wired to a local stand-in for the Slack webhook, for the end-to-end notification suites. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type OutputProcess, startServingNpmStart } from './processes.ts';
import { startWebhookServer, type WebhookServer } from './webhook.ts';

export interface NotifyingStart {
  readonly dataDir: string;
  readonly runtime: OutputProcess;
  readonly webhook: WebhookServer;
  /** Kills the runtime if it still runs, closes the webhook and removes the data folder. */
  close(): Promise<void>;
}

/**
 * Starts a webhook, then `npm start` (no schedule, a free port, 100 seed records) in a fresh
 * data folder with SLACK_WEBHOOK_URL at `webhookPath` on it, and waits until it serves.
 * A start that fails is cleaned up before the error is thrown, so no runtime outlives the test.
 */
export async function startNotifyingRuntime(
  webhookPath: string,
  variables: Record<string, string> = {},
): Promise<NotifyingStart> {
  const webhook = await startWebhookServer();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-notify-'));
  const removeWebhookAndFolder = async () => {
    await webhook.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  let runtime: OutputProcess;
  try {
    ({ process: runtime } = await startServingNpmStart(dataDir, {
      SFN_BATCH_SEED_RECORDS: '100',
      SLACK_WEBHOOK_URL: webhook.url(webhookPath),
      ...variables,
    }));
  } catch (error) {
    await removeWebhookAndFolder();
    throw error;
  }
  return {
    dataDir,
    runtime,
    webhook,
    close: async () => {
      if (runtime.child.exitCode === null) runtime.child.kill('SIGKILL');
      await removeWebhookAndFolder();
    },
  };
}
