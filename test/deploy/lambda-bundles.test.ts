import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { type SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKFLOW_LAMBDAS, type WorkflowLambdaKey } from '#lib/workflows/names.ts';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import { openTestDatabase, type TestDatabase } from '../db/database-fixtures.ts';
import { seedExportFixture } from '../export/export-fixtures.ts';
import { FIXTURES, sfnClient as localSfnClient, makeJob, taskDefinition } from '../local-runtime/helpers.ts';
import { NODE, runProcess } from '../support/processes.ts';
import { startTestS3, type TestS3 } from '../support/s3rver.ts';
import { startTestSsm, type TestSsm } from '../support/ssm.ts';
import { startWebhookServer, type WebhookServer } from '../support/webhook.ts';
import {
  type CfnResource,
  type PackagedStage,
  packageTemplate,
  resourcesOfType,
} from './packaged-template.ts';

// Slow (shares the one packaging run of the suite, about 30 s): each Lambda artifact that
// `npm run package` produces is unzipped into an empty folder with no node_modules above
// it and invoked in a fresh Node 22 process, as the nodejs22.x runtime would, against real
// local services. A bundle that needs a package it did not bundle fails here.

/**
 * Loads the handler the way the Lambda runtime does (task root = cwd, `file.export`) and
 * writes its result, or its error, to result.json. Plain .mjs: it runs without the repository.
 */
const INVOKER = `
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [handlerSetting, eventJson] = process.argv.slice(2);
const dot = handlerSetting.lastIndexOf('.');
const module = await import(pathToFileURL(handlerSetting.slice(0, dot) + '.mjs').href);
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:ap-northeast-1:000000000000:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: '256',
  awsRequestId: 'bundle-test-request',
  logGroupName: '/aws/lambda/' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  logStreamName: 'bundle-test',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30000,
};
try {
  const result = await module[handlerSetting.slice(dot + 1)](JSON.parse(eventJson), context);
  writeFileSync('result.json', JSON.stringify({ result: result ?? null }));
} catch (error) {
  writeFileSync('result.json', JSON.stringify({ error: { name: error.name, message: error.message } }));
}
// Lambda answers when the handler's promise settles; open pool connections do not hold it.
process.exit(0);
`;

interface Invocation {
  /** Environment on top of the function's own (from the template) and fake credentials. */
  environment: Record<string, string>;
  /** Variables of the function's environment to leave out. */
  unset?: string[];
  event: unknown;
}

const REGION = 'ap-northeast-1';

let packaged: PackagedStage;
let runtime: LocalRuntime;
let runtimeDir: string;
let webhook: WebhookServer;
let database: TestDatabase;
let s3: TestS3;
let ssm: TestSsm;
const statusEvents: unknown[] = [];
const folders: string[] = [];

const guardJob = makeJob('bundle-guard', { container: 'test-task' });
const failingJob = makeJob('bundle-notify');

beforeAll(async () => {
  [packaged, webhook, database, s3] = await Promise.all([
    packageTemplate('prod'),
    startWebhookServer(),
    openTestDatabase('postgres'),
    startTestS3(),
  ]);
  await seedExportFixture(database.db, 20);
  // The secrets the template's *_PARAMETER variables name, served as SSM would.
  ssm = await startTestSsm({
    '/sfn-batch/prod/database-url': database.url ?? '',
    '/sfn-batch/prod/slack-webhook-url': webhook.url('/services/T0/B0/bundle'),
  });
  runtimeDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-bundles-'));
  runtime = await startLocalRuntime({
    jobs: [guardJob, failingJob],
    containersDir: path.join(FIXTURES, 'containers'),
    definitions: {
      [guardJob.name]: taskDefinition({ timeoutSeconds: 60 }),
      [failingJob.name]: {
        StartAt: 'Run job task',
        States: {
          'Run job task': { Type: 'Pass', Next: 'Job failed' },
          'Job failed': { Type: 'Fail', Error: 'JobFailed', Cause: 'bundle-notify exited with code 4' },
        },
      },
    },
    dataDir: runtimeDir,
    port: 0,
    taskEnvironment: {},
    // The packaged notify Lambda is the one under test, not the repository's.
    notifyLambda: false,
    onStatusChangeEvent: async (event) => void statusEvents.push(event),
    warn: () => undefined,
  });
}, 300_000);

