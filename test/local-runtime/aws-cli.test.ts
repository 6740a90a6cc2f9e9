import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.ts';
import { isolatedEnv, type ProcessResult, runProcess } from '../support/processes.ts';
import { lambdaDefinition, makeJob, REGION, startTestRuntime, tempDataDir } from './helpers.ts';

// The Debian awscli v2 package, by absolute path: a pyenv `aws` v1 shim may come first on PATH.
const AWS_CLI = '/usr/bin/aws';

function aws(endpoint: string, args: string[]): Promise<ProcessResult> {
  return runProcess(
    AWS_CLI,
    ['stepfunctions', ...args, '--endpoint-url', endpoint, '--no-cli-pager', '--output', 'json'],
    {
      env: isolatedEnv(tempDataDir(), {
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_DEFAULT_REGION: REGION,
        AWS_EC2_METADATA_DISABLED: 'true',
      }),
    },
  );
}

// Slow-ish (each CLI call starts Python, about a second): it proves a client we did not write works.
describe('local Step Functions API driven by the AWS CLI v2', () => {
  let runtime: LocalRuntime;

  beforeAll(async () => {
    if (!existsSync(AWS_CLI))
      throw new Error(`${AWS_CLI} is missing: install awscli (apt-get install awscli)`);
    runtime = await startTestRuntime([{ job: makeJob('call-lambda'), definition: lambdaDefinition('echo') }]);
  });

  afterAll(async () => {
    await runtime?.close();
  });

  it('starts, describes, lists and reads the history of an execution', async () => {
    // Prepare
    const stateMachineArn = runtime.stateMachineArn('call-lambda');
    // Act
    const started = await aws(runtime.endpoint, [
      'start-execution',
      '--state-machine-arn',
      stateMachineArn,
      '--name',
      'from-the-cli',
      '--input',
      JSON.stringify({ value: 'cli' }),
    ]);
    expect(started.stderr).toBe('');
    const { executionArn } = JSON.parse(started.stdout) as { executionArn: string };
    let described: { status: string; output?: string } = { status: 'RUNNING' };
    for (let attempt = 0; attempt < 20 && described.status === 'RUNNING'; attempt++) {
      const result = await aws(runtime.endpoint, ['describe-execution', '--execution-arn', executionArn]);
      expect(result.code).toBe(0);
      described = JSON.parse(result.stdout);
    }
    const listed = await aws(runtime.endpoint, [
      'list-executions',
      '--state-machine-arn',
      stateMachineArn,
      '--status-filter',
      'SUCCEEDED',
    ]);
    const history = await aws(runtime.endpoint, ['get-execution-history', '--execution-arn', executionArn]);
    // Assess
    expect(started.code).toBe(0);
    expect(executionArn).toMatch(/:execution:sfn-batch-test-call-lambda:from-the-cli$/);
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '{}').result.event.input).toEqual({ value: 'cli' });
    expect(JSON.parse(listed.stdout).executions.map((execution: { name: string }) => execution.name)).toEqual(
      ['from-the-cli'],
    );
    const events = JSON.parse(history.stdout).events as Array<{ type: string; id: number }>;
    expect(events[0]?.type).toBe('ExecutionStarted');
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
  }, 120_000);

  it('reports an unknown execution as ExecutionDoesNotExist with a failing exit code', async () => {
    // Act
    const result = await aws(runtime.endpoint, [
      'describe-execution',
      '--execution-arn',
      `arn:aws:states:${REGION}:000000000000:execution:sfn-batch-test-call-lambda:missing`,
    ]);
    // Assess
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('ExecutionDoesNotExist');
  }, 60_000);
});
