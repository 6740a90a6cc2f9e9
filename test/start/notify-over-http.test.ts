import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchctl, type OutputProcess, startNpmStart } from '../support/processes.ts';
import { startWebhookServer, type WebhookServer } from '../support/webhook.ts';

// Slow (the whole runtime in a child process): the local runtime's status change event reaches
// the notify logic, which POSTs to a real webhook server on 127.0.0.1.
describe('npm start failure notifications', () => {
  let dataDir: string;
  let runtime: OutputProcess | undefined;
  let webhook: WebhookServer | undefined;

  afterAll(async () => {
    if (runtime && runtime.child.exitCode === null) runtime.child.kill('SIGKILL');
    await webhook?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('posts an ABORTED execution to the Slack webhook with job, status and owner', async () => {
    // Prepare: every RunTask fails with a capacity error, so the run waits in its retries until stopped.
    webhook = await startWebhookServer();
    const { posts } = webhook;
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-notify-'));
    runtime = startNpmStart(dataDir, ['--no-schedule', '--port', '0'], {
      SFN_BATCH_SEED_RECORDS: '100',
      SFN_BATCH_FAULTS: '{"capacityUnavailable":1}',
      SLACK_WEBHOOK_URL: webhook.url('/services/T0/B0/local'),
    });
    await runtime.waitForOutput('Run a job now');

    // Act
    const started = await batchctl(dataDir, ['run', 'analyze-tables', '--name', 'analyze-tables-notify-me']);
    const stopped = await batchctl(dataDir, ['stop', 'analyze-tables-notify-me']);
    await runtime.waitWhileRunning(() => posts.length > 0);
    runtime.child.kill('SIGINT');
    await runtime.exit;

    // Assess
    expect(started.code).toBe(0);
    expect(stopped.code).toBe(0);
    expect(runtime.output).toContain('Fault injection     {"capacityUnavailable":1} from SFN_BATCH_FAULTS');
    const message = JSON.stringify(posts[0]);
    expect(message).toContain('analyze-tables ABORTED');
    expect(message).toContain('StoppedByOperator');
    expect(message).toContain('*Owner*');
    expect(message).toContain('batchctl logs analyze-tables-notify-me');
  }, 240_000);
});