afterAll(async () => {
  await runtime?.close();
  await Promise.all([webhook?.close(), database?.dispose(), s3?.close(), ssm?.close()]);
  for (const folder of [runtimeDir, ...folders]) if (folder) rmSync(folder, { recursive: true, force: true });
});

function sfnClient(): SFNClient {
  return localSfnClient(runtime.endpoint);
}

/** The deployed function's resource (handler setting and environment) for a function key. */
function functionResource(key: WorkflowLambdaKey): CfnResource {
  const logicalId = `${key[0]?.toUpperCase()}${key.slice(1)}LambdaFunction`;
  const resource = packaged.template.Resources[logicalId];
  if (resource?.Type !== 'AWS::Lambda::Function') throw new Error(`template has no ${logicalId}`);
  return resource;
}

/** Unzips `<key>.zip` into a fresh folder and runs its handler once in a new Node 22 process. */
async function invokeArtifact(key: WorkflowLambdaKey, invocation: Invocation) {
  const folder = mkdtempSync(path.join(tmpdir(), `sfn-batch-artifact-${key}-`));
  folders.push(folder);
  for (let above = folder; above !== path.dirname(above); above = path.dirname(above)) {
    expect(existsSync(path.join(above, 'node_modules')), `${above}/node_modules must not exist`).toBe(false);
  }
  const unzip = await runProcess('unzip', ['-q', path.join(packaged.directory, `${key}.zip`), '-d', folder]);
  expect(unzip.code, unzip.stderr).toBe(0);
  writeFileSync(path.join(folder, 'invoke.mjs'), INVOKER);
  const properties = functionResource(key).Properties;
  const templateEnvironment = Object.fromEntries(
    Object.entries(
      (properties.Environment as { Variables?: Record<string, unknown> }).Variables ?? {},
    ).filter(
      (entry): entry is [string, string] =>
        typeof entry[1] === 'string' && !(invocation.unset ?? []).includes(entry[0]),
    ),
  );
  const functionName = `sfn-batch-prod-${key}`;
  const result = await runProcess(
    NODE,
    ['invoke.mjs', String(properties.Handler), JSON.stringify(invocation.event)],
    {
      cwd: folder,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: folder,
        LAMBDA_TASK_ROOT: folder,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        ...ssm.environment,
        ...templateEnvironment,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        ...invocation.environment,
      },
    },
  );
  const output = `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  expect(result.code, output).toBe(0);
  const outcome = JSON.parse(readFileSync(path.join(folder, 'result.json'), 'utf8')) as {
    result?: unknown;
    error?: { name: string; message: string };
  };
  return { result: outcome.result, error: outcome.error, output };
}

async function waitFor<T>(find: () => T | undefined): Promise<T> {
  for (let tries = 0; tries < 200; tries++) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('timed out waiting');
}

const invocations: Record<WorkflowLambdaKey, () => Promise<void>> = {
  async checkDuplicateStart() {
    // A RUNNING execution that started first: only a real ListExecutions can see it.
    const client = sfnClient();
    const stateMachineArn = runtime.stateMachineArn(guardJob.name);
    const running = await client.send(
      new StartExecutionCommand({ stateMachineArn, name: 'first', input: '{"command":["sleep","60000"]}' }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const startTime = new Date(Date.now() + 1000).toISOString();
    const event = {
      job: guardJob.name,
      concurrency: 'forbid',
      defaultParams: {},
      stateMachineArn,
      execution: {
        arn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:second`,
        name: 'second',
        startTime,
      },
      input: {},
    };

    const { result, error, output } = await invokeArtifact('checkDuplicateStart', {
      environment: { AWS_ENDPOINT_URL_SFN: runtime.endpoint },
      event,
    });
    await client.send(new StopExecutionCommand({ executionArn: running.executionArn }));

    expect(error, output).toBeUndefined();
    expect(result).toMatchObject({ decision: 'skip', blockingExecutionArn: running.executionArn });
  },

  async enqueueExports() {
    const {
      result,
      error,
      output: log,
    } = await invokeArtifact('enqueueExports', {
      environment: {
        ...s3.environment,
        AWS_REGION: REGION,
        SFN_BATCH_STORAGE_URL: `s3://${s3.bucket}/bundle-test/`,
      },
      event: {
        job: 'export-monthly-records',
        executionArn: 'arn:aws:states:ap-northeast-1:000000000000:execution:sfn-batch-prod-export:bundle',
        scheduledTime: '2026-11-01T00:00:00+09:00',
        timezone: 'Asia/Tokyo',
        frequency: 'monthly',
        recordsPerBatch: 1000,
      },
    });

    expect(error, log).toBeUndefined();
    expect(ssm.requests).toContain('/sfn-batch/prod/database-url');
    const output = result as { targetCount: number; manifestKey: string; period: { label: string } };
    expect(output).toMatchObject({ targetCount: 2, period: { label: '2026-10' } });
    const runs = await database.db.query<{ manifest_key: string }>('SELECT manifest_key FROM export_runs');
    expect(runs.rows.map((row) => row.manifest_key)).toEqual([output.manifestKey]);
    const manifest = await s3.client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: `bundle-test/${output.manifestKey}` }),
    );
    expect(JSON.parse((await manifest.Body?.transformToString()) ?? '{}')).toMatchObject({
      runId: expect.any(String),
    });
  },

  async notifyFailure() {
    const client = sfnClient();
    const { executionArn } = await client.send(
      new StartExecutionCommand({
        stateMachineArn: runtime.stateMachineArn(failingJob.name),
        name: 'fails',
        input: '{}',
      }),
    );
    const event = await waitFor(() =>
      statusEvents.find((candidate) =>
        JSON.stringify(candidate).includes(`"executionArn":"${executionArn}"`),
      ),
    );

    const { error, output } = await invokeArtifact('notifyFailure', {
      environment: { AWS_ENDPOINT_URL_SFN: runtime.endpoint },
      event,
    });

    expect(error, output).toBeUndefined();
    expect(ssm.requests).toContain('/sfn-batch/prod/slack-webhook-url');
    const message = JSON.stringify(webhook.posts.at(-1));
    expect(message).toContain('bundle-notify FAILED');
    expect(message).toContain('bundle-notify exited with code 4');
  },
};

