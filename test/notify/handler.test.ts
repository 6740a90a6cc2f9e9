import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type NotifyOutcome,
  notifyExecutionStatusChange,
} from '../../functions/notify-failure/notify-failure.ts';
import { sfnExecutionApi } from '../../functions/notify-failure/sfn-execution-api.ts';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.ts';
import { makeJob, taskDefinition } from '../local-runtime/helpers.ts';
import { startWebhookServer, type WebhookServer } from '../support/webhook.ts';

const job: JobSpec = makeJob('purge-deleted-records', {
  description: 'test job',
  runbookUrl: 'https://wiki.example.com/runbooks/purge',
  container: 'batch-jobs',
  command: ['purge-deleted-records'],
  retry: { maxAttempts: 1, intervalSeconds: 1, backoffRate: 2, retryOnJobFailure: false },
  notifications: { on: ['FAILED', 'TIMED_OUT', 'ABORTED'], warnAfterConsecutiveSkips: 2 },
});

const caughtJob: JobSpec = { ...job, name: 'analyze-tables', command: ['analyze-tables'] };
// The local runtime suite's test container: `exit <code>`.
const TEST_CONTAINERS = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'local-runtime',
  'fixtures',
  'containers',
);

const skippingJob: JobSpec = {
  ...job,
  name: 'refresh-search-index',
  command: ['refresh-search-index'],
  notifications: { on: ['FAILED', 'TIMED_OUT', 'ABORTED'], warnAfterConsecutiveSkips: 3 },
};
const stormJob: JobSpec = { ...job, name: 'rebuild-stuck-index', command: ['rebuild-stuck-index'] };

// Started with {"hold":true} it stays RUNNING; started with {"blocker":<arn>} it is
// skipped at once, as the guard skips it while that execution runs.
const skippingDefinition = {
  StartAt: 'Hold?',
  States: {
    'Hold?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.hold', IsPresent: true, Next: 'Hold the run' }],
      Default: 'Skip duplicate start',
    },
    'Hold the run': { Type: 'Wait', Seconds: 600, End: true },
    'Skip duplicate start': {
      Type: 'Pass',
      Parameters: {
        decision: 'skip',
        reason: 'another execution is running',
        'blockingExecutionArn.$': '$.blocker',
      },
      End: true,
    },
  },
};

