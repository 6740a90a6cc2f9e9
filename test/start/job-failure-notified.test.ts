import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, describe, expect, it } from 'vitest';
import { type OutputProcess, startNpmStart } from '../support/processes.ts';
import { startWebhookServer, type WebhookServer } from '../support/webhook.ts';

// Slow (the whole runtime in a child process): a real job container exits non-zero through
// the real scheduled-task definition; the failure is not retried and reaches a real webhook.
describe('npm start: a job failure', () => {
  let dataDir: string;
  let runtime: OutputProcess | undefined;
  let webhook: WebhookServer | undefined;

  afterAll(async () => {
    if (runtime && runtime.child.exitCode === null) runtime.child.kill('SIGKILL');
    await webhook?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails the execution as JobFailed without retrying the task, and posts it to the webhook', async () => {
    // Prepare
    webhook = await startWebhookServer();
    const { posts } = webhook;
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-job-failure-'));
    runtime = startNpmStart(dataDir, ['--no-schedule', '--port', '0'], {
      SFN_BATCH_SEED_RECORDS: '100',
      SLACK_WEBHOOK_URL: webhook.url('/services/T0/B0/failure'),
    });
    await runtime.waitForOutput('Run a job now');
    const { endpoint } = JSON.parse(readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as {
      endpoint: string;
    };
    const client = new SFNClient({
      endpoint,
      region: 'ap-northeast-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const stateMachineArn = `arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-local-purge-deleted-records`;

    // Act: -5 passes the execution-input rule (retentionDays is a declared number), but the
    // container itself refuses it and exits 2, as a job failing on its input would on AWS.
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: 'purge-bad-retention',
        input: JSON.stringify({ params: { retentionDays: -5 } }),
      }),
    );
    let status = 'RUNNING';
    let described = await client.send(new DescribeExecutionCommand({ executionArn }));
    while (status === 'RUNNING') {
      await new Promise((resolve) => setTimeout(resolve, 200));
      described = await client.send(new DescribeExecutionCommand({ executionArn }));
      status = described.status ?? 'UNKNOWN';
    }
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    await runtime.waitWhileRunning(() => posts.length > 0);
    runtime.child.kill('SIGINT');
    await runtime.exit;

    // Assess
    expect(status).toBe('FAILED');
    expect(described.error).toBe('JobFailed');
    expect(described.cause).toContain('container exited with code 2');
    const taskStarts = events.filter(
      (event) => event.type === 'TaskStateEntered' && event.stateEnteredEventDetails?.name === 'Run job task',
    );
    expect(taskStarts).toHaveLength(1);
    const message = JSON.stringify(posts[0]);
    expect(message).toContain('purge-deleted-records FAILED');
    expect(message).toContain('JobFailed');
  }, 240_000);
});
