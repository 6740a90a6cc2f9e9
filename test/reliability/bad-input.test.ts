/**
 * The bad input catalogue (issue 12): malformed schedule files, execution input, HTTP bodies
 * and clients, and a broken database, storage folder or Slack webhook, each through the
 * entry point a user meets it at. Every case gets a clear error, starts nothing, writes
 * nothing, and leaves the server answering. The cases are tables, so their count shows.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  RedriveExecutionCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualExecutionName, validateManualInput } from '../../cli/commands/run.ts';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import { loadScheduleCatalogue, type ScheduleProblem } from '../../lib/schedule/load.ts';
import { seedDemoData } from '../../lib/seed/index.ts';
import { createConsoleRoutes } from '../../local/console/routes.ts';
import { readUndeliveredNotifications, undeliveredNotificationsFile } from '../../local/notify/deliver.ts';
import { writeRuntimeFile } from '../../local/runtime-file.ts';
import { openTestDatabase, type TestDatabase, withAdmin } from '../db/database-fixtures.ts';
import {
  REGION,
  sfnClient,
  startTestRuntime,
  taskLogs,
  useTestRuntime,
  waitForStatus,
  waitUntil,
} from '../local-runtime/helpers.ts';
import { folderChanges, folderSnapshot } from '../support/folder-snapshot.ts';
import { type PlainResponse, sendRequest, slowClient } from '../support/http.ts';
import {
  awsCli,
  batchctl,
  isolatedEnv,
  NODE,
  type ProcessResult,
  REPO,
  runProcess,
} from '../support/processes.ts';
import { SCHEDULE_CASES } from './fixtures/bad-input/schedule-cases.ts';

/** The slow-client limits of the shared runtime below. */
const SLOW_HEADERS_MS = 2000;
const SLOW_REQUEST_MS = 4000;

/** A heap far below "GBs": a schedule file that made the loader allocate more would crash it. */
const SMALL_HEAP = '--max-old-space-size=192';

describe(`bad schedule files (${SCHEDULE_CASES.length} cases)`, () => {
  const project = mkdtempSync(path.join(tmpdir(), 'sfn-bad-schedules-'));
  const schedules = path.join(project, 'schedules');
  const dataDir = path.join(project, 'data');
  let validate: { problems: ScheduleProblem[]; jobs: number; valid: boolean };
  let validateRun: ProcessResult;
  let start: ProcessResult;

  beforeAll(async () => {
    mkdirSync(schedules);
    symlinkSync(path.join(REPO, 'containers'), path.join(project, 'containers'));
    copyFileSync(path.join(REPO, 'schedules', '_defaults.yml'), path.join(schedules, '_defaults.yml'));
    for (const badCase of SCHEDULE_CASES) writeFileSync(path.join(schedules, badCase.file), badCase.content);
    const env = isolatedEnv(project, { SFN_BATCH_DATA_DIR: dataDir, NODE_OPTIONS: SMALL_HEAP });
    // Both read the same folder and write nothing: they run side by side.
    [validateRun, start] = await Promise.all([
      runProcess(
        NODE,
        [path.join(REPO, 'cli', 'batchctl.ts'), 'validate', '--format', 'json', '--root', project],
        {
          cwd: REPO,
          env,
        },
      ),
      runProcess(NODE, [path.join(REPO, 'local', 'main.ts'), '--schedules', schedules, '--port', '0'], {
        cwd: REPO,
        env,
      }),
    ]);
    validate = JSON.parse(validateRun.stdout) as typeof validate;
  }, 120_000);

  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
  });

  it('batchctl validate exits 1 and npm start refuses to start, opening no database and writing nothing', () => {
    expect(validateRun.code).toBe(1);
    expect(validateRun.stderr).toBe('');
    expect(validate).toMatchObject({ valid: false, jobs: 0 });
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('problem(s) in schedules/ (the same as "npm run batchctl -- validate")');
    expect(start.stdout).not.toContain('local runtime is up');
    expect(existsSync(dataDir)).toBe(false);
    expect(readdirSync(schedules).length).toBe(SCHEDULE_CASES.length + 1);
  });

  it.each(SCHEDULE_CASES)('$rule: $file', (badCase) => {
    const file = `schedules/${badCase.file}`;
    const own = validate.problems.filter((problem) => problem.file === file);

    // The one problem the case is about, located, explained, with a valid example.
    expect(own.map((problem) => `${problem.field}: ${problem.message}`)).toContainEqual(
      expect.stringMatching(new RegExp(`^${escapeRegExp(badCase.field)}: .*${badCase.message.source}`)),
    );
    for (const problem of own) {
      expect(problem.line).toBeGreaterThanOrEqual(1);
      expect(problem.example ?? '').not.toBe('');
    }
    // npm start prints the same located problem.
    const located = new RegExp(
      `^${escapeRegExp(file)}:\\d+:\\d+ {2}${escapeRegExp(badCase.field)}: .*${badCase.message.source}`,
      'm',
    );
    expect(start.stderr).toMatch(located);
  });
});

