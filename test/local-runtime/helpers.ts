import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ECSClient } from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import type { TaskLog } from '../../local/console/ui/api.ts';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../local/runtime.ts';
import type { Definition } from '../../local/sfn/service.ts';
import { makeTaskJob } from '../support/job-spec.ts';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const REGION = 'ap-northeast-1';
export const ACCOUNT = '000000000000';

/** A job of the local-runtime suites: the test container, short timeouts and retry pauses. */
export function makeJob(name: string, overrides: Partial<JobSpec> = {}): JobSpec {
  return makeTaskJob({
    name,
    description: `test job ${name}`,
    runbookUrl: `https://runbooks.example.com/${name}`,
    schedule: 'cron(0 3 * * ? *)',
    container: 'test-task',
    command: ['succeed'],
    size: { cpu: 256, memory: 512 },
    timeoutSeconds: 60,
    retry: { maxAttempts: 3, intervalSeconds: 1, backoffRate: 2, retryOnJobFailure: false },
    notifications: { on: ['FAILED', 'TIMED_OUT', 'ABORTED'], warnAfterConsecutiveSkips: 0 },
    defaultInput: {},
    ...overrides,
  });
}

/**
 * One ECS task running the test container with `$.command` (or a fixed `command`);
 * optional Retry, a Catch of States.TaskFailed into a Fail state with `failWith`, and a timeout.
 */
export function taskDefinition(
  options: {
    timeoutSeconds?: number;
    spot?: boolean;
    retry?: unknown[];
    command?: string[];
    failWith?: { Error: string; Cause: string };
  } = {},
): Definition {
  return {
    StartAt: 'Run job task',
    States: {
      'Run job task': {
        Type: 'Task',
        Resource: 'arn:aws:states:::ecs:runTask.sync',
        Parameters: {
          Cluster: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/sfn-batch-test`,
          TaskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/sfn-batch-test-test-task:1`,
          CapacityProviderStrategy: [
            { CapacityProvider: options.spot === true ? 'FARGATE_SPOT' : 'FARGATE', Weight: 1 },
          ],
          Overrides: {
            Cpu: '256',
            Memory: '512',
            ContainerOverrides: [
              {
                Name: 'test-task',
                ...(options.command === undefined
                  ? { 'Command.$': '$.command' }
                  : { Command: options.command }),
                Environment: [{ Name: 'SFN_BATCH_INPUT', 'Value.$': 'States.JsonToString($)' }],
              },
            ],
          },
        },
        ...(options.timeoutSeconds === undefined ? {} : { TimeoutSeconds: options.timeoutSeconds }),
        ...(options.retry === undefined ? {} : { Retry: options.retry }),
        ...(options.failWith === undefined
          ? {}
          : { Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.failure', Next: 'Job failed' }] }),
        End: true,
      },
      ...(options.failWith === undefined ? {} : { 'Job failed': { Type: 'Fail', ...options.failWith } }),
    },
  };
}

/** Lambda, then a Choice, then a Wait and a Pass: exercises non-Task history events. */
export function lambdaDefinition(functionName: string): Definition {
  return {
    StartAt: 'Call function',
    States: {
      'Call function': {
        Type: 'Task',
        Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
        Parameters: {
          'input.$': '$',
          'executionArn.$': '$$.Execution.Id',
          'startTime.$': '$$.Execution.StartTime',
          'stateMachineArn.$': '$$.StateMachine.Id',
        },
        TimeoutSeconds: 30,
        ResultPath: '$.result',
        Next: 'Is it there?',
      },
      'Is it there?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.result.event.input.value', IsPresent: true, Next: 'Pause' }],
        Default: 'Missing',
      },
      Pause: { Type: 'Wait', Seconds: 1, Next: 'Done' },
      Done: { Type: 'Pass', End: true },
      Missing: { Type: 'Fail', Error: 'Missing', Cause: 'no value' },
    },
  };
}

export function tempDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'sfn-local-runtime-'));
}

