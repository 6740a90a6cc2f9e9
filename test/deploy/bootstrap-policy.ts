// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is CloudFormation Fn::Sub syntax, not a JS template
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO } from '../support/processes.ts';
import type { CfnTemplate, Json } from './packaged-template.ts';

export const BOOTSTRAP = path.join(REPO, 'serverless', 'bootstrap.yml');

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: Json;
}

export interface Deployment {
  stage: string;
  region: string;
  account: string;
}

/** The deploy role's Allow statements with `Fn::Sub` resources resolved for one deployment. */
export function deployRoleStatements({
  stage,
  region,
  account,
}: Deployment): { actions: string[]; resources: string[] }[] {
  const template = parse(readFileSync(BOOTSTRAP, 'utf8')) as {
    Resources: { DeployRole: { Properties: { Policies: { PolicyDocument: { Statement: Statement[] } }[] } } };
  };
  const substitute = (text: string) =>
    text
      .replaceAll('${AWS::Partition}', 'aws')
      .replaceAll('${AWS::Region}', region)
      .replaceAll('${AWS::AccountId}', account)
      .replaceAll('${Stage}', stage);
  return template.Resources.DeployRole.Properties.Policies.flatMap(
    (policy) => policy.PolicyDocument.Statement,
  )
    .filter((statement) => statement.Effect === 'Allow')
    .map((statement) => ({
      actions: [statement.Action].flat(),
      resources: [statement.Resource]
        .flat()
        .map((resource) =>
          typeof resource === 'string'
            ? resource
            : substitute(String((resource as { 'Fn::Sub': string })['Fn::Sub'])),
        ),
    }));
}

/** IAM's wildcard matching of a resource pattern (`*` any run of characters, `?` one). */
function matches(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(arn);
}

/** Whether an Allow statement grants `action` on `arn` (conditions are not evaluated). */
export function isAllowed(
  statements: ReturnType<typeof deployRoleStatements>,
  action: string,
  arn: string,
): boolean {
  return statements.some(
    (statement) =>
      statement.actions.some((candidate) => candidate.toLowerCase() === action.toLowerCase()) &&
      statement.resources.some((pattern) => matches(pattern, arn)),
  );
}

/**
 * What CloudFormation calls, with the deploy role's credentials, to create the packaged
 * stack: one create action per resource (on the name the resource gets), PassRole for
 * every role a resource is given, and TagResource where a resource has tags. A resource
 * type without a rule here is returned in `unknownTypes`, so a new kind of resource in
 * serverless.yml cannot slip past the deploy role unnoticed.
 */
