import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type LinkTarget,
  MAX_CAUSE_LENGTH,
  type SlackMessage,
  summarizeCause,
} from '../../functions/notify-failure/block-kit.ts';
import {
  isSkipWarningPoint,
  type NotifyDependencies,
  nextSkipWarningAfter,
  notifyExecutionStatusChange,
} from '../../functions/notify-failure/notify-failure.ts';
import type { ExecutionApi, ExecutionDetails } from '../../functions/notify-failure/sfn-execution-api.ts';

const REGION = 'ap-northeast-1';
const STATE_MACHINE = `arn:aws:states:${REGION}:123456789012:stateMachine:sfn-batch-prod-aggregate-daily`;
const EXECUTION = `arn:aws:states:${REGION}:123456789012:execution:sfn-batch-prod-aggregate-daily:aggregate-daily-20261201T0000Z`;
const AWS_LINKS: LinkTarget = { kind: 'aws', region: REGION, taskLogGroup: '/sfn-batch/prod/tasks' };

/** A real HTTP server on 127.0.0.1 that records POSTs and answers from a script. */
class RecordingWebhook {
  posts: unknown[] = [];
  private server: Server | undefined;
  private readonly answer: (attempt: number, response: ServerResponse) => void;
  constructor(answer: (attempt: number, response: ServerResponse) => void) {
    this.answer = answer;
  }