export async function startTestRuntime(
  jobs: Array<{ job: JobSpec; definition?: Definition }>,
  options: Partial<LocalRuntimeOptions> = {},
): Promise<LocalRuntime> {
  return startLocalRuntime({
    jobs: jobs.map((item) => item.job),
    // Jobs without a definition get the real one, synthesised from statemachines/.
    definitions: Object.fromEntries(
      jobs.flatMap((item) => (item.definition === undefined ? [] : [[item.job.name, item.definition]])),
    ),
    dataDir: options.dataDir ?? tempDataDir(),
    port: 0,
    stage: 'test',
    region: REGION,
    accountId: ACCOUNT,
    taskEnvironment: {},
    containersDir: path.join(FIXTURES, 'containers'),
    functionsDir: path.join(FIXTURES, 'functions'),
    stopTimeoutSeconds: 1,
    timing: { waitMilliseconds: 10, retryIntervalMilliseconds: 10 },
    warn: () => undefined,
    ...options,
  });
}

export function sfnClient(endpoint: string): SFNClient {
  return new SFNClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

export function ecsClient(endpoint: string): ECSClient {
  return new ECSClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}

/** One runtime shared by the tests of a describe block, with SDK clients aimed at it. */
export interface SharedTestRuntime {
  readonly runtime: LocalRuntime;
  readonly sfn: SFNClient;
  readonly ecs: ECSClient;
}

/**
 * Starts one runtime before the enclosing describe block's tests and closes it after them.
 * Its fields are there from the block's first beforeAll on (hooks registered later can use them).
 * Options that depend on an earlier hook (a webhook's URL, say) come as a function, called
 * when the runtime starts.
 */
export function useTestRuntime(
  jobs: Array<{ job: JobSpec; definition?: Definition }>,
  options: Partial<LocalRuntimeOptions> | (() => Partial<LocalRuntimeOptions>) = {},
): SharedTestRuntime {
  let started: SharedTestRuntime | undefined;
  beforeAll(async () => {
    const runtime = await startTestRuntime(jobs, typeof options === 'function' ? options() : options);
    started = { runtime, sfn: sfnClient(runtime.endpoint), ecs: ecsClient(runtime.endpoint) };
  });
  afterAll(async () => {
    await started?.runtime.close();
  });
  const get = (): SharedTestRuntime => {
    // A describe body runs before its hooks: reading a field there is a test bug, not a slow start.
    if (started === undefined)
      throw new Error('useTestRuntime: the runtime starts in beforeAll; use it in hooks and tests');
    return started;
  };
  return {
    get runtime() {
      return get().runtime;
    },
    get sfn() {
      return get().sfn;
    },
    get ecs() {
      return get().ecs;
    },
  };
}

/**
 * For suites whose tests start their own runtimes: a startTestRuntime whose runtimes are all
 * closed after each test, passed or failed (close is idempotent: a test may close one itself,
 * to restart on the same data folder).
 */
export function runtimesPerTest(): typeof startTestRuntime {
  const started: LocalRuntime[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((runtime) => runtime.close()));
  });
  return async (jobs, options) => {
    const runtime = await startTestRuntime(jobs, options);
    started.push(runtime);
    return runtime;
  };
}

/** Polls DescribeExecution until the execution leaves RUNNING (or the test times out). */
export async function waitForStatus(client: SFNClient, executionArn: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    if (Date.now() > deadline) throw new Error(`${executionArn} still RUNNING after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** The runtime's record of an execution's tasks with their log lines (what the console reads). */
export async function taskLogs(endpoint: string, executionArn: string): Promise<TaskLog[]> {
  const response = await fetch(`${endpoint}/_local/logs?executionArn=${encodeURIComponent(executionArn)}`);
  const body = (await response.json()) as { tasks: TaskLog[] };
  return body.tasks;
}

/** Waits until the execution's first task has logged its container's `task started` line. */
export async function startedTask(
  endpoint: string,
  executionArn: string,
  timeoutMs = 10_000,
): Promise<TaskLog | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [task] = await taskLogs(endpoint, executionArn);
    if (task?.lines.some((line) => line.text.includes('task started'))) return task;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

/** The test container's pid, from the start line it logs (fixtures/containers/test-task). */
export function containerPid(task: TaskLog | undefined): number {
  const started = task?.lines.find((line) => line.text.includes('task started'));
  if (started === undefined)
    throw new Error(`no "task started" line in the log of ${task?.taskArn ?? 'any task'}`);
  return (JSON.parse(started.text) as { pid: number }).pid;
}