const catalogue = await loadScheduleCatalogue();
/** The real job (its name, parameters and workflow), run by the test container, which succeeds. */
const purge: JobSpec = { ...catalogueJob('purge-deleted-records'), command: ['succeed'] };

/** What a user sees of a refused input: the error text, and the execution it created, if any. */
interface Refusal {
  text: string;
  /** Set when the input reached a workflow, which failed it before any task (as on AWS). */
  executionArn?: string;
}

interface InputCase {
  entry: 'SDK StartExecution' | 'raw StartExecution' | 'batchctl run' | 'console' | 'aws CLI';
  rule: string;
  act: () => Promise<Refusal>;
  /** The words that matter in the error. */
  says: RegExp;
}

describe('invalid execution input at every entry point', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'sfn-bad-input-'));
  const runtimeDir = path.join(root, 'runtime');
  // Registered before the runtime's own afterAll, so it runs after the runtime has closed.
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });
  const local = useTestRuntime([{ job: purge }], {
    dataDir: runtimeDir,
    // The real guard Lambda: it applies the execution-input rule as the workflow's first state.
    functionsDir: path.join(REPO, 'functions'),
    // Short, so the slow clients below are cut within seconds (the defaults are 10 s and 30 s).
    requestTimeouts: { headersMs: SLOW_HEADERS_MS, requestMs: SLOW_REQUEST_MS },
    routes: createConsoleRoutes({
      jobs: [purge],
      effective: new Map(),
      stateMachineArn: (job) => local.runtime.stateMachineArn(job),
      upcoming: () => undefined,
      validateInput: validateManualInput,
      manualExecutionName,
    }),
  });
  const arn = () => local.runtime.stateMachineArn(purge.name);
  let serial = 0;

  beforeAll(async () => {
    // batchctl finds the runtime as it finds npm start's.
    await writeRuntimeFile(root, {
      endpoint: local.runtime.endpoint,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stage: 'test',
    });
  });
  /** StartExecution through the SDK; its error, or the execution the workflow failed. */
  async function sdkStart(input: string, name = `bad-input-${++serial}`): Promise<Refusal> {
    try {
      const { executionArn = '' } = await local.sfn.send(
        new StartExecutionCommand({ stateMachineArn: arn(), name, input }),
      );
      const described = await waitForStatus(local.sfn, executionArn);
      return { text: `${described.status} ${described.error}: ${described.cause}`, executionArn };
    } catch (error) {
      return { text: `${(error as Error).name}: ${(error as Error).message}` };
    }
  }

  async function rawStart(body: string, headers: Record<string, string> = {}): Promise<Refusal> {
    const response = await sendRequest(local.runtime.endpoint, {
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'AWSStepFunctions.StartExecution',
        ...headers,
      },
      body,
    });
    return { text: `${response.status} ${response.body}` };
  }

  async function batchctlRun(args: string[]): Promise<Refusal> {
    const result = await batchctl(root, ['run', ...args]);
    return { text: `exit ${result.code}: ${result.stderr}${result.stdout}` };
  }

  /** POST to the console's validate-input route. */
  const postValidate = (body: string, type = 'application/json') =>
    sendRequest(local.runtime.endpoint, {
      path: '/_local/console/validate-input',
      headers: { 'Content-Type': type },
      body,
    });

  async function consoleValidate(body: string, type = 'application/json'): Promise<Refusal> {
    const response = await postValidate(body, type);
    return { text: `${response.status} ${response.body}` };
  }

  async function awsStart(args: string[]): Promise<Refusal> {
    const result = await awsCli(local.runtime.endpoint, REGION, root, [
      'stepfunctions',
      'start-execution',
      '--state-machine-arn',
      arn(),
      ...args,
    ]);
    return { text: `exit ${result.code}: ${result.stderr}${result.stdout}` };
  }

  const validateBody = (input: string) => JSON.stringify({ job: purge.name, input });

  const cases: InputCase[] = [
    {
      entry: 'SDK StartExecution',
      rule: 'input that is not JSON',
      act: () => sdkStart('{"params": {"retentionDays": 30}'),
      says: /InvalidExecutionInput: Invalid State Machine Execution Input/,
    },
    {
      entry: 'SDK StartExecution',
      rule: 'input over the 256 KiB quota',
      act: () => sdkStart(JSON.stringify({ Comment: 'x'.repeat(300 * 1024) })),
      says: /InvalidExecutionInput: .*'input' .*length less than or equal to 262144/,
    },
    {
      entry: 'SDK StartExecution',
      rule: 'a params key the job does not declare',
      act: () => sdkStart('{"params": {"retentionDay": 30}}'),
      says: /FAILED InvalidExecutionInput: .*params\.retentionDay is not a parameter of purge-deleted-records; it accepts retentionDays/,
    },
    {
      entry: 'SDK StartExecution',
      rule: 'a params value of the wrong type',
      act: () => sdkStart('{"params": {"retentionDays": "thirty"}}'),
      says: /FAILED InvalidExecutionInput: .*params\.retentionDays/,
    },
    {
      entry: 'SDK StartExecution',
      rule: 'a scheduledTime that is not an instant',
      act: () => sdkStart('{"scheduledTime": "yesterday"}'),
      says: /FAILED InvalidExecutionInput: .*scheduledTime/,
    },
    {
      entry: 'SDK StartExecution',
      rule: 'an unknown top-level key (a typo)',
      act: () => sdkStart('{"scheduledTim": "2026-11-01T00:00:00Z"}'),
      says: /FAILED InvalidExecutionInput: .*unknown input key \\"scheduledTim\\".*Did you mean \\"scheduledTime\\"/,
    },
    {
      entry: 'SDK StartExecution',
      rule: 'input that is a list, not an object',
      act: () => sdkStart('[30]'),
      says: /FAILED InvalidExecutionInput/,
    },
    {
      entry: 'SDK StartExecution',
      rule: 'an execution name with a space',
      act: () => sdkStart('{}', 'purge now'),
      says: /InvalidName/,
    },
    {
      entry: 'SDK StartExecution',
      rule: 'an execution name over 80 characters',
      act: () => sdkStart('{}', 'x'.repeat(81)),
      says: /InvalidName|ValidationException.*name/,
    },
    {
      entry: 'raw StartExecution',
      rule: 'a request body that is not JSON',
      act: () => rawStart('{"stateMachineArn": '),
      says: /^400 .*SerializationException.*not valid JSON/,
    },
    {
      entry: 'raw StartExecution',
      rule: 'input of the wrong type (a number)',
      act: () => rawStart(JSON.stringify({ stateMachineArn: arn(), input: 30 })),
      says: /^400 .*InvalidExecutionInput.*'input' .*must be a string/,
    },
    {
      entry: 'raw StartExecution',
      rule: 'no state machine ARN',
      act: () => rawStart(JSON.stringify({ input: '{}' })),
      says: /^400 .*ValidationException.*stateMachineArn/,
    },
    {
      entry: 'raw StartExecution',
      rule: 'a state machine that does not exist',
      act: () => rawStart(JSON.stringify({ stateMachineArn: `${arn()}-typo`, input: '{}' })),
      says: /^400 .*StateMachineDoesNotExist/,
    },
    {
      entry: 'batchctl run',
      rule: '--input that is not JSON',
      act: () => batchctlRun([purge.name, '--input', '{params: {retentionDays: 30}}']),
      says: /^exit 1: .*--input is not valid JSON .*nothing was started/,
    },
    {
      entry: 'batchctl run',
      rule: '--input with an undeclared params key',
      act: () => batchctlRun([purge.name, '--input', '{"params":{"retentionDay":30}}']),
      says: /^exit 1: batchctl: input refused for purge-deleted-records; nothing was started:\n {2}- params\.retentionDay is not a parameter/,
    },
    {
      entry: 'batchctl run',
      rule: '--input with a value of the wrong type',
      act: () => batchctlRun([purge.name, '--input', '{"params":{"retentionDays":"thirty"}}']),
      says: /^exit 1: batchctl: input refused for purge-deleted-records; nothing was started:\n {2}- params\.retentionDays/,
    },
    {
      entry: 'batchctl run',
      rule: '--input @file that does not exist',
      act: () => batchctlRun([purge.name, '--input', `@${path.join(root, 'missing.json')}`]),
      says: /^exit 1: .*cannot read the input file .*missing\.json/,
    },
    {
      entry: 'batchctl run',
      rule: 'a job name with a typo',
      act: () => batchctlRun(['purge-deleted-record']),
      says: /^exit 2: .*unknown job "purge-deleted-record"|"purge-deleted-record" is not a job name/,
    },
    {
      entry: 'console',
      rule: 'editor text that is not JSON',
      act: () => consoleValidate(validateBody('{"params": ')),
      says: /^200 .*The input is not valid JSON: .*Nothing was started/,
    },
    {
      entry: 'console',
      rule: 'an undeclared params key',
      act: () => consoleValidate(validateBody('{"params": {"retentionDay": 30}}')),
      says: /^200 .*params\.retentionDay is not a parameter of purge-deleted-records/,
    },
    {
      entry: 'console',
      rule: 'a job that does not exist',
      act: () => consoleValidate(JSON.stringify({ job: 'no-such-job', input: '{}' })),
      says: /^404 .*No job no-such-job in schedules/,
    },
    {
      entry: 'console',
      rule: 'a request that is not {job, input}',
      act: () => consoleValidate(JSON.stringify({ job: purge.name, input: { params: {} } })),
      says: /^400 .*Expected a JSON body \{\\"job\\": string, \\"input\\": string\}/,
    },
    {
      entry: 'console',
      rule: 'a form post (text/plain) to validate-input',
      act: () => consoleValidate(validateBody('{}'), 'text/plain'),
      says: /^415 .*needs a JSON content type/,
    },
    {
      entry: 'console',
      rule: 'a start from a foreign page (cross-origin)',
      act: () =>
        rawStart(JSON.stringify({ stateMachineArn: arn(), input: '{}' }), {
          Origin: 'https://attacker.example',
        }),
      says: /^403 .*cross-origin request from https:\/\/attacker\.example/,
    },
    {
      entry: 'console',
      rule: 'a start through a rebound host name (DNS rebinding)',
      act: () =>
        rawStart(JSON.stringify({ stateMachineArn: arn(), input: '{}' }), { Host: 'attacker.example' }),
      says: /^421 .*Host \\"attacker\.example\\" is not this local runtime/,
    },
    {
      entry: 'aws CLI',
      rule: '--input that is not JSON',
      act: () => awsStart(['--input', '{"params": ']),
      says: /^exit \d+: .*\(InvalidExecutionInput\).*Invalid State Machine Execution Input/s,
    },
    {
      entry: 'aws CLI',
      rule: '--name with characters AWS refuses',
      act: () => awsStart(['--name', 'purge/now', '--input', '{}']),
      says: /^exit \d+: .*\(InvalidName\)/s,
    },
  ];

  async function expectRefused(badCase: InputCase): Promise<void> {
    // Prepare
    const ignore = (file: string) => file.endsWith('heartbeat.json');
    const before = folderSnapshot(runtimeDir, ignore);
    const executionsBefore = await listExecutionArns();

    // Act
    const refusal = await badCase.act();

    // Assess: a clear error.
    expect(refusal.text).toMatch(badCase.says);
    const newExecutions = (await listExecutionArns()).filter((item) => !executionsBefore.includes(item));
    if (refusal.executionArn === undefined) {
      // Nothing started and nothing written.
      expect(newExecutions).toEqual([]);
      expect(folderChanges(before, folderSnapshot(runtimeDir, ignore))).toEqual([]);
    } else {
      // As on AWS, StartExecution took it and the workflow's first state refused it: no task ran.
      expect(newExecutions).toEqual([refusal.executionArn]);
      expect(await taskLogs(local.runtime.endpoint, refusal.executionArn)).toEqual([]);
      const name = refusal.executionArn.split(':').at(-1) ?? '';
      for (const change of folderChanges(before, folderSnapshot(runtimeDir, ignore)))
        expect(change).toContain(name);
    }
    await expectResponsive(local.runtime.endpoint);
  }

  const inProcess = cases.filter(
    (badCase) => badCase.entry !== 'batchctl run' && badCase.entry !== 'aws CLI',
  );
  it.each(inProcess)('$entry: $rule', expectRefused);
  // Each of these is a child process, mostly start-up time: side by side. All of them start
  // nothing, so each one's check that nothing was written holds for the others too.
  it.concurrent.each(cases.filter((badCase) => !inProcess.includes(badCase)))(
    '$entry: $rule',
    expectRefused,
    120_000,
  );

  it('still runs a valid start to SUCCEEDED afterwards', async () => {
    const { executionArn = '' } = await local.sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn(), input: '{"params": {"retentionDays": 7}}' }),
    );
    expect((await waitForStatus(local.sfn, executionArn)).status).toBe('SUCCEEDED');
  });

  describe('oversized and deeply nested bodies, and slow clients', () => {
    const ecsTarget = 'AmazonEC2ContainerServiceV20141113.ListTasks';
    const sfnTarget = 'AWSStepFunctions.StartExecution';
    const post = (target: string, body: string | Buffer, version = '1.0') =>
      sendRequest(local.runtime.endpoint, {
        headers: { 'Content-Type': `application/x-amz-json-${version}`, 'X-Amz-Target': target },
        body,
      });
    const twoMiB = Buffer.alloc(2 * 1024 * 1024, 'x');
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const bodyCases: Array<{
      target: string;
      rule: string;
      act: () => Promise<PlainResponse>;
      says: RegExp;
    }> = [
      {
        target: 'Step Functions API',
        rule: 'a 2 MiB body',
        act: () => post(sfnTarget, twoMiB),
        says: /^413 .*RequestEntityTooLargeException.*exceeds the 1048576 bytes \(1 MiB\) limit/,
      },
      {
        target: 'ECS API',
        rule: 'a 2 MiB body',
        act: () => post(ecsTarget, twoMiB, '1.1'),
        says: /^413 .*RequestEntityTooLargeException/,
      },
      {
        target: 'console',
        rule: 'a 2 MiB body to validate-input',
        act: () => postValidate(validateBody('x'.repeat(2 * 1024 * 1024))),
        says: /^413 .*over 1 MiB/,
      },
      {
        target: 'Step Functions API',
        rule: 'a body nested 200,000 deep',
        act: () => post(sfnTarget, `{"stateMachineArn": "${arn()}", "name": ${nested(200_000)}}`),
        says: /^400 .*InvalidName.*Value at 'name' failed to satisfy constraint: Member must be a string/,
      },
      {
        target: 'ECS API',
        rule: 'a body nested 200,000 deep',
        act: () => post(ecsTarget, `{"cluster": ${nested(200_000)}}`, '1.1'),
        says: /^400 .*cluster/,
      },
      {
        target: 'Step Functions API',
        rule: 'execution input nested 100,000 deep',
        act: () =>
          post(
            sfnTarget,
            JSON.stringify({ stateMachineArn: arn(), input: `{"params": ${nested(100_000)}}` }),
          ),
        says: /^400 .*InvalidExecutionInput.*nests lists or objects 100001 levels deep; the local runtime accepts at most 1000\. Flatten it/,
      },
      {
        target: 'console',
        rule: 'editor text nested 100,000 deep',
        act: () => postValidate(validateBody(`{"params": ${nested(100_000)}}`)),
        says: /^200 \{"problems":\["params must be a JSON object, got array"\],"input":null/,
      },
    ];

    it.each(bodyCases)('$target: $rule', async (badCase) => {
      const before = await listExecutionArns();
      const response = await badCase.act();
      expect(`${response.status} ${response.body}${response.error ?? ''}`).toMatch(badCase.says);
      // The next request on the same kept-alive connection is served too.
      expect(
        (await sendRequest(local.runtime.endpoint, { method: 'GET', path: '/_local/health' })).status,
      ).toBe(200);
      expect(await listExecutionArns()).toEqual(before);
      await expectResponsive(local.runtime.endpoint);
    });
  });

  describe('slow clients (slowloris)', () => {
    const host = () => `Host: 127.0.0.1:${new URL(local.runtime.endpoint).port}\r\n`;
    /** Complete headers for `path` and `target`, announcing a body of `length` bytes. */
    const headers = (target: string, length: number, pathname = '/') =>
      `POST ${pathname} HTTP/1.1\r\n${host()}Content-Type: application/json\r\nX-Amz-Target: ${target}\r\nContent-Length: ${length}\r\n\r\n`;
    const slowCases: Array<{ rule: string; chunks: () => string[]; dribble?: string; says: RegExp }> = [
      {
        rule: 'headers sent a byte at a time, never finished',
        chunks: () => ['POST / HTTP/1.1\r\n', host()],
        dribble: 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        says: /^HTTP\/1\.1 408 Request Timeout/,
      },
      {
        rule: 'a Step Functions body that never ends',
        chunks: () => [headers('AWSStepFunctions.StartExecution', 1000), '{"stateMachineArn": '],
        says: /^HTTP\/1\.1 408 Request Timeout/,
      },
      {
        rule: 'an ECS body that never ends',
        chunks: () => [headers('AmazonEC2ContainerServiceV20141113.ListTasks', 1000), '{"cluster": '],
        says: /^HTTP\/1\.1 408 Request Timeout/,
      },
      {
        rule: 'a console validate-input body that never ends',
        chunks: () => [headers('', 1000, '/_local/console/validate-input'), '{"job": '],
        says: /^HTTP\/1\.1 408 Request Timeout/,
      },
      {
        rule: 'a body announced as 1 GiB',
        chunks: () => [headers('AWSStepFunctions.StartExecution', 1024 ** 3)],
        says: /^HTTP\/1\.1 413 .*RequestEntityTooLargeException/s,
      },
    ];

    // Side by side: each case mostly waits for the server's timeout.
    it.concurrent.each(slowCases)(
      '$rule: cut with a clear 4xx while other clients are served',
      async (badCase) => {
        // Act
        let done = false;
        const slow = slowClient(local.runtime.endpoint, {
          chunks: badCase.chunks(),
          ...(badCase.dribble === undefined ? {} : { dribble: badCase.dribble }),
          intervalMs: 100,
          giveUpMs: SLOW_REQUEST_MS * 5,
        }).finally(() => {
          done = true;
        });
        // Other clients meanwhile: each gets its answer while the slow one is still connected.
        let servedMeanwhile = 0;
        while (!done && servedMeanwhile < 5) {
          await expectResponsive(local.runtime.endpoint);
          if (!done) servedMeanwhile++;
        }
        const result = await slow;

        // Assess
        expect(result.reply).toMatch(badCase.says);
        expect(result.closedByServer).toBe(true);
        if (badCase.says.source.includes('408')) expect(servedMeanwhile).toBeGreaterThan(0);
        await expectResponsive(local.runtime.endpoint);
      },
    );
  });

  async function listExecutionArns(): Promise<string[]> {
    const listed = await local.sfn.send(new ListExecutionsCommand({ stateMachineArn: arn() }));
    return (listed.executions ?? []).map((execution) => execution.executionArn ?? '');
  }
});

