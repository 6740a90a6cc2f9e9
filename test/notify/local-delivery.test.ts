import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeNotifyResult,
  readUndeliveredNotifications,
  undeliveredNotificationsFile,
} from '../../local/notify/deliver.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.ts';
import {
  FIXTURES,
  makeJob,
  sfnClient,
  tempDataDir,
  waitForStatus,
  waitUntil,
} from '../local-runtime/helpers.ts';
import { readBody } from '../support/http.ts';

const RUNBOOK = 'https://wiki.example.com/display/OPS/Runbook?pageId=4711&section=purge';
const job = makeJob('purge-deleted-records', {
  runbookUrl: RUNBOOK,
  notifications: { on: ['FAILED', 'TIMED_OUT', 'ABORTED'], warnAfterConsecutiveSkips: 2 },
});
const failingDefinition = {
  StartAt: 'Run job task',
  States: {
    'Run job task': { Type: 'Pass', Next: 'Job failed' },
    'Job failed': { Type: 'Fail', Error: 'JobFailed', Cause: 'purge-deleted-records exited with code 3' },
  },
};

// The local runtime delivers status changes to the real notify Lambda handler (its middy
// chain, loaded from functions/), as EventBridge would; a webhook on 127.0.0.1 stands in for Slack.
describe('local delivery of status changes to the notify Lambda', () => {
  const posts: { path: string; body: string }[] = [];
  let webhook: Server;
  let base: string;
  const runtimes: LocalRuntime[] = [];

  beforeAll(async () => {
    webhook = createServer(async (request, response) => {
      posts.push({ path: request.url ?? '', body: await readBody(request) });
      // A revoked webhook: Slack answers 404 no_service, which is not worth retrying.
      if (request.url?.includes('revoked')) response.writeHead(404).end('no_service');
      else response.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const runtime of runtimes) await runtime.close();
    webhook.closeAllConnections();
    await new Promise((resolve) => webhook.close(resolve));
  });

  async function runtimeWithWebhook(
    path: string,
    warnings: string[],
    dataDir = tempDataDir(),
    notifyRetryDelaysMs = [10, 10],
  ) {
    const runtime = await startLocalRuntime({
      jobs: [job],
      definitions: { [job.name]: failingDefinition },
      containersDir: `${FIXTURES}/containers`,
      dataDir,
      port: 0,
      taskEnvironment: {},
      lambdaEnvironment: { SLACK_WEBHOOK_URL: `${base}${path}`, POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
      notifyRetryDelaysMs,
      warn: (message) => void warnings.push(message),
    });
    runtimes.push(runtime);
    return runtime;
  }

  async function failOnce(runtime: LocalRuntime, name: string) {
    const client = sfnClient(runtime.endpoint);
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: runtime.stateMachineArn(job.name), name, input: '{}' }),
    );
    return waitForStatus(client, executionArn ?? '');
  }

  it('posts a failure through the handler, with owner and a runbook URL that has ? and &, read from the tags', async () => {
    // Prepare
    const warnings: string[] = [];
    const runtime = await runtimeWithWebhook('/services/T0/B0/good', warnings);

    // Act
    const described = await failOnce(runtime, 'purge-fails');
    await waitUntil(() => posts.some((post) => post.path.endsWith('/good')));

    // Assess
    expect(described.status).toBe('FAILED');
    const body = posts.find((post) => post.path.endsWith('/good'))?.body ?? '';
    expect(body).toContain('purge-deleted-records FAILED (local): JobFailed');
    expect(body).toContain('@records-platform · #records-alerts');
    expect(body).toContain(`<${RUNBOOK}|Runbook>`);
    expect(warnings).toEqual([]);
  });

  it('retries a notification Slack refuses, then keeps it in the data folder and says so', async () => {
    // Prepare
    const warnings: string[] = [];
    const dataDir = tempDataDir();
    const runtime = await runtimeWithWebhook('/services/T0/B0/revoked', warnings, dataDir);

    // Act
    await failOnce(runtime, 'purge-fails-unheard');
    await waitUntil(() => warnings.length > 0);

    // Assess: three invocations (the first and Lambda's two retries), each posting once.
    expect(posts.filter((post) => post.path.endsWith('/revoked'))).toHaveLength(3);
    expect(warnings[0]).toContain(
      'notification of purge-fails-unheard (FAILED) was not delivered after 3 attempt(s)',
    );
    expect(warnings[0]).toContain('NotificationNotDelivered: Slack answered 404 no_service');
    expect(warnings[0]).toContain(undeliveredNotificationsFile(dataDir));
    const kept = readUndeliveredNotifications(dataDir);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({
      attempts: 3,
      error: 'NotificationNotDelivered',
      event: {
        'detail-type': 'Step Functions Execution Status Change',
        detail: { name: 'purge-fails-unheard' },
      },
    });
  });

  it('keeps a failed notification at once when the runtime stops, instead of waiting for its retries', async () => {
    // Prepare: retries a minute apart, as Lambda's are.
    const warnings: string[] = [];
    const dataDir = tempDataDir();
    const runtime = await runtimeWithWebhook(
      '/services/T0/B0/revoked-at-exit',
      warnings,
      dataDir,
      [60_000, 60_000],
    );
    await failOnce(runtime, 'purge-fails-at-exit');
    await waitUntil(() => posts.some((post) => post.path.endsWith('/revoked-at-exit')));

    // Act
    const started = Date.now();
    await runtime.close();

    // Assess
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readUndeliveredNotifications(dataDir)).toMatchObject([
      { attempts: 1, event: { detail: { name: 'purge-fails-at-exit' } } },
    ]);
  });
});

describe('terminal lines for what the notify Lambda returned', () => {
  it('prints the whole message when no webhook is configured, one line when posted, nothing when ignored', () => {
    const message = { text: ':red_circle: purge FAILED (local): JobFailed', blocks: [] };

    expect(describeNotifyResult({ action: 'printed', reason: 'no webhook configured', message })).toBe(
      'no SLACK_WEBHOOK_URL; the message follows\n:red_circle: purge FAILED (local): JobFailed',
    );
    expect(describeNotifyResult({ action: 'posted', reason: 'delivered after 1 attempt(s)', message })).toBe(
      'posted to Slack (delivered after 1 attempt(s))',
    );
    expect(
      describeNotifyResult({ action: 'ignored', reason: 'a SUCCEEDED execution that was not skipped' }),
    ).toBe(undefined);
  });
});
