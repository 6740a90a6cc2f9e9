import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  containerOverridesLength,
  jobContainerOverrides,
  MAX_CONTAINER_OVERRIDES_CHARACTERS,
  taskInputProblem,
} from '../../lib/contracts/task-input-limits.ts';
import { loadJobSpecs } from '../../lib/schedule/load.ts';
import { localSynthesisContext, synthesizeDefinition } from '../../lib/workflows/synthesize.ts';
import { camelCaseKeysDeep } from '../../local/api/key-case.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import {
  makeJob,
  sfnClient,
  taskDefinition,
  useTestRuntime,
  waitForStatus,
} from '../local-runtime/helpers.ts';
import { batchctl, REPO } from '../support/processes.ts';
import { startRuntimeForBatchctl } from './batchctl-runtime.ts';

const job = makeJob('with-note', { defaultInput: { note: '' } });
const ARN = 'arn:aws:states:ap-northeast-1:000000000000:execution:sfn-batch-test-with-note:run-1';

/** The params note that makes the overrides exactly `length` characters. */
function noteForLength(length: number): string {
  const base = containerOverridesLength(
    jobContainerOverrides(job, {
      job: job.name,
      executionArn: ARN,
      scheduledTime: new Date(0).toISOString(),
      params: { note: '' },
    }),
  );
  return 'n'.repeat(length - base);
}

describe('ECS container override limit (8,192 characters) for execution input', () => {
  it('accepts params whose overrides are exactly 8,192 characters and refuses one more', () => {
    const fits = { params: { note: noteForLength(MAX_CONTAINER_OVERRIDES_CHARACTERS) } };
    const over = { params: { note: noteForLength(MAX_CONTAINER_OVERRIDES_CHARACTERS + 1) } };
    expect(taskInputProblem(job, fits, ARN)).toBeUndefined();
    expect(taskInputProblem(job, over, ARN)).toMatch(
      /container overrides 8193 characters; ECS RunTask accepts at most 8192.*object storage/,
    );
  });

  it('counts JSON escaping: quotes in params take two characters each in the environment value', () => {
    const plain = taskInputProblem(job, { params: { note: 'a'.repeat(4000) } }, ARN);
    const quoted = taskInputProblem(job, { params: { note: '"'.repeat(4000) } }, ARN);
    expect(plain).toBeUndefined();
    expect(quoted).toBeDefined();
  });

  it('assumes the longest execution ARN when the execution is not named yet', () => {
    const nearLimit = { params: { note: noteForLength(MAX_CONTAINER_OVERRIDES_CHARACTERS - 20) } };
    expect(taskInputProblem(job, nearLimit, ARN)).toBeUndefined();
    expect(taskInputProblem(job, nearLimit)).toBeDefined();
  });

  it('leaves the xlsx export alone (its converters get a manifest key, not the params)', () => {
    const exportJob = { ...job, workflow: 'xlsx-export' as const };
    expect(taskInputProblem(exportJob, { params: { note: 'x'.repeat(20_000) } }, ARN)).toBeUndefined();
  });

  it('refuses an input over the 256 KiB Step Functions quota', () => {
    expect(taskInputProblem(job, { params: { note: 'x'.repeat(262_144) } }, ARN)).toMatch(/256 KiB/);
  });
});

describe('the override size check follows the synthesised workflow', () => {
  it('builds exactly the container overrides the task workflow sends (fails if the template changes them)', () => {
    const taskJob = makeJob('with-note', {
      container: 'batch-jobs',
      command: ['job', '--flag'],
      defaultInput: {},
    });
    const definition = synthesizeDefinition(taskJob, localSynthesisContext('test')) as {
      States: Record<
        string,
        { Resource?: string; Parameters?: { Overrides?: { ContainerOverrides?: unknown[] } } }
      >;
    };
    const runTask = Object.values(definition.States).find(
      (state) => state.Resource === 'arn:aws:states:::ecs:runTask.sync',
    );
    const taskInput = {
      job: taskJob.name,
      executionArn: ARN,
      scheduledTime: '2026-11-30T00:00:00.000Z',
      params: { a: 1 },
    };
    // What States.JsonToString($.run.taskInput) yields at run time.
    const sent = JSON.parse(
      JSON.stringify(runTask?.Parameters?.Overrides?.ContainerOverrides ?? []).replaceAll(
        /"Value\.\$":"[^"]*"/g,
        `"Value":${JSON.stringify(JSON.stringify(taskInput))}`,
      ),
    );
    expect(camelCaseKeysDeep(sent)).toEqual(jobContainerOverrides(taskJob, taskInput));
  });
});

describe('local RunTask enforces the override limit as ECS does', () => {
  const local = useTestRuntime([
    { job: makeJob('run-task'), definition: taskDefinition({ timeoutSeconds: 30 }) },
  ]);

  it.each([
    ['9 KB', 9_000],
    ['200 KB (once spawn E2BIG)', 200_000],
  ])('fails a %s input with ECS.InvalidParameterException before any task starts', async (_label, size) => {
    const client = local.sfn;
    const started = await client.send(
      new StartExecutionCommand({
        stateMachineArn: local.runtime.stateMachineArn('run-task'),
        input: JSON.stringify({ command: ['succeed'], pad: 'x'.repeat(size) }),
      }),
    );
    const described = await waitForStatus(client, started.executionArn ?? '');
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('ECS.InvalidParameterException');
    expect(described.cause).toMatch(/^Container Overrides length must be at most 8192/);
  });
});

// Spawns batchctl (about a second): the real CLI refuses before anything starts.
describe('batchctl run refuses an input that cannot reach the task', () => {
  let runtime: LocalRuntime;
  let dataDir: string;
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'sfn-batch-limits-'));
    dataDir = path.join(root, 'data');
    mkdirSync(path.join(root, 'schedules'), { recursive: true });
    copyFileSync(
      path.join(REPO, 'schedules', '_defaults.yml'),
      path.join(root, 'schedules', '_defaults.yml'),
    );
    const source = readFileSync(path.join(REPO, 'schedules', 'analyze-tables.yml'), 'utf8');
    writeFileSync(path.join(root, 'schedules', 'analyze-tables.yml'), `${source}\ninput:\n  note: ""\n`);
    const [loaded] = await loadJobSpecs(path.join(root, 'schedules'));
    if (loaded === undefined) throw new Error('no job loaded');
    runtime = await startRuntimeForBatchctl(loaded, dataDir);
  });

  afterAll(async () => {
    await runtime?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('exits 1 with the reason and what to do, and starts no execution', async () => {
    const result = await batchctl(dataDir, [
      '--root',
      root,
      'run',
      'analyze-tables',
      '--input',
      JSON.stringify({ params: { note: 'x'.repeat(9_000) } }),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/nothing was started: .*ECS RunTask accepts at most 8192.*object storage/);
    const listed = await sfnClient(runtime.endpoint).send(
      new ListExecutionsCommand({ stateMachineArn: runtime.stateMachineArn('analyze-tables') }),
    );
    expect(listed.executions).toEqual([]);
  });
});