/** The runtime still answers: its health route and a real API call. */
async function expectResponsive(endpoint: string): Promise<void> {
  const health = await fetch(`${endpoint}/_local/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok' });
  const machines = await sfnClient(endpoint).send(new ListStateMachinesCommand({}));
  expect(machines.stateMachines?.length).toBeGreaterThan(0);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A TCP port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The valid job `name` of the repository's catalogue. */
function catalogueJob(name: string): JobSpec {
  const job = catalogue.effective.get(name)?.spec;
  if (job === undefined) throw new Error(`schedules/${name}.yml is missing or invalid`);
  return job;
}

describe('a database that is down at start', () => {
  const project = mkdtempSync(path.join(tmpdir(), 'sfn-bad-database-'));
  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
  });

  it('npm start says which DATABASE_URL it cannot reach and what to do, without the password, and writes nothing', async () => {
    // Prepare
    const dataDir = path.join(project, 'start');
    const url = `postgres://batch:s3cret-password@127.0.0.1:${await closedPort()}/records`;

    // Act
    const result = await runProcess(
      NODE,
      [path.join(REPO, 'local', 'main.ts'), '--no-schedule', '--port', '0'],
      {
        cwd: REPO,
        env: isolatedEnv(project, { SFN_BATCH_DATA_DIR: dataDir, DATABASE_URL: url }),
      },
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /Cannot connect to PostgreSQL at postgres:\/\/batch:\*\*\*@127\.0\.0\.1:\d+\/records \(DATABASE_URL\): connect ECONNREFUSED .*Check that the server runs and the URL is right, or unset DATABASE_URL/,
    );
    expect(`${result.stdout}${result.stderr}`).not.toContain('s3cret-password');
    expect(result.stdout).not.toContain('local runtime is up');
    expect([...folderSnapshot(dataDir).keys()]).toEqual([]);
  }, 60_000);

  it('a job started while the database is down fails, and its log says so', async () => {
    // Prepare
    const job = catalogueJob('analyze-tables');
    const url = `postgres://postgres@127.0.0.1:${await closedPort()}/records`;
    const runtime = await startTestRuntime([{ job }], {
      dataDir: path.join(project, 'job'),
      containersDir: path.join(REPO, 'containers'),
      functionsDir: path.join(REPO, 'functions'),
      taskEnvironment: { DATABASE_URL: url, SFN_BATCH_DATA_DIR: path.join(project, 'job-data') },
    });
    try {
      const sfn = sfnClient(runtime.endpoint);

      // Act
      const { executionArn = '' } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: runtime.stateMachineArn(job.name), input: '{}' }),
      );
      const described = await waitForStatus(sfn, executionArn, 60_000);

      // Assess: the job's own failure (exit 1), not retried as a provisioning error; the reason is in its log.
      expect(described.status).toBe('FAILED');
      expect(`${described.error}: ${described.cause}`).toMatch(
        /^JobFailed: Job analyze-tables failed: container exited with code 1 .* on attempt 1\./,
      );
      const tasks = await taskLogs(runtime.endpoint, executionArn);
      expect(tasks).toHaveLength(1);
      const log = tasks[0]?.lines.map((line) => line.text).join('\n') ?? '';
      expect(log).toMatch(/cannot connect to PostgreSQL at 127\.0\.0\.1:\d+\/records/);
      expect(log).toContain('is it running? set DATABASE_URL');
      await expectResponsive(runtime.endpoint);
    } finally {
      await runtime.close();
    }
  }, 90_000);
});