describe('packaged Lambda artifacts (prod)', () => {
  it('packages one artifact per workflow Lambda, with nothing but its bundle and source map', async () => {
    const functions = resourcesOfType(packaged.template, 'AWS::Lambda::Function');

    expect(functions).toHaveLength(Object.keys(WORKFLOW_LAMBDAS).length);
    for (const [key, lambda] of Object.entries(WORKFLOW_LAMBDAS)) {
      const listing = await runProcess('unzip', ['-Z1', path.join(packaged.directory, `${key}.zip`)]);
      const files = listing.stdout.split('\n').filter((line) => line !== '' && !line.endsWith('/'));
      expect(files.sort(), key).toEqual([
        `dist/functions/${lambda.folder}/handler.mjs`,
        `dist/functions/${lambda.folder}/handler.mjs.map`,
      ]);
    }
  });

  it('fails an enqueue with no database settings with a clear error, without loading PGlite', async () => {
    const { error } = await invokeArtifact('enqueueExports', {
      environment: {},
      unset: ['DATABASE_URL_PARAMETER'],
      event: {},
    });

    expect(error?.message).toMatch(/^No database configured: DATABASE_URL .* is unset/);
  });

  it.each(Object.keys(WORKFLOW_LAMBDAS) as WorkflowLambdaKey[])(
    'runs the unzipped %s handler in a fresh Node 22 process with no node_modules',
    async (key) => {
      await invocations[key]();
    },
    60_000,
  );
});