  async listen(): Promise<string> {
    this.server = createServer((request: IncomingMessage, response: ServerResponse) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        this.posts.push(JSON.parse(body));
        this.answer(this.posts.length, response);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/services/T000/B000/XXXX`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

function ok(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
}

interface FakeExecution extends ExecutionDetails {
  executionArn: string;
}

function fakeApi(executions: FakeExecution[], tags: Record<string, string>): ExecutionApi {
  return {
    describeExecution: async (arn) => {
      const found = executions.find((execution) => execution.executionArn === arn);
      if (!found) throw new Error(`ExecutionDoesNotExist: ${arn}`);
      return found;
    },
    failedStateName: async () => 'Run job task',
    stateMachineTags: async () => tags,
    executionsNewestFirst: async function* (_arn, status) {
      for (const execution of executions) {
        if ((status === undefined || execution.status === status) && execution.startDate) {
          yield { executionArn: execution.executionArn, startDate: execution.startDate };
        }
      }
    },
  };
}

const OWNER_TAGS = {
  job: 'aggregate-daily',
  team: 'records-platform',
  'slack-channel': '#records-alerts',
  runbook: 'https://wiki.example.com/runbooks/aggregate-daily',
};

function statusEvent(status: string, overrides: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: 'b0c0d0e0-0000-4000-8000-000000000001',
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    account: '123456789012',
    time: '2026-11-30T15:12:04Z',
    region: REGION,
    resources: [EXECUTION],
    detail: {
      executionArn: EXECUTION,
      stateMachineArn: STATE_MACHINE,
      name: 'aggregate-daily-20261201T0000Z',
      status,
      startDate: Date.parse('2026-11-30T15:00:00Z'),
      stopDate: Date.parse('2026-11-30T15:12:03Z'),
      input: '{}',
      output: null,
      error: null,
      cause: null,
      ...overrides,
    },
  };
}

const ecsCause = JSON.stringify({
  StopCode: 'EssentialContainerExited',
  StoppedReason: 'Essential container in task exited',
  Containers: [{ Name: 'batch-jobs', ExitCode: 3 }],
  TaskArn: 'arn:aws:ecs:ap-northeast-1:123456789012:task/sfn-batch/abc',
  Overrides: {
    ContainerOverrides: [{ Environment: [{ Name: 'SFN_BATCH_INPUT', Value: 'x'.repeat(5000) }] }],
  },
});

const failedExecution: FakeExecution = {
  executionArn: EXECUTION,
  status: 'FAILED',
  startDate: new Date('2026-11-30T15:00:00Z'),
  stopDate: new Date('2026-11-30T15:12:03Z'),
  error: 'States.TaskFailed',
  cause: ecsCause,
  output: undefined,
};

function recordingLogger() {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    logger: {
      info: (message: string) => void lines.push({ level: 'info', message }),
      warn: (message: string) => void lines.push({ level: 'warn', message }),
      error: (message: string) => void lines.push({ level: 'error', message }),
    },
  };
}

function dependencies(
  api: ExecutionApi,
  webhookUrl: string | undefined,
  sleeps: number[] = [],
): NotifyDependencies {
  return {
    api,
    webhookUrl,
    links: AWS_LINKS,
    logger: recordingLogger().logger,
    post: { sleep: async (ms) => void sleeps.push(ms), timeoutMs: 500, maxAttempts: 3 },
  };
}

function allText(message: unknown): string {
  return JSON.stringify(message);
}

describe('notify-failure', () => {
  let webhook: RecordingWebhook | undefined;

  afterEach(async () => {
    await webhook?.close();
    webhook = undefined;
  });

  it('posts a Block Kit message with job, status, error, trimmed cause, duration, owner and links', async () => {
    // Prepare
    webhook = new RecordingWebhook((_attempt, response) => ok(response));
    const url = await webhook.listen();

    // Act
    const outcome = await notifyExecutionStatusChange(
      statusEvent('FAILED'),
      dependencies(fakeApi([failedExecution], OWNER_TAGS), url),
    );

    // Assess
    expect(outcome.action).toBe('posted');
    expect(webhook.posts).toHaveLength(1);
    const message = webhook.posts[0] as SlackMessage;
    expect(message.text).toBe(':red_circle: aggregate-daily FAILED (prod): States.TaskFailed');
    expect(message.blocks.map((block) => block.type)).toEqual(['header', 'section', 'section', 'context']);
    const text = allText(message);
    expect(text).toContain('*Duration*\\n12m 3s');
    expect(text).toContain('@records-platform · #records-alerts');
    expect(text).toContain('*Failed state*\\nRun job task');
    expect(text).toContain('StopCode EssentialContainerExited');
    expect(text).toContain('batch-jobs exit code 3');
    expect(text).not.toContain('xxxxxxxxxx');
    expect(text).toContain(
      `https://${REGION}.console.aws.amazon.com/states/home?region=${REGION}#/v2/executions/details/${EXECUTION}`,
    );
    expect(text).toContain('log-group/$252Fsfn-batch$252Fprod$252Ftasks/log-events$3FfilterPattern$3D');
    expect(text).toContain('<https://wiki.example.com/runbooks/aggregate-daily|Runbook>');
  });

  it('retries a 500 answer and then delivers', async () => {
    // Prepare
    webhook = new RecordingWebhook((attempt, response) =>
      attempt === 1 ? response.writeHead(500).end('internal_error') : ok(response),
    );
    const url = await webhook.listen();
    const sleeps: number[] = [];

    // Act
    const outcome = await notifyExecutionStatusChange(
      statusEvent('TIMED_OUT'),
      dependencies(
        fakeApi([{ ...failedExecution, status: 'TIMED_OUT', error: 'States.Timeout' }], OWNER_TAGS),
        url,
        sleeps,
      ),
    );

    // Assess
    expect(outcome).toMatchObject({ action: 'posted', reason: 'delivered after 2 attempt(s)' });
    expect(webhook.posts).toHaveLength(2);
    expect(sleeps).toEqual([500]);
  });

  it('waits as long as Retry-After asks on a 429', async () => {
    // Prepare
    webhook = new RecordingWebhook((attempt, response) =>
      attempt === 1 ? response.writeHead(429, { 'retry-after': '2' }).end('rate_limited') : ok(response),
    );
    const url = await webhook.listen();
    const sleeps: number[] = [];

    // Act
    await notifyExecutionStatusChange(
      statusEvent('FAILED'),
      dependencies(fakeApi([failedExecution], OWNER_TAGS), url, sleeps),
    );

    // Assess
    expect(sleeps).toEqual([2000]);
    expect(webhook.posts).toHaveLength(2);
  });

  it('gives up after the last attempt without throwing', async () => {
    // Prepare
    webhook = new RecordingWebhook((_attempt, response) =>
      response.writeHead(503).end('service unavailable'),
    );
    const url = await webhook.listen();
    const sleeps: number[] = [];

    // Act
    const outcome = await notifyExecutionStatusChange(
      statusEvent('FAILED'),
      dependencies(fakeApi([failedExecution], OWNER_TAGS), url, sleeps),
    );

    // Assess
    expect(outcome).toMatchObject({ action: 'failed', reason: 'Slack answered 503 service unavailable' });
    expect(webhook.posts).toHaveLength(3);
    expect(sleeps).toEqual([500, 1000]);
  });

  it('treats a webhook that does not answer in time as a retryable failure', async () => {
    // Prepare: the server never answers.
    webhook = new RecordingWebhook(() => undefined);
    const url = await webhook.listen();
    const deps = dependencies(fakeApi([failedExecution], OWNER_TAGS), url);
    deps.post = { timeoutMs: 150, maxAttempts: 2, sleep: async () => undefined };

    // Act
    const outcome = await notifyExecutionStatusChange(statusEvent('FAILED'), deps);

    // Assess
    expect(outcome).toMatchObject({ action: 'failed', reason: 'no answer within 150 ms' });
    expect(webhook.posts).toHaveLength(2);
  });

  it('does not retry a webhook that rejects the payload', async () => {
    // Prepare
    webhook = new RecordingWebhook((_attempt, response) => response.writeHead(400).end('invalid_blocks'));
    const url = await webhook.listen();

    // Act
    const outcome = await notifyExecutionStatusChange(
      statusEvent('FAILED'),
      dependencies(fakeApi([failedExecution], OWNER_TAGS), url),
    );

    // Assess
    expect(outcome.action).toBe('failed');
    expect(webhook.posts).toHaveLength(1);
  });

  it('ignores running and ordinary successful executions', async () => {
    // Prepare
    webhook = new RecordingWebhook((_attempt, response) => ok(response));
    const url = await webhook.listen();
    const deps = dependencies(fakeApi([failedExecution], OWNER_TAGS), url);

    // Act
    const running = await notifyExecutionStatusChange(statusEvent('RUNNING'), deps);
    const succeeded = await notifyExecutionStatusChange(
      statusEvent('SUCCEEDED', { output: '{"decision":"run"}' }),
      deps,
    );

    // Assess
    expect([running.action, succeeded.action]).toEqual(['ignored', 'ignored']);
    expect(webhook.posts).toEqual([]);
  });

  it('honours the statuses a job asks to be notified about', async () => {
    // Prepare
    webhook = new RecordingWebhook((_attempt, response) => ok(response));
    const url = await webhook.listen();
    const deps = dependencies(fakeApi([failedExecution], { ...OWNER_TAGS, 'notify-on': 'FAILED' }), url);

    // Act
    const outcome = await notifyExecutionStatusChange(statusEvent('ABORTED'), deps);

    // Assess
    expect(outcome).toMatchObject({
      action: 'ignored',
      reason: 'job aggregate-daily does not notify on ABORTED',
    });
    expect(webhook.posts).toEqual([]);
  });

  it('prints the message through the logger when no webhook is configured', async () => {
    // Prepare
    const { lines, logger } = recordingLogger();
    const deps: NotifyDependencies = {
      ...dependencies(fakeApi([failedExecution], OWNER_TAGS), undefined),
      logger,
      links: { kind: 'local', endpoint: 'http://127.0.0.1:8083', consoleUrl: undefined },
    };

    // Act
    const outcome = await notifyExecutionStatusChange(statusEvent('FAILED'), deps);

    // Assess
    expect(outcome.action).toBe('printed');
    expect(lines[0]?.message).toContain('aggregate-daily FAILED');
    expect(lines[0]?.message).toContain(
      `Task logs: http://127.0.0.1:8083/_local/logs?executionArn=${encodeURIComponent(EXECUTION)}`,
    );
  });

  it('warns when a job has been skipped as many times in a row as its threshold', async () => {
    // Prepare
    webhook = new RecordingWebhook((_attempt, response) => ok(response));
    const url = await webhook.listen();
    const minute = (n: number) => new Date(Date.parse('2026-11-30T15:00:00Z') + n * 60_000);
    const running: FakeExecution = {
      ...failedExecution,
      executionArn: `${EXECUTION}-long`,
      status: 'RUNNING',
      startDate: minute(0),
    };
    const skipped = (index: number): FakeExecution => ({
      executionArn: `${EXECUTION}-skip${index}`,
      status: 'SUCCEEDED',
      startDate: minute(index),
      stopDate: minute(index),
      error: undefined,
      cause: undefined,
      output: JSON.stringify({ decision: 'skip', blockingExecutionArn: running.executionArn }),
    });
    // A run that ended before the stuck one started does not count.
    const ran: FakeExecution = {
      ...skipped(-5),
      executionArn: `${EXECUTION}-ran`,
      output: '{"decision":"run"}',
    };
    const tags = { ...OWNER_TAGS, 'warn-after-consecutive-skips': '3' };
    const eventFor = (execution: FakeExecution) =>
      statusEvent('SUCCEEDED', {
        executionArn: execution.executionArn,
        startDate: execution.startDate?.getTime(),
        output: execution.output,
      });
    const history = [skipped(3), skipped(2), skipped(1), running, ran];

    // Act
    const twice = await notifyExecutionStatusChange(
      eventFor(skipped(2)),
      dependencies(fakeApi(history, tags), url),
    );
    const thrice = await notifyExecutionStatusChange(
      eventFor(skipped(3)),
      dependencies(fakeApi(history, tags), url),
    );

    // Assess
    expect(twice).toMatchObject({
      action: 'ignored',
      reason: '2 consecutive skips; the next warning is at 3',
    });
    expect(thrice.action).toBe('posted');
    expect(webhook.posts).toHaveLength(1);
    expect(allText(webhook.posts[0])).toContain('3 consecutive starts skipped');
    expect(allText(webhook.posts[0])).toContain('Still running');
    expect(allText(webhook.posts[0])).toContain('Next warning at 6 skips in a row');
  });

  it('counts a skip whose guard is still running, so a later skip that ends first gets its own place in the streak', async () => {
    // Prepare
    webhook = new RecordingWebhook((_attempt, response) => ok(response));
    const url = await webhook.listen();
    const minute = (n: number) => new Date(Date.parse('2026-11-30T15:00:00Z') + n * 60_000);
    const blocking: FakeExecution = {
      ...failedExecution,
      executionArn: `${EXECUTION}-long`,
      status: 'RUNNING',
      startDate: minute(0),
    };
    const skip = (index: number, status: 'RUNNING' | 'SUCCEEDED'): FakeExecution => ({
      executionArn: `${EXECUTION}-skip${index}`,
      status,
      startDate: minute(index),
      stopDate: status === 'SUCCEEDED' ? minute(index) : undefined,
      error: undefined,
      cause: undefined,
      output: JSON.stringify({ decision: 'skip', blockingExecutionArn: blocking.executionArn }),
    });
    const tags = { ...OWNER_TAGS, 'warn-after-consecutive-skips': '2' };
    const eventFor = (execution: FakeExecution) =>
      statusEvent('SUCCEEDED', {
        executionArn: execution.executionArn,
        startDate: execution.startDate?.getTime(),
        output: execution.output,
      });
    // The third skip ends while the second one's guard still runs; then the second ends.
    const whileSecondRuns = [skip(3, 'SUCCEEDED'), skip(2, 'RUNNING'), skip(1, 'SUCCEEDED'), blocking];
    const afterwards = [skip(3, 'SUCCEEDED'), skip(2, 'SUCCEEDED'), skip(1, 'SUCCEEDED'), blocking];

    // Act
    const third = await notifyExecutionStatusChange(
      eventFor(skip(3, 'SUCCEEDED')),
      dependencies(fakeApi(whileSecondRuns, tags), url),
    );
    const second = await notifyExecutionStatusChange(
      eventFor(skip(2, 'SUCCEEDED')),
      dependencies(fakeApi(afterwards, tags), url),
    );

    // Assess: one warning, at 2 (the second skip); the third is not a warning point.
    expect(third).toMatchObject({
      action: 'ignored',
      reason: '3 consecutive skips; the next warning is at 4',
    });
    expect(second.action).toBe('posted');
    expect(webhook.posts).toHaveLength(1);
    expect(allText(webhook.posts[0])).toContain('2 consecutive starts skipped');
  });

  it('warns at the threshold and then at twice, four times, ... the threshold', () => {
    const points = Array.from({ length: 200 }, (_, index) => index + 1).filter((streak) =>
      isSkipWarningPoint(streak, 3),
    );
    expect(points).toEqual([3, 6, 12, 24, 48, 96, 192]);
    expect(nextSkipWarningAfter(12, 3)).toBe(24);
    expect(nextSkipWarningAfter(13, 3)).toBe(24);
  });

  it('shows only the message of a Lambda error cause, not its stack trace', () => {
    const cause = JSON.stringify({
      errorType: 'InvalidExecutionInput',
      errorMessage: 'params.bogus is not a parameter of purge',
      trace: [
        'InvalidExecutionInput: params.bogus ...',
        '    at parseExecutionInput (execution-input.ts:181:11)',
      ],
    });

    expect(summarizeCause(cause)).toBe('params.bogus is not a parameter of purge');
  });

  it('keeps a long plain cause within the trim limit', () => {
    expect(summarizeCause('y'.repeat(10_000))?.length).toBe(MAX_CAUSE_LENGTH);
  });

  it('ignores an event that is not a Step Functions status change', async () => {
    // Prepare
    const deps = dependencies(fakeApi([], {}), undefined);

    // Act
    const outcome = await notifyExecutionStatusChange({ source: 'aws.ecs', detail: {} }, deps);

    // Assess
    expect(outcome.action).toBe('ignored');
  });
});
