// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is CloudFormation Fn::Sub syntax, not a JS template
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListTagsForResourceCommand, SFNClient } from '@aws-sdk/client-sfn';
import validateAsl from 'asl-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JobSpec } from '#lib/schedule/job-spec.ts';
import { loadJobSpecs } from '#lib/schedule/load.ts';
import { LOG_DELIVERY_ACTIONS, stateMachineLogicalId } from '#lib/workflows/deployment.ts';
import { everyState } from '#lib/workflows/states.ts';
import { startLocalRuntime } from '../../local/runtime.ts';
import { expectCfnLintClean } from '../support/cfn-lint.ts';
import {
  type CfnResource,
  type CfnTemplate,
  type Json,
  packageTemplate,
  resolveDefinition,
  resourcesOfType,
} from './packaged-template.ts';

// Packages the real service once for the prod stage (esbuild + osls, about 30 s),
// then checks the CloudFormation template against the job specs.

let template: CfnTemplate;
let templatePath: string;
let jobs: JobSpec[];

beforeAll(async () => {
  jobs = await loadJobSpecs();
  ({ template, templatePath } = await packageTemplate('prod'));
}, 240_000);

function jobOf(resource: CfnResource): JobSpec {
  const name = String(resource.Properties.StateMachineName).replace(/^sfn-batch-prod-/, '');
  const job = jobs.find((candidate) => candidate.name === name);
  if (!job) throw new Error(`state machine ${name} matches no job`);
  return job;
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Json;
}

/** Every IAM statement in the template, with the role it belongs to. */
function iamStatements(): { role: string; statement: Statement }[] {
  return resourcesOfType(template, 'AWS::IAM::Role').flatMap(([role, resource]) => {
    const policies = (resource.Properties.Policies ?? []) as unknown as {
      PolicyDocument: { Statement: Statement[] };
    }[];
    return policies.flatMap((policy) =>
      policy.PolicyDocument.Statement.map((statement) => ({ role, statement })),
    );
  });
}

const actionsOf = (statement: Statement) => [statement.Action].flat();