describe('a Slack webhook that answers 500 or never answers', () => {
  const job = catalogueJob('analyze-tables');
  /** The run fails at once, so the notify rule matches. */
  const failing = {
    StartAt: 'Run job task',
    States: {
      'Run job task': { Type: 'Pass', Next: 'Job failed' },
      'Job failed': { Type: 'Fail', Error: 'JobFailed', Cause: 'analyze-tables exited with code 3' },
    },
  };
  const secretPath = '/services/T0/B0/s3cret-token';
  let mode: 'answer 500' | 'never answer' = 'answer 500';
  let requests = 0;
  const webhook = createHttpServer((request, response) => {
    requests++;
    request.resume();
    if (mode === 'answer 500') response.writeHead(500).end('internal_error');
  });
  const warnings: string[] = [];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-bad-webhook-'));
  afterAll(async () => {
    webhook.closeAllConnections();
    await new Promise((resolve) => webhook.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  });
  const local = useTestRuntime([{ job, definition: failing }], {
    dataDir,
    functionsDir: path.join(REPO, 'functions'),
    notifyLambda: true,
    // One invocation (Lambda's retries are covered in test/notify/local-delivery.test.ts); its client tries 4 times.
    notifyRetryDelaysMs: [],
    lambdaEnvironment: {
      // Read when the runtime starts, after the webhook above listens.
      get SLACK_WEBHOOK_URL() {
        return `http://127.0.0.1:${(webhook.address() as AddressInfo).port}${secretPath}`;
      },
      POWERTOOLS_LOG_LEVEL: 'CRITICAL',
    },
    warn: (message) => void warnings.push(message),
  });

  it.each([
    { rule: 'answers 500', mode: 'answer 500' as const, says: /Slack answered 500 internal_error/ },
    { rule: 'never answers', mode: 'never answer' as const, says: /no answer within 5000 ms/ },
  ])(
    'a webhook that $rule: the run stays FAILED, the notification is kept as undelivered, the URL is not logged',
    async (badCase) => {
      // Prepare
      mode = badCase.mode;
      requests = 0;
      const keptBefore = readUndeliveredNotifications(dataDir).length;
      const warned = warnings.length;

      // Act
      const { executionArn = '' } = await local.sfn.send(
        new StartExecutionCommand({ stateMachineArn: local.runtime.stateMachineArn(job.name), input: '{}' }),
      );
      const ended = await waitForStatus(local.sfn, executionArn);
      const keptWhenEnded = readUndeliveredNotifications(dataDir).length;
      expect(await waitUntil(() => readUndeliveredNotifications(dataDir).length > keptBefore, 90_000)).toBe(
        true,
      );

      // Assess: the run's status did not wait for Slack and is unchanged.
      expect(ended).toMatchObject({ status: 'FAILED', error: 'JobFailed' });
      expect(keptWhenEnded).toBe(keptBefore);
      expect(await local.sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
        status: 'FAILED',
      });
      const kept = readUndeliveredNotifications(dataDir).at(-1);
      expect(kept).toMatchObject({
        attempts: 1,
        error: 'NotificationNotDelivered',
        event: { detail: { executionArn, status: 'FAILED' } },
      });
      expect(kept?.cause).toMatch(badCase.says);
      const warning = warnings.slice(warned).join('\n');
      expect(warning).toContain('was not delivered after 1 attempt(s) (NotificationNotDelivered');
      expect(warning).toContain(undeliveredNotificationsFile(dataDir));
      expect(requests).toBe(4);
      // The webhook URL is a secret: in no warning, and nowhere in the data folder.
      expect(warnings.join('\n')).not.toContain('s3cret-token');
      for (const file of folderSnapshot(dataDir).keys())
        expect(readFileSync(path.join(dataDir, file), 'utf8')).not.toContain('s3cret-token');
      await expectResponsive(local.runtime.endpoint);
    },
    120_000,
  );
});