// The real Lambda wiring (middy + Powertools + SDK client from the environment) against the
// local runtime's Step Functions API and a real webhook server on 127.0.0.1.
describe('notify-failure handler', () => {
  let runtime: LocalRuntime;
  let dataDir: string;
  let webhook: WebhookServer;
  const events: unknown[] = [];
  const savedEnvironment = { ...process.env };

  beforeAll(async () => {
    webhook = await startWebhookServer();
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-notify-handler-'));
    runtime = await startLocalRuntime({
      jobs: [job, skippingJob, caughtJob, stormJob],
      // These tests call the handler themselves; the runtime's own delivery is covered in local-delivery.test.ts.
      notifyLambda: false,
      containersDir: TEST_CONTAINERS,
      definitions: {
        [caughtJob.name]: taskDefinition({
          command: ['exit', '3'],
          timeoutSeconds: 60,
          failWith: { Error: 'JobFailed', Cause: 'analyze-tables exited with code 3' },
        }),
        [skippingJob.name]: skippingDefinition,
        [stormJob.name]: skippingDefinition,
        [job.name]: {
          StartAt: 'Run job task',
          States: {
            'Run job task': { Type: 'Pass', Next: 'Job failed' },
            'Job failed': {
              Type: 'Fail',
              Error: 'JobFailed',
              Cause: 'purge-deleted-records exited with code 3',
            },
          },
        },
      },
      dataDir,
      port: 0,
      taskEnvironment: {},
      onStatusChangeEvent: async (event) => void events.push(event),
      warn: () => undefined,
    });
  });

  afterAll(async () => {
    process.env = savedEnvironment;
    await runtime?.close();
    await webhook?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let client: SFNClient | undefined;
  function sfnClient(): SFNClient {
    client ??= new SFNClient({
      endpoint: runtime.endpoint,
      region: 'ap-northeast-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    return client;
  }

  /** Starts a RUNNING execution for the skips of skippingJob to name as their blocker. */
  async function blockingExecution(jobName: string, name: string): Promise<string> {
    const started = await sfnClient().send(
      new StartExecutionCommand({
        stateMachineArn: runtime.stateMachineArn(jobName),
        name,
        input: '{"hold":true}',
      }),
    );
    return started.executionArn ?? '';
  }

  async function runToEnd(jobName: string, name: string, input = '{}'): Promise<unknown> {
    const client = sfnClient();
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: runtime.stateMachineArn(jobName), name, input }),
    );
    for (;;) {
      const described = await client.send(new DescribeExecutionCommand({ executionArn }));
      const event = events.find(
        (candidate) =>
          (candidate as { detail?: { executionArn?: string } }).detail?.executionArn === executionArn,
      );
      if (described.status !== 'RUNNING' && event) return event;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async function loadHandler() {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SFN: runtime.endpoint,
      AWS_REGION: 'ap-northeast-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      SLACK_WEBHOOK_URL: webhook.url('/services/T0/B0/x'),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    vi.resetModules();
    const { handler } = await import('../../functions/notify-failure/handler.ts');
    const context = {
      functionName: 'sfn-batch-local-notifyFailure',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:ap-northeast-1:000000000000:function:sfn-batch-local-notifyFailure',
      memoryLimitInMB: '256',
      awsRequestId: 'request-1',
      logGroupName: '/aws/lambda/sfn-batch-local-notifyFailure',
      logStreamName: 'stream',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => 30_000,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    return (event: unknown) => handler(event, context as unknown as Parameters<typeof handler>[1]);
  }

  it('posts the failure the local runtime emits, with details fetched from the API', async () => {
    // Prepare
    const event = await runToEnd(job.name, 'purge-fails');
    const invoke = await loadHandler();

    // Act
    const outcome = await invoke(event);

    // Assess
    expect(outcome).toMatchObject({ action: 'posted' });
    const message = JSON.stringify(webhook.posts[0]);
    expect(message).toContain('purge-deleted-records FAILED (local): JobFailed');
    expect(message).toContain('purge-deleted-records exited with code 3');
    expect(message).toContain('*Failed state*\\nJob failed');
    expect(message).toContain('@records-platform · #records-alerts');
    expect(message).toContain('<https://wiki.example.com/runbooks/purge|Runbook>');
  });

  it('names the task state that failed, not the Fail state the Catch routed to', async () => {
    // Prepare
    const event = await runToEnd(caughtJob.name, 'analyze-fails');
    const invoke = await loadHandler();

    // Act
    await invoke(event);

    // Assess
    const message = JSON.stringify(webhook.posts.at(-1));
    expect(message).toContain('analyze-tables FAILED (local): JobFailed');
    expect(message).toContain('*Failed state*\\nRun job task');
  });

  it('warns on the third skipped start in a row (threshold 3, from the state machine tag)', async () => {
    // Prepare
    const invoke = await loadHandler();
    const input = JSON.stringify({ blocker: await blockingExecution(skippingJob.name, 'still-running') });
    await runToEnd(skippingJob.name, 'skip-1', input);
    const second = await runToEnd(skippingJob.name, 'skip-2', input);
    const before = webhook.posts.length;

    // Act
    const afterTwo = await invoke(second);
    const third = await runToEnd(skippingJob.name, 'skip-3', input);
    const afterThree = await invoke(third);

    // Assess
    expect(afterTwo).toMatchObject({ action: 'ignored' });
    expect(afterThree).toMatchObject({ action: 'posted' });
    expect(webhook.posts.length).toBe(before + 1);
    expect(JSON.stringify(webhook.posts.at(-1))).toContain(
      'refresh-search-index: 3 consecutive starts skipped',
    );
  });

  it('posts 7 warnings, not one per skip, in a storm of 200 skips (threshold 2, every ListExecutions page)', async () => {
    // Prepare: the real SDK adapter with small pages, so the streak is counted across pages.
    const client = sfnClient();
    // A new blocking run: the streak counts the skips since it started.
    const input = JSON.stringify({ blocker: await blockingExecution(stormJob.name, 'stuck-for-the-storm') });
    const outcomes: NotifyOutcome[] = [];
    const deps = {
      api: sfnExecutionApi(client, 25),
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      webhookUrl: webhook.url('/services/T0/B0/storm'),
      links: { kind: 'local' as const, endpoint: runtime.endpoint, consoleUrl: undefined },
    };
    const before = webhook.posts.length;

    // Act: each skip is notified as it ends, while later ones have not started yet.
    for (let index = 1; index <= 200; index++) {
      outcomes.push(
        await notifyExecutionStatusChange(await runToEnd(stormJob.name, `storm-${index}`, input), deps),
      );
    }

    // Assess
    const warnings = webhook.posts.slice(before).map((post) => JSON.stringify(post));
    expect(warnings.map((text) => /(\d+) consecutive starts skipped/.exec(text)?.[1])).toEqual([
      '2',
      '4',
      '8',
      '16',
      '32',
      '64',
      '128',
    ]);
    expect(warnings[0]).toContain('Next warning at 4 skips in a row');
    expect(outcomes.at(-1)).toMatchObject({
      action: 'ignored',
      reason: '200 consecutive skips; the next warning is at 256',
    });
  }, 60_000);
});