describe('packaged CloudFormation template (prod)', () => {
  it('declares one Standard state machine per job, named sfn-batch-<stage>-<job>', () => {
    const machines = resourcesOfType(template, 'AWS::StepFunctions::StateMachine');

    expect(machines.map(([, resource]) => resource.Properties.StateMachineName).sort()).toEqual(
      jobs.map((job) => `sfn-batch-prod-${job.name}`).sort(),
    );
    for (const [id, resource] of machines) {
      expect(resource.Properties.StateMachineType, id).toBe('STANDARD');
      expect(id).toBe(stateMachineLogicalId(jobOf(resource).name));
    }
  });

  it('declares one Scheduler schedule per job with its expression, time zone and enabled flag', () => {
    const schedules = resourcesOfType(template, 'AWS::Scheduler::Schedule');

    expect(schedules).toHaveLength(jobs.length);
    for (const job of jobs) {
      const found = schedules.find(
        ([, s]) =>
          (s.Properties.Target as { Arn: Json }).Arn !== undefined &&
          JSON.stringify((s.Properties.Target as { Arn: Json }).Arn) ===
            JSON.stringify({ Ref: stateMachineLogicalId(job.name) }),
      );
      expect(found, job.name).toBeDefined();
      const properties = found?.[1].Properties ?? {};
      expect(properties.ScheduleExpression, job.name).toBe(job.schedule);
      expect(properties.ScheduleExpressionTimezone, job.name).toBe(job.timezone);
      expect(properties.State, job.name).toBe(job.enabled ? 'ENABLED' : 'DISABLED');
      expect(properties.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
      const input = JSON.parse(String((properties.Target as { Input: string }).Input));
      expect(input).toEqual({
        scheduledTime: '<aws.scheduler.scheduled-time>',
        trigger: 'schedule',
        params: job.defaultInput,
      });
    }
  });

  it('sets every job’s RunTask TimeoutSeconds to its spec and a timeout on every Task state', () => {
    for (const [id, resource] of resourcesOfType(template, 'AWS::StepFunctions::StateMachine')) {
      const job = jobOf(resource);
      const definition = resolveDefinition(resource.Properties.DefinitionString ?? null);
      const states = allStates(definition);
      const runTasks = states.filter(([, state]) => state.Resource === 'arn:aws:states:::ecs:runTask.sync');

      expect(runTasks, id).toHaveLength(1);
      expect(runTasks[0]?.[1].TimeoutSeconds, id).toBe(job.timeoutSeconds);
      for (const [name, state] of states.filter(([, s]) => s.Type === 'Task')) {
        expect(typeof state.TimeoutSeconds, `${id} ${name}`).toBe('number');
      }
    }
  });

  it('logs every state machine’s failures to one CloudWatch log group, without execution data', () => {
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    const logGroup = groups.find(([, group]) =>
      String(group.Properties.LogGroupName).startsWith('/aws/vendedlogs/'),
    );

    expect(logGroup?.[1].Properties).toEqual({
      LogGroupName: '/aws/vendedlogs/states/sfn-batch-prod',
      RetentionInDays: 90,
    });
    for (const [id, resource] of resourcesOfType(template, 'AWS::StepFunctions::StateMachine')) {
      expect(resource.Properties.LoggingConfiguration, id).toEqual({
        Level: 'ERROR',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroup?.[0], 'Arn'] } } }],
      });
    }
  });

  it('gives every state machine a whole-run TimeoutSeconds that outlasts all of its job’s attempts', () => {
    for (const [id, resource] of resourcesOfType(template, 'AWS::StepFunctions::StateMachine')) {
      const job = jobOf(resource);
      const definition = resolveDefinition(resource.Properties.DefinitionString ?? null);
      const limit = definition.TimeoutSeconds;

      expect(typeof limit, id).toBe('number');
      expect(Number(limit), id).toBeGreaterThan(job.timeoutSeconds * job.retry.maxAttempts);
    }
  });

  it('resolves to valid ASL with the stack’s ARNs and subnet lists, and nothing hard-coded', () => {
    for (const [id, resource] of resourcesOfType(template, 'AWS::StepFunctions::StateMachine')) {
      const raw = JSON.stringify(resource.Properties.DefinitionString);
      const definition = resolveDefinition(resource.Properties.DefinitionString ?? null);
      const result = validateAsl(structuredClone(definition));
      const runTask = allStates(definition).find(
        ([, s]) => s.Resource === 'arn:aws:states:::ecs:runTask.sync',
      )?.[1];

      expect(result.errorsText('\n'), id).toBe('');
      expect(raw, id).not.toMatch(/\d{12}|subnet-|sg-|arn:aws:(lambda|ecs):/);
      expect(runTask?.Parameters, id).toMatchObject({
        Cluster: expect.stringContaining('JobsCluster'),
        NetworkConfiguration: {
          AwsvpcConfiguration: {
            Subnets: ['subnet-0a', 'subnet-0b'],
            SecurityGroups: ['sg-0a'],
            AssignPublicIp: 'DISABLED',
          },
        },
      });
    }
  });

  it('uses Resource "*" only for ecr:GetAuthorizationToken and the log-delivery actions, which have no resource-level permissions', () => {
    const wildcards = iamStatements().filter(
      ({ statement }) => JSON.stringify(statement.Resource).includes('"*"') || statement.Resource === '*',
    );

    expect(wildcards.map(({ role, statement }) => [role, actionsOf(statement)])).toEqual([
      ['TaskExecutionRole', ['ecr:GetAuthorizationToken']],
      ['StateMachinesRole', [...LOG_DELIVERY_ACTIONS]],
    ]);
    for (const { statement } of iamStatements()) {
      for (const action of actionsOf(statement)) expect(action).not.toMatch(/\*/);
    }
  });

  it('limits RunTask to the project’s task definitions and PassRole to its task roles', () => {
    const statements = iamStatements().filter(({ role }) => role === 'StateMachinesRole');
    const runTask = statements.find(({ statement }) =>
      actionsOf(statement).includes('ecs:RunTask'),
    )?.statement;
    const passRole = statements.find(({ statement }) =>
      actionsOf(statement).includes('iam:PassRole'),
    )?.statement;

    expect(JSON.stringify(runTask?.Resource)).toContain('task-definition/sfn-batch-prod-batch-jobs:*');
    expect(JSON.stringify(runTask?.Resource)).toContain('task-definition/sfn-batch-prod-xlsx-converter:*');
    expect(runTask?.Condition).toEqual({
      ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': ['JobsCluster', 'Arn'] } },
    });
    expect(passRole?.Resource).toEqual([
      { 'Fn::GetAtt': ['TaskExecutionRole', 'Arn'] },
      { 'Fn::GetAtt': ['BatchJobsTaskRole', 'Arn'] },
      { 'Fn::GetAtt': ['XlsxConverterTaskRole', 'Arn'] },
    ]);
  });

  it('lets the guard list executions of this stage’s state machines only', () => {
    const listing = iamStatements().filter(({ statement }) =>
      actionsOf(statement).includes('states:ListExecutions'),
    );

    expect(listing.length).toBeGreaterThan(0);
    for (const { statement } of listing) {
      expect(statement.Resource).toEqual({
        'Fn::Sub':
          'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:sfn-batch-prod-*',
      });
    }
  });

  it('routes FAILED, TIMED_OUT and ABORTED executions of this stage to the notify Lambda', () => {
    const rules = resourcesOfType(template, 'AWS::Events::Rule').map(([, rule]) => rule.Properties);
    const failures = rules.find((rule) => JSON.stringify(rule.EventPattern).includes('TIMED_OUT'));

    expect(failures?.EventPattern).toMatchObject({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
    });
    expect(JSON.stringify(failures?.EventPattern)).toContain('stateMachine:sfn-batch-prod-');
    expect(JSON.stringify(failures?.Targets)).toContain('NotifyFailureLambdaFunction');
  });

  it('gives both notify rule targets a retry policy and the dead-letter queue, which alarms when it holds a message', () => {
    const rules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, rule]) =>
      JSON.stringify(rule.Properties.Targets).includes('NotifyFailureLambdaFunction'),
    );
    const [, queue] =
      resourcesOfType(template, 'AWS::SQS::Queue').find(([id]) => id === 'NotifyDeadLetterQueue') ?? [];
    const [, alarm] = resourcesOfType(template, 'AWS::CloudWatch::Alarm')[0] ?? [];
    const [, invokeConfig] = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig')[0] ?? [];

    expect(rules).toHaveLength(2);
    for (const [, rule] of rules) {
      expect(rule.Properties.Targets).toMatchObject([
        {
          RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['NotifyDeadLetterQueue', 'Arn'] } },
        },
      ]);
    }
    expect(queue).toBeDefined();
    // A handler that throws (Slack unreachable) is retried by Lambda, then lands in the same queue.
    expect(invokeConfig?.Properties).toMatchObject({
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['NotifyDeadLetterQueue', 'Arn'] } } },
    });
    expect(alarm?.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['NotifyDeadLetterQueue', 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('tags every state machine exactly as the local runtime does', async () => {
    // Prepare: the local runtime answers ListTagsForResource from the same job specs.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-tags-'));
    const runtime = await startLocalRuntime({
      jobs,
      dataDir,
      stage: 'prod',
      port: 0,
      taskEnvironment: {},
      notifyLambda: false,
      warn: () => undefined,
    });
    try {
      const client = new SFNClient({
        endpoint: runtime.endpoint,
        region: 'ap-northeast-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });

      for (const [, resource] of resourcesOfType(template, 'AWS::StepFunctions::StateMachine')) {
        // Act
        const job = jobOf(resource);
        const local = await client.send(
          new ListTagsForResourceCommand({ resourceArn: runtime.stateMachineArn(job.name) }),
        );

        // Assess
        const packaged = (resource.Properties.Tags as { Key: string; Value: string }[]).map((tag) => [
          tag.Key,
          tag.Value,
        ]);
        expect(Object.fromEntries(packaged), job.name).toEqual(
          Object.fromEntries((local.tags ?? []).map((tag) => [tag.key, tag.value])),
        );
      }
    } finally {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('reads secrets from SSM at run time and never holds their values', () => {
    const taskDefinitions = resourcesOfType(template, 'AWS::ECS::TaskDefinition');
    const text = JSON.stringify(template);

    expect(taskDefinitions).toHaveLength(2);
    for (const [, definition] of taskDefinitions) {
      const [container] = definition.Properties.ContainerDefinitions as {
        Secrets: { Name: string; ValueFrom: Json }[];
      }[];
      expect(container?.Secrets).toEqual([
        {
          Name: 'DATABASE_URL',
          ValueFrom: {
            'Fn::Sub':
              'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/sfn-batch/prod/database-url',
          },
        },
      ]);
    }
    expect(text).not.toMatch(/hooks\.slack\.com|postgres(ql)?:\/\//);
  });

  it('keeps every log group for the stage’s retention', () => {
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');

    expect(groups.length).toBeGreaterThanOrEqual(4);
    for (const [id, group] of groups) expect(group.Properties.RetentionInDays, id).toBe(90);
  });

  it('stays within CloudFormation’s template size and resource count limits', () => {
    // 1,000,000 bytes for a template uploaded through S3 (as the Framework does) and 500 resources.
    // About 14 kB and 3 resources per job (definitions compacted by serverless/compact-definitions.cjs).
    const bytes = Buffer.byteLength(JSON.stringify(template, null, 2));

    expect(bytes).toBeLessThan(1_000_000);
    expect(Object.keys(template.Resources).length).toBeLessThan(500);
  });

  it('passes cfn-lint', () => {
    expectCfnLintClean(templatePath);
  }, 120_000);
});

type State = Record<string, Json> & { Type?: string; Resource?: string };

function allStates(definition: Record<string, Json>): [string, State][] {
  return everyState<State>(definition);
}
