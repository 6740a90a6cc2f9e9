// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is CloudFormation Fn::Sub syntax, not a JS template
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSpec } from '#lib/schedule/job-spec.ts';
import { loadJobSpecs } from '#lib/schedule/load.ts';
import { stateMachineLogicalId, taskDefinitionLogicalId } from '#lib/workflows/deployment.ts';
import { CONTAINERS } from '#lib/workflows/names.ts';
import { creationCalls, deployRoleStatements, isAllowed } from './bootstrap-policy.ts';
import { type CfnTemplate, type Json, resolveDefinition, resourcesOfType } from './packaged-template.ts';
import { packagingCopy, readDeployWorkflow, runStep, stepScript } from './workflow-steps.ts';

// Runs the deploy workflow's own "Package" step (npm run package with the stage's --param
// values) once, in a copy of the project, and checks what a deploy of it would do.
// Slow (esbuild + osls, about 30-45 s): every check here shares the one packaging run.

const IMAGE_TAG = 'abc123';
let copy: string;
let template: CfnTemplate;
let stackParameters: { ParameterKey: string; ParameterValue: string }[];
let jobs: JobSpec[];

beforeAll(async () => {
  jobs = await loadJobSpecs();
  copy = packagingCopy();
  const result = await runStep(stepScript(readDeployWorkflow(), 'deploy', 'Package'), {
    cwd: copy,
    env: {
      STAGE: 'prod',
      AWS_REGION: 'eu-west-1',
      IMAGE_TAG,
      SUBNET_IDS: 'subnet-0a,subnet-0b',
      SECURITY_GROUP_IDS: 'sg-0a',
      ASSIGN_PUBLIC_IP: 'DISABLED',
      ALARM_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:oncall',
      // No credentials on purpose: packaging must not need AWS.
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
    },
  });
  if (result.code !== 0) throw new Error(`the Package step failed:\n${result.stdout}${result.stderr}`);
  const output = path.join(copy, '.serverless');
  template = JSON.parse(
    readFileSync(path.join(output, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as CfnTemplate;
  const state = JSON.parse(readFileSync(path.join(output, 'serverless-state.json'), 'utf8')) as {
    service: { provider: { stackParameters: typeof stackParameters } };
  };
  stackParameters = state.service.provider.stackParameters;
}, 240_000);

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

/** A task definition's image as CloudFormation resolves it with the deploy's stack parameters. */
function resolvedImage(container: string): string {
  const definition = template.Resources[taskDefinitionLogicalId(container)];
  const [first] = (definition?.Properties.ContainerDefinitions ?? []) as { Image: { 'Fn::Sub': string } }[];
  const parameters = new Map(
    stackParameters.map((parameter) => [parameter.ParameterKey, parameter.ParameterValue]),
  );
  return String(first?.Image['Fn::Sub']).replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
    const fixed: Record<string, string> = {
      'AWS::AccountId': '111122223333',
      'AWS::Region': 'eu-west-1',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    const value = fixed[name] ?? parameters.get(name);
    if (value === undefined) throw new Error(`image of ${container} uses an unknown variable ${name}`);
    return value;
  });
}

describe('a deploy of the packaged stack (the deploy workflow’s Package step)', () => {
  it('puts the workflow’s image tag (the git SHA) into both task definitions', () => {
    // Assess
    expect(template.Parameters.ContainerImageTag).toBeDefined();
    for (const container of CONTAINERS) {
      expect(resolvedImage(container)).toBe(
        `111122223333.dkr.ecr.eu-west-1.amazonaws.com/sfn-batch/${container}:${IMAGE_TAG}`,
      );
    }
    expect(stackParameters).toEqual(
      expect.arrayContaining([
        { ParameterKey: 'SubnetIds', ParameterValue: 'subnet-0a,subnet-0b' },
        { ParameterKey: 'SecurityGroupIds', ParameterValue: 'sg-0a' },
        { ParameterKey: 'AlarmTopicArn', ParameterValue: 'arn:aws:sns:eu-west-1:111122223333:oncall' },
      ]),
    );
  });

  it('pins every state machine to its task definition’s revision ARN (Ref), so running executions keep theirs', () => {
    // Ref of an AWS::ECS::TaskDefinition is the revision ARN (…:task-definition/<family>:<n>).
    // An execution runs the definition it started with, so its tasks keep that revision.
    for (const [id, machine] of resourcesOfType(template, 'AWS::StepFunctions::StateMachine')) {
      const job = jobs.find((candidate) => stateMachineLogicalId(candidate.name) === id);
      const definition = resolveDefinition(machine.Properties.DefinitionString ?? null);
      const taskDefinitions = taskDefinitionParameters(definition);

      expect(job, id).toBeDefined();
      expect(taskDefinitions.length, id).toBeGreaterThan(0);
      for (const value of taskDefinitions) {
        expect(value, id).toBe(`ref-${taskDefinitionLogicalId(job?.container ?? '')}`);
      }
    }
  });

  it('keeps a replaced task definition revision ACTIVE, so executions that started before the deploy can still start tasks', () => {
    for (const container of CONTAINERS) {
      const definition = template.Resources[taskDefinitionLogicalId(container)] as unknown as {
        UpdateReplacePolicy?: string;
        DeletionPolicy?: string;
      };

      expect(definition.UpdateReplacePolicy, container).toBe('Retain');
      expect(definition.DeletionPolicy, container).toBe('Delete');
    }
  });

  it('changes each schedule in the same stack update as its state machine', () => {
    const machines = new Set(resourcesOfType(template, 'AWS::StepFunctions::StateMachine').map(([id]) => id));
    const targets = resourcesOfType(template, 'AWS::Scheduler::Schedule').map(
      ([, schedule]) => (schedule.Properties.Target as { Arn: { Ref?: string } }).Arn.Ref,
    );

    expect(machines.size).toBe(jobs.length);
    expect(targets.sort()).toEqual([...machines].sort());
  });
});

describe('the bootstrap deploy role (serverless/bootstrap.yml) against the packaged stack', () => {
  // An offline stand-in for the first deploy's AccessDenied errors: Allow statements are
  // matched as IAM matches them (conditions not evaluated); what CloudFormation calls per
  // resource type is written out in bootstrap-policy.ts.
  const deployment = { stage: 'prod', region: 'eu-west-1', account: '111122223333' };

  it('knows every resource type of the stack (add a new type’s actions to bootstrap.yml and bootstrap-policy.ts)', () => {
    expect(creationCalls(template, deployment).unknownTypes).toEqual([]);
  });

  it('may create every resource of the stack under the name it gets, and pass it its role', () => {
    const statements = deployRoleStatements(deployment);
    const { calls } = creationCalls(template, deployment);
    const denied = calls.filter((call) => !isAllowed(statements, call.action, call.arn));

    expect(calls.length).toBeGreaterThan(Object.keys(template.Resources).length);
    expect(denied).toEqual([]);
  });

  it('may not create the same resources for another stage', () => {
    const statements = deployRoleStatements({ ...deployment, stage: 'staging' });
    const { calls } = creationCalls(template, deployment);
    const allowed = calls.filter((call) => call.arn !== '*' && isAllowed(statements, call.action, call.arn));

    expect(allowed).toEqual([]);
  });
});

/** Every `TaskDefinition` parameter of the ecs:runTask states, nested Map processors included. */
function taskDefinitionParameters(node: Json): Json[] {
  if (Array.isArray(node)) return node.flatMap(taskDefinitionParameters);
  if (typeof node !== 'object' || node === null) return [];
  const own =
    node.Resource === 'arn:aws:states:::ecs:runTask.sync'
      ? [(node.Parameters as Record<string, Json> | undefined)?.TaskDefinition ?? null]
      : [];
  return [...own, ...Object.values(node).flatMap(taskDefinitionParameters)];
}
