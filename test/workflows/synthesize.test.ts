import validateAsl from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { TASK_INPUT_ENV } from '#lib/contracts/execution-input.ts';
import type { JobSpec } from '#lib/schedule/job-spec.ts';
import { loadJobSpecs } from '#lib/schedule/load.ts';
import { everyState } from '#lib/workflows/states.ts';
import type { AslDefinition, JsonValue } from '#lib/workflows/synthesize.ts';
import {
  localSynthesisContext,
  retryWaitSeconds,
  type SynthesisContext,
  synthesizeDefinition,
  WorkflowSynthesisError,
} from '#lib/workflows/synthesize.ts';
import { makeExportJob, makeTaskJob } from '../support/job-spec.ts';

const context = localSynthesisContext('test');

/** asl-validator mutates its input (adds QueryLanguage), so it always gets a copy. */
function validate(definition: AslDefinition): { isValid: boolean; errors: string } {
  const result = validateAsl(structuredClone(definition));
  return { isValid: result.isValid, errors: result.errorsText('\n') };
}

function allStates(definition: AslDefinition): [string, Record<string, JsonValue>][] {
  return everyState<Record<string, JsonValue>>(definition);
}

function state(definition: AslDefinition, name: string): Record<string, JsonValue> {
  const found = allStates(definition).find(([stateName]) => stateName === name);
  if (!found) throw new Error(`no state named ${name}`);
  return found[1];
}

const fixtureJobs: JobSpec[] = [
  makeTaskJob(),
  makeTaskJob({
    name: 'spot-job',
    spot: true,
    retry: { maxAttempts: 1, intervalSeconds: 5, backoffRate: 1, retryOnJobFailure: false },
  }),
  makeTaskJob({
    name: 'retrying-job',
    concurrency: 'allow',
    retry: { maxAttempts: 5, intervalSeconds: 10, backoffRate: 1.5, retryOnJobFailure: true },
  }),
  makeExportJob(),
];

