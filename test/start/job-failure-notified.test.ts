import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, describe, expect, it } from 'vitest';
import { sfnClient } from '../local-runtime/helpers.ts';
import { type NotifyingStart, startNotifyingRuntime } from '../support/notifying-start.ts';

// Slow (the whole runtime in a child process): a real job container exits non-zero through
// the real scheduled-task definition; the failure is not retried and reaches a real webhook.
describe('npm start: a job failure', () => {
  let started: NotifyingStart | undefined;

  afterAll(async () => {
    await started?.close();
  });

  it('fails the execution as JobFailed without retrying the task, and posts it to the webhook', async () => {
    // Prepare
    started = await startNotifyingRuntime('/services/T0/B0/failure');
    const { dataDir, runtime, webhook } = started;
    const { posts } = webhook;
    const { endpoint } = JSON.parse(readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as {
      endpoint: string;
    };
    const client = sfnClient(endpoint);
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