// Real PostgreSQL (a throw-away database on the test server): the export's Lambda and its
// converter container reach it over the wire, and it can be taken away from them mid-run.
describe('the monthly export with unwritable storage, or a database that dies mid-export', () => {
  const job = catalogueJob('export-monthly-records');
  const input = JSON.stringify({ scheduledTime: '2026-11-01T00:00:00+09:00' });
  const root = mkdtempSync(path.join(tmpdir(), 'sfn-bad-export-'));
  let database: TestDatabase;
  let databaseName: string;

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    databaseName = new URL(database.url ?? '').pathname.slice(1);
    // 32 targets for October 2026, converted one after another by one converter task.
    await seedDemoData(database.db, { records: 500, now: new Date('2026-11-30T00:00:00Z') });
  }, 120_000);
  afterAll(async () => {
    await withAdmin((client) => client.query(`ALTER DATABASE ${databaseName} WITH ALLOW_CONNECTIONS true`));
    await database?.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  /** A runtime whose Lambdas and tasks use the test database and `storageDataDir` (objects in `<it>/objects`). */
  function exportRuntime(name: string, storageDataDir: string) {
    const environment = { DATABASE_URL: database.url ?? '', SFN_BATCH_DATA_DIR: storageDataDir };
    return startTestRuntime([{ job }], {
      dataDir: path.join(root, name),
      containersDir: path.join(REPO, 'containers'),
      functionsDir: path.join(REPO, 'functions'),
      taskEnvironment: environment,
      lambdaEnvironment: environment,
    });
  }

  async function targets(): Promise<Array<{ object_key: string; status: string }>> {
    const result = await database.db.query<{ object_key: string; status: string }>(
      "SELECT object_key, status FROM export_targets WHERE period_label = '2026-10' ORDER BY object_key",
      [],
    );
    return result.rows;
  }

  it('a storage folder under a regular file (what root cannot write either): FAILED naming the path, no target done', async () => {
    // Prepare: chmod 500 would not stop root, which these tests run as; a path through a file stops everyone.
    const blocked = path.join(root, 'blocked');
    writeFileSync(blocked, '');
    const runtime = await exportRuntime('blocked-runtime', blocked);
    try {
      const sfn = sfnClient(runtime.endpoint);

      // Act
      const { executionArn = '' } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: runtime.stateMachineArn(job.name), input }),
      );
      const described = await waitForStatus(sfn, executionArn, 90_000);

      // Assess
      expect(described.status).toBe('FAILED');
      expect(`${described.error}: ${described.cause}`).toMatch(/ENOTDIR|not a directory/);
      expect(`${described.cause}`).toContain(path.join(blocked, 'objects'));
      expect((await targets()).filter((target) => target.status === 'done')).toEqual([]);
      expect(readFileSync(blocked, 'utf8')).toBe('');
      await expectResponsive(runtime.endpoint);
    } finally {
      await runtime.close();
    }
  }, 120_000);

  it('connections terminated and refused mid-export: FAILED with the cause, no partial file, no false done; a redrive loses nothing', async () => {
    // Prepare
    const storage = path.join(root, 'storage');
    const runtime = await exportRuntime('dying-runtime', storage);
    const exportsDir = path.join(storage, 'objects', 'exports');
    const published = () =>
      existsSync(exportsDir)
        ? readdirSync(exportsDir, { recursive: true })
            .map(String)
            .filter((entry) => path.basename(entry) === '2026-10.xlsx')
            .map((entry) => `exports/${entry}`)
            .sort()
        : [];
    try {
      const sfn = sfnClient(runtime.endpoint);
      const { executionArn = '' } = await sfn.send(
        new StartExecutionCommand({ stateMachineArn: runtime.stateMachineArn(job.name), input }),
      );
      expect(await waitUntil(() => published().length > 0, 90_000)).toBe(true);

      // Act: the database goes away under the converter, and stays away.
      await withAdmin(async (client) => {
        await client.query(`ALTER DATABASE ${databaseName} WITH ALLOW_CONNECTIONS false`);
        await client.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [databaseName],
        );
      });
      const failed = await waitForStatus(sfn, executionArn, 90_000);
      await withAdmin((client) => client.query(`ALTER DATABASE ${databaseName} WITH ALLOW_CONNECTIONS true`));

      // Assess: a clear failure.
      expect(failed.status).toBe('FAILED');
      expect(`${failed.error}: ${failed.cause}`).toMatch(
        /^ExportsFailed: 1 of 1 export batches failed for period 2026-10: .*Converter exited with code 1/,
      );
      const converterLog = (await taskLogs(runtime.endpoint, executionArn))
        .flatMap((task) => task.lines.map((line) => line.text))
        .join('\n');
      // The reason is in the converter's log, where the execution's cause points (its task); which
      // of these it says depends on what the converter was doing when the connection went.
      expect(converterLog).toMatch(
        /(not currently accepting connections|terminating connection due to administrator command \(SQLSTATE 57P01\)|Client has encountered a connection error and is not queryable)/,
      );
      const afterFailure = await targets();
      const done = afterFailure
        .filter((target) => target.status === 'done')
        .map((target) => target.object_key);
      expect(done.length).toBeLessThan(afterFailure.length);
      // Every target marked done has its file; a file whose target is not done can only be the one
      // published in the moment before its done-mark (the redrive rewrites it).
      const files = published();
      for (const key of done) expect(files).toContain(key);
      expect(files.filter((key) => !done.includes(key)).length).toBeLessThanOrEqual(1);

      // Act: once the database is back, a redrive finishes the export.
      await sfn.send(new RedriveExecutionCommand({ executionArn }));
      const redriven = await waitForStatus(sfn, executionArn, 90_000);

      // Assess: nothing lost.
      expect(redriven.status).toBe('SUCCEEDED');
      const finalTargets = await targets();
      expect(finalTargets.every((target) => target.status === 'done')).toBe(true);
      expect(published()).toEqual(finalTargets.map((target) => target.object_key).sort());
      await expectResponsive(runtime.endpoint);
    } finally {
      await runtime.close();
    }
  }, 180_000);
});