describe('synthesizeDefinition', () => {
  it.each(fixtureJobs.map((job) => [job.name, job] as const))(
    'produces a valid definition for fixture %s',
    (_name, job) => {
      const definition = synthesizeDefinition(job, context);

      const result = validate(definition);

      expect(result.errors).toBe('');
      expect(result.isValid).toBe(true);
    },
  );

  it('produces a valid definition for every job in schedules/', async () => {
    const jobs = await loadJobSpecs();

    const invalid = jobs
      .map((job) => ({ job: job.name, ...validate(synthesizeDefinition(job, context)) }))
      .filter((result) => !result.isValid);

    expect(jobs.length).toBeGreaterThan(0);
    expect(invalid).toEqual([]);
  });

  it('puts a Comment and an explicit TimeoutSeconds on every Task state', () => {
    for (const job of fixtureJobs) {
      const tasks = allStates(synthesizeDefinition(job, context)).filter(([, s]) => s.Type === 'Task');

      expect(tasks.length).toBeGreaterThan(1);
      for (const [name, task] of tasks) {
        expect(typeof task.Comment, `${job.name} / ${name}`).toBe('string');
        expect(typeof task.TimeoutSeconds, `${job.name} / ${name}`).toBe('number');
      }
    }
  });

  it('sets the RunTask timeout, size, command and capacity provider from the spec', () => {
    const job = makeTaskJob({ spot: true, timeoutSeconds: 4321, size: { cpu: 2048, memory: 8192 } });

    const runTask = state(synthesizeDefinition(job, context), 'Run job task');

    expect(runTask.TimeoutSeconds).toBe(4321);
    expect(runTask.Resource).toBe('arn:aws:states:::ecs:runTask.sync');
    expect(runTask.Parameters).toMatchObject({
      Cluster: context.clusterArn,
      TaskDefinition: context.taskDefinitionArns['batch-jobs'],
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
      Tags: [{ Key: 'job', Value: 'aggregate-record-stats' }],
      NetworkConfiguration: { AwsvpcConfiguration: { Subnets: context.subnets, AssignPublicIp: 'DISABLED' } },
      Overrides: {
        Cpu: '2048',
        Memory: '8192',
        ContainerOverrides: [
          {
            Name: 'batch-jobs',
            Command: job.command,
            Environment: [{ Name: TASK_INPUT_ENV, 'Value.$': 'States.JsonToString($.run.taskInput)' }],
          },
        ],
      },
    });
  });

  it('uses FARGATE unless the job opts in to Spot', () => {
    const runTask = state(synthesizeDefinition(makeTaskJob({ spot: false }), context), 'Run job task');

    expect(runTask.Parameters).toMatchObject({ CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE' }] });
  });

  it('derives the provisioning retry budget and pauses from the spec', () => {
    const job = makeTaskJob({
      retry: { maxAttempts: 4, intervalSeconds: 20, backoffRate: 2, retryOnJobFailure: false },
    });

    const prepare = state(synthesizeDefinition(job, context), 'Prepare task input');

    expect(retryWaitSeconds(job)).toEqual([0, 20, 40, 80]);
    expect(prepare.Parameters).toMatchObject({
      attempt: { count: 1, maxAttempts: 4, waitSeconds: [0, 20, 40, 80], retryOnJobFailure: false },
    });
  });

  it('limits a task run to its guard, every attempt with its RunTask retries, and the pauses between', () => {
    // Guard: 30 s timeout on 1 + 4 attempts, pauses 2+4+8+16. Each of 3 attempts: 1,800 s
    // plus RunTask pauses 10+20+40+80+160. Pauses between attempts: 30 + 60.
    const expected = 30 * 5 + 30 + 3 * (1800 + 310) + 90;

    expect(synthesizeDefinition(makeTaskJob(), context).TimeoutSeconds).toBe(Math.ceil(expected / 60) * 60);
  });

  it('limits an export run to one export period', () => {
    const weekly = makeExportJob({
      export: { frequency: 'weekly', maxConcurrency: 2, recordsPerBatch: 1000 },
    });

    expect(synthesizeDefinition(makeExportJob(), context).TimeoutSeconds).toBe(28 * 86_400);
    expect(synthesizeDefinition(weekly, context).TimeoutSeconds).toBe(7 * 86_400);
  });

  it('sets the export Map concurrency and enqueue parameters from the spec', () => {
    const job = makeExportJob({ export: { frequency: 'weekly', maxConcurrency: 7, recordsPerBatch: 5000 } });
    const definition = synthesizeDefinition(job, context);

    const map = state(definition, 'Convert batches');
    const enqueue = state(definition, 'Enqueue export targets');

    expect(map.MaxConcurrency).toBe(7);
    expect(enqueue.Resource).toBe(context.enqueueExportsFunctionArn);
    expect(enqueue.Parameters).toMatchObject({
      frequency: 'weekly',
      recordsPerBatch: 5000,
      timezone: 'Asia/Tokyo',
    });
    expect(state(definition, 'Run converter task').TimeoutSeconds).toBe(7200);
  });

  it('takes every ARN from the context and none from the template', () => {
    const deployed: SynthesisContext = {
      stage: 'prod',
      checkDuplicateStartFunctionArn: { 'Fn::GetAtt': ['CheckDuplicateStartLambdaFunction', 'Arn'] },
      enqueueExportsFunctionArn: { 'Fn::GetAtt': ['EnqueueExportsLambdaFunction', 'Arn'] },
      clusterArn: { 'Fn::GetAtt': ['JobsCluster', 'Arn'] },
      taskDefinitionArns: { 'xlsx-converter': { Ref: 'XlsxConverterTaskDefinition' } },
      subnets: [{ 'Fn::Join': ['","', { Ref: 'SubnetIds' }] }],
      securityGroups: [{ 'Fn::Join': ['","', { Ref: 'SecurityGroupIds' }] }],
      assignPublicIp: { Ref: 'AssignPublicIp' },
    };

    const text = JSON.stringify(synthesizeDefinition(makeExportJob(), deployed));

    expect(text).not.toMatch(/arn:aws:(lambda|ecs):/);
    expect(text).not.toMatch(/\d{12}/);
    expect(text).toContain('CheckDuplicateStartLambdaFunction');
    expect(text).toContain('XlsxConverterTaskDefinition');
  });

  it('rejects a job whose container has no task definition, naming the file', () => {
    const job = makeTaskJob({ container: 'no-such-container' });

    expect(() => synthesizeDefinition(job, context)).toThrow(WorkflowSynthesisError);
    expect(() => synthesizeDefinition(job, context)).toThrow(
      /schedules\/aggregate-record-stats\.yml: field container/,
    );
  });

  it('rejects text that CloudFormation would read as a substitution', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is what the test is about
    const job = makeTaskJob({ command: ['echo', '${HOME}'] });

    expect(() => synthesizeDefinition(job, context)).toThrow(/field command contains/);
  });

  it('names the input: key as the schedule file spells it', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text is what the test is about
    const job = makeTaskJob({ defaultInput: { path: '${HOME}/x' } });

    expect(() => synthesizeDefinition(job, context)).toThrow(/field input contains/);
  });

  it('returns a fresh definition each time, so callers may mutate it', () => {
    const first = synthesizeDefinition(makeTaskJob(), context);
    first.States = {};

    const second = synthesizeDefinition(makeTaskJob(), context);

    expect(Object.keys(second.States).length).toBeGreaterThan(5);
  });
});