export function creationCalls(
  template: CfnTemplate,
  { stage, region, account }: Deployment,
): { calls: { resource: string; action: string; arn: string }[]; unknownTypes: string[] } {
  const stack = `sfn-batch-${stage}`;
  const arn = (service: string, rest: string) => `arn:aws:${service}:${region}:${account}:${rest}`;
  // CloudFormation names unnamed roles and buckets <stack>-<logical id>-<random suffix>.
  const generatedRole = (id: string) => `arn:aws:iam::${account}:role/${stack}-${id}-ABCDEF123456`;
  const generatedBucket = (id: string) => `arn:aws:s3:::${stack}-${id.toLowerCase()}-abcdef123456`;
  const functionName = (value: Json): string => {
    const id =
      (value as { Ref?: string; 'Fn::GetAtt'?: string[] }).Ref ??
      (value as { 'Fn::GetAtt': string[] })['Fn::GetAtt']?.[0];
    return String(template.Resources[String(id)]?.Properties.FunctionName);
  };
  const calls: { resource: string; action: string; arn: string }[] = [];
  const unknownTypes = new Set<string>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const properties = resource.Properties;
    const add = (action: string, target: string) => calls.push({ resource: id, action, arn: target });
    const text = JSON.stringify(properties);
    for (const [, roleId] of text.matchAll(/\{"Fn::GetAtt":\["([A-Za-z0-9]+Role)","Arn"\]\}/g)) {
      if (resource.Type !== 'AWS::IAM::Role') add('iam:PassRole', generatedRole(String(roleId)));
    }
    switch (resource.Type) {
      case 'AWS::StepFunctions::StateMachine':
        add('states:CreateStateMachine', arn('states', `stateMachine:${properties.StateMachineName}`));
        if (properties.Tags)
          add('states:TagResource', arn('states', `stateMachine:${properties.StateMachineName}`));
        // Logging to CloudWatch: the creating principal needs the log-delivery actions.
        if (properties.LoggingConfiguration) add('logs:CreateLogDelivery', '*');
        break;
      case 'AWS::Scheduler::Schedule':
        add('scheduler:CreateSchedule', arn('scheduler', `schedule/default/${properties.Name}`));
        break;
      case 'AWS::Lambda::Function':
        add('lambda:CreateFunction', arn('lambda', `function:${properties.FunctionName}`));
        if (properties.Tags) add('lambda:TagResource', arn('lambda', `function:${properties.FunctionName}`));
        add(
          's3:GetObject',
          `${generatedBucket('ServerlessDeploymentBucket')}/${String((properties.Code as { S3Key: string }).S3Key)}`,
        );
        break;
      case 'AWS::Lambda::Version':
        add(
          'lambda:PublishVersion',
          arn('lambda', `function:${functionName(properties.FunctionName ?? null)}`),
        );
        break;
      case 'AWS::Lambda::Permission':
        add(
          'lambda:AddPermission',
          arn('lambda', `function:${functionName(properties.FunctionName ?? null)}`),
        );
        break;
      case 'AWS::Logs::LogGroup':
        add('logs:CreateLogGroup', arn('logs', `log-group:${properties.LogGroupName}`));
        add('logs:PutRetentionPolicy', arn('logs', `log-group:${properties.LogGroupName}`));
        break;
      case 'AWS::Events::Rule':
        add('events:PutRule', arn('events', `rule/${properties.Name}`));
        add('events:PutTargets', arn('events', `rule/${properties.Name}`));
        break;
      case 'AWS::Lambda::EventInvokeConfig':
        add(
          'lambda:PutFunctionEventInvokeConfig',
          arn('lambda', `function:${functionName(properties.FunctionName ?? null)}`),
        );
        break;
      case 'AWS::SQS::Queue':
        add('sqs:CreateQueue', arn('sqs', String(properties.QueueName ?? `${stack}-${id}-ABCDEF123456`)));
        break;
      case 'AWS::SQS::QueuePolicy':
        for (const queue of [properties.Queues ?? []].flat()) {
          const queueId = String((queue as { Ref: string }).Ref);
          const queueName =
            template.Resources[queueId]?.Properties.QueueName ?? `${stack}-${queueId}-ABCDEF123456`;
          add('sqs:SetQueueAttributes', arn('sqs', String(queueName)));
        }
        break;
      case 'AWS::CloudWatch::Alarm':
        add('cloudwatch:PutMetricAlarm', arn('cloudwatch', `alarm:${properties.AlarmName}`));
        break;
      case 'AWS::ECS::Cluster':
        add('ecs:CreateCluster', arn('ecs', `cluster/${properties.ClusterName}`));
        break;
      case 'AWS::ECS::TaskDefinition':
        add('ecs:RegisterTaskDefinition', '*');
        if (properties.Tags) add('ecs:TagResource', arn('ecs', `task-definition/${properties.Family}:1`));
        break;
      case 'AWS::IAM::Role':
        add('iam:CreateRole', generatedRole(id));
        if (properties.Policies) add('iam:PutRolePolicy', generatedRole(id));
        if (properties.ManagedPolicyArns) add('iam:AttachRolePolicy', generatedRole(id));
        break;
      case 'AWS::S3::Bucket':
        add('s3:CreateBucket', generatedBucket(id));
        if (properties.BucketEncryption) add('s3:PutEncryptionConfiguration', generatedBucket(id));
        if (properties.PublicAccessBlockConfiguration)
          add('s3:PutBucketPublicAccessBlock', generatedBucket(id));
        if (properties.LifecycleConfiguration) add('s3:PutLifecycleConfiguration', generatedBucket(id));
        if (properties.OwnershipControls) add('s3:PutBucketOwnershipControls', generatedBucket(id));
        break;
      case 'AWS::S3::BucketPolicy':
        add('s3:PutBucketPolicy', generatedBucket(String((properties.Bucket as { Ref: string }).Ref)));
        break;
      default:
        unknownTypes.add(resource.Type);
    }
  }
  return { calls, unknownTypes: [...unknownTypes] };
}
