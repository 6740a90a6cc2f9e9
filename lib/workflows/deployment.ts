// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} here is CloudFormation Fn::Sub syntax, not a JS template
import { stateMachineTags } from '../contracts/state-machine-tags.ts';
import { notifyRulePatterns } from '../contracts/status-change-event.ts';
import type { JobSpec } from '../schedule/job-spec.ts';
import { SERVICE_NAME } from '../schedule/job-spec.ts';
import type { JsonObject, JsonValue } from './fill-template.ts';
import {
  CONTAINERS,
  lambdaFunctionName,
  stateMachineName,
  WORKFLOW_LAMBDAS,
  type WorkflowLambdaKey,
} from './names.ts';
import { type SynthesisContext, synthesizeDefinition } from './synthesize.ts';

/** Stage-level switches, from serverless.yml `params`. */
export interface DeploymentSettings {
  stage: string;
  /** Whether EventBridge Scheduler schedules may be enabled at all in this stage (jobs still opt out). */
  schedulesEnabled: boolean;
  /** Retention of every log group the stack creates. */
  logRetentionDays: number;
}

/** What serverless.yml pulls in through `${file(./serverless/deployment.cjs):<key>}`. */
export interface Deployment {
  stateMachines: Record<string, JsonObject>;
  functions: Record<string, JsonObject>;
  resources: {
    Parameters: JsonObject;
    Conditions: JsonObject;
    Resources: JsonObject;
    Outputs: JsonObject;
    extensions: JsonObject;
  };
}

/** `aggregate-record-stats` → `AggregateRecordStats` (CloudFormation logical ID part). */
export function pascalCase(kebab: string): string {
  return kebab
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** Logical ID of a job's state machine. */
export function stateMachineLogicalId(job: string): string {
  return `${pascalCase(job)}StateMachine`;
}

/** Logical ID serverless gives a function's `AWS::Lambda::Function`. */
export function lambdaLogicalId(key: WorkflowLambdaKey): string {
  return `${key.charAt(0).toUpperCase()}${key.slice(1)}LambdaFunction`;
}

export function taskDefinitionLogicalId(container: string): string {
  return `${pascalCase(container)}TaskDefinition`;
}

export function taskRoleLogicalId(container: string): string {
  return `${pascalCase(container)}TaskRole`;
}

const sub = (text: string): JsonObject => ({ 'Fn::Sub': text });
const getAtt = (logicalId: string, attribute = 'Arn'): JsonObject => ({
  'Fn::GetAtt': [logicalId, attribute],
});
const ref = (logicalId: string): JsonObject => ({ Ref: logicalId });
const ARN_PREFIX = 'arn:${AWS::Partition}';

/**
 * The CloudFormation properties of a container's ECS task definition. The local ECS API
 * (DescribeTaskDefinition) serves the same object, so the two cannot drift.
 */
export function taskDefinitionProperties(stage: string, container: string): JsonObject {
  const secrets = secretParameterNames(stage);
  return {
    Family: `${SERVICE_NAME}-${stage}-${container}`,
    RequiresCompatibilities: ['FARGATE'],
    NetworkMode: 'awsvpc',
    // Baseline size; every RunTask overrides cpu/memory with the job's own size.
    Cpu: '256',
    Memory: '512',
    RuntimePlatform: { OperatingSystemFamily: 'LINUX', CpuArchitecture: 'X86_64' },
    Tags: [
      { Key: 'service', Value: SERVICE_NAME },
      { Key: 'stage', Value: stage },
      { Key: 'container', Value: container },
    ],
    ExecutionRoleArn: getAtt('TaskExecutionRole'),
    TaskRoleArn: getAtt(taskRoleLogicalId(container)),
    ContainerDefinitions: [
      {
        Name: container,
        Image: sub(
          `\${AWS::AccountId}.dkr.ecr.\${AWS::Region}.\${AWS::URLSuffix}/${SERVICE_NAME}/${container}:\${ContainerImageTag}`,
        ),
        Essential: true,
        // SIGTERM first, SIGKILL after this grace period (timeouts and StopExecution).
        StopTimeout: 30,
        Environment: [
          { Name: 'SFN_BATCH_STORAGE_URL', Value: sub('s3://${ExportsBucket}/') },
          { Name: 'SFN_BATCH_STAGE', Value: stage },
        ],
        Secrets: [{ Name: 'DATABASE_URL', ValueFrom: ssmParameterArn(secrets.databaseUrl) }],
        LogConfiguration: {
          LogDriver: 'awslogs',
          Options: {
            'awslogs-group': ref('TaskLogGroup'),
            'awslogs-region': ref('AWS::Region'),
            'awslogs-stream-prefix': container,
          },
        },
      },
    ],
  };
}
/** The CloudWatch Logs log-delivery actions Step Functions logging needs (on Resource "*"). */
export const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
] as const;

/** SSM parameter names of the deployment's secrets (SecureString, created out of band). */
export function secretParameterNames(stage: string) {
  return {
    databaseUrl: `/${SERVICE_NAME}/${stage}/database-url`,
    slackWebhookUrl: `/${SERVICE_NAME}/${stage}/slack-webhook-url`,
  };
}

function ssmParameterArn(name: string): JsonObject {
  return sub(`${ARN_PREFIX}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name}`);
}

/**
 * Synthesis context of the CloudFormation stack. Subnets and security groups are
 * list parameters; serverless-step-functions moves every intrinsic into a
 * `Fn::Sub` variable inside a quoted JSON string, so a list is joined with `","`
 * to come out as `["subnet-a","subnet-b"]` in the definition.
 */
export function cloudFormationSynthesisContext(stage: string): SynthesisContext {
  const taskDefinitionArns: Record<string, JsonValue> = {};
  for (const container of CONTAINERS) taskDefinitionArns[container] = ref(taskDefinitionLogicalId(container));
  return {
    stage,
    checkDuplicateStartFunctionArn: getAtt(lambdaLogicalId('checkDuplicateStart')),
    enqueueExportsFunctionArn: getAtt(lambdaLogicalId('enqueueExports')),
    clusterArn: getAtt('JobsCluster'),
    taskDefinitionArns,
    subnets: [{ 'Fn::Join': ['","', ref('SubnetIds')] }],
    securityGroups: [{ 'Fn::Join': ['","', ref('SecurityGroupIds')] }],
    assignPublicIp: ref('AssignPublicIp'),
  };
}

/**
 * The state machine's tags from the one builder (lib/contracts), which the local runtime
 * uses too. `service` and `stage` reach every resource through `provider.tags` in
 * serverless.yml; repeating them here would list the keys twice (cfn-lint E3024). A test
 * compares the packaged tags with the local runtime's.
 */
function jobTags(job: JobSpec, stage: string): JsonObject {
  const { service: _service, stage: _stage, ...tags } = stateMachineTags(job, stage);
  return tags;
}

/** Execution input EventBridge Scheduler sends: the scheduled instant, not the (possibly late) start time. */
export function scheduledInput(job: JobSpec): JsonObject {
  return {
    scheduledTime: '<aws.scheduler.scheduled-time>',
    trigger: 'schedule',
    params: job.defaultInput as JsonObject,
  };
}

function stateMachine(job: JobSpec, settings: DeploymentSettings): JsonObject {
  const enabled = job.enabled && settings.schedulesEnabled;
  return {
    id: stateMachineLogicalId(job.name),
    name: stateMachineName(settings.stage, job.name),
    type: 'STANDARD',
    role: getAtt('StateMachinesRole'),
    definition: synthesizeDefinition(job, cloudFormationSynthesisContext(settings.stage)),
    // Failures only, without input and output (they may hold customer data); the
    // execution history keeps the details for 90 days.
    loggingConfig: {
      level: 'ERROR',
      includeExecutionData: false,
      destinations: [getAtt('StateMachinesLogGroup')],
    },
    tags: jobTags(job, settings.stage),
    events: [
      {
        schedule: {
          method: 'scheduler',
          rate: job.schedule,
          timezone: job.timezone,
          enabled,
          name: stateMachineName(settings.stage, job.name),
          input: scheduledInput(job),
        },
      },
    ],
  };
}

const NOTIFY_DEAD_LETTER_QUEUE = 'NotifyDeadLetterQueue';

function notifyRuleName(stage: string, kind: 'failures' | 'skips'): string {
  return `${SERVICE_NAME}-${stage}-notify-${kind}`;
}

/**
 * The queue where notifications that could not be delivered end (after EventBridge's and
 * Lambda's retries), its policy (only this stage's notify rules may send), and an alarm
 * as soon as it holds a message: an alert that never reached Slack is itself an alert.
 */
function notifyDeadLetterResources(stage: string): JsonObject {
  return {
    [NOTIFY_DEAD_LETTER_QUEUE]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${SERVICE_NAME}-${stage}-notify-dead-letters`,
        MessageRetentionPeriod: 1209600, // 14 days, the SQS maximum
        SqsManagedSseEnabled: true,
      },
    },
    NotifyDeadLetterQueuePolicy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [ref(NOTIFY_DEAD_LETTER_QUEUE)],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: getAtt(NOTIFY_DEAD_LETTER_QUEUE),
              Condition: {
                ArnLike: {
                  'aws:SourceArn': sub(
                    `${ARN_PREFIX}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${SERVICE_NAME}-${stage}-notify-*`,
                  ),
                },
              },
            },
          ],
        },
      },
    },
    NotifyDeadLetterAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${SERVICE_NAME}-${stage}-notifications-not-delivered`,
        AlarmDescription: `Failure notifications could not be delivered to Slack and wait in ${SERVICE_NAME}-${stage}-notify-dead-letters; read them there (each holds the status-change event) and check the webhook.`,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(NOTIFY_DEAD_LETTER_QUEUE, 'QueueName') }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: { 'Fn::If': ['HasAlarmTopic', [ref('AlarmTopicArn')], ref('AWS::NoValue')] },
      },
    },
  };
}

function lambdaLogGroupArn(stage: string, key: WorkflowLambdaKey): JsonObject {
  return sub(
    `${ARN_PREFIX}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${lambdaFunctionName(stage, key)}:*`,
  );
}

function stateMachineArnPattern(stage: string): JsonObject {
  return sub(
    `${ARN_PREFIX}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${SERVICE_NAME}-${stage}-*`,
  );
}

function executionArnPattern(stage: string): JsonObject {
  return sub(
    `${ARN_PREFIX}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${SERVICE_NAME}-${stage}-*:*`,
  );
}

function role(service: string, statements: JsonObject[], extra: JsonObject = {}): JsonObject {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: service },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } },
          },
        ],
      },
      ...(statements.length > 0
        ? {
            Policies: [
              {
                PolicyName: 'least-privilege',
                PolicyDocument: { Version: '2012-10-17', Statement: statements },
              },
            ],
          }
        : {}),
      ...extra,
    },
  };
}

function lambdaRole(
  stage: string,
  key: WorkflowLambdaKey,
  statements: JsonObject[],
  extra: JsonObject = {},
): JsonObject {
  return role(
    'lambda.amazonaws.com',
    [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: lambdaLogGroupArn(stage, key),
      },
      ...statements,
    ],
    extra,
  );
}

function exportsBucketStatements(): JsonObject[] {
  return [
    // ListBucketMultipartUploads: cleanup-expired-exports aborts uploads of killed converters.
    {
      Effect: 'Allow',
      Action: ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
      Resource: getAtt('ExportsBucket'),
    },
    {
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      Resource: sub('${ExportsBucket.Arn}/*'),
    },
  ];
}

function resources(jobs: JobSpec[], settings: DeploymentSettings): Deployment['resources'] {
  const { stage, logRetentionDays } = settings;
  const cluster = `${SERVICE_NAME}-${stage}`;
  const secrets = secretParameterNames(stage);
  const taskLogGroup = `/ecs/${SERVICE_NAME}-${stage}`;
  const ecsCondition = { ArnEquals: { 'ecs:cluster': getAtt('JobsCluster') } };
  const Resources: JsonObject = {};

  Resources.JobsCluster = {
    Type: 'AWS::ECS::Cluster',
    Properties: {
      ClusterName: cluster,
      CapacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      DefaultCapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    },
  };
  Resources.TaskLogGroup = {
    Type: 'AWS::Logs::LogGroup',
    Properties: { LogGroupName: taskLogGroup, RetentionInDays: logRetentionDays },
  };
  // The /aws/vendedlogs/ prefix keeps the log-delivery resource policy small however many
  // state machines log here (AWS's advice for Step Functions logging).
  Resources.StateMachinesLogGroup = {
    Type: 'AWS::Logs::LogGroup',
    Properties: {
      LogGroupName: `/aws/vendedlogs/states/${SERVICE_NAME}-${stage}`,
      RetentionInDays: logRetentionDays,
    },
  };
  Resources.ExportsBucket = {
    Type: 'AWS::S3::Bucket',
    Properties: {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'abort-incomplete-uploads',
            Status: 'Enabled',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 },
          },
        ],
      },
    },
  };

  Resources.TaskExecutionRole = role('ecs-tasks.amazonaws.com', [
    // ecr:GetAuthorizationToken has no resource-level permissions: AWS requires "*".
    { Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
    {
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      Resource: CONTAINERS.map((container) =>
        sub(`${ARN_PREFIX}:ecr:\${AWS::Region}:\${AWS::AccountId}:repository/${SERVICE_NAME}/${container}`),
      ),
    },
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: sub('${TaskLogGroup.Arn}'),
    },
    { Effect: 'Allow', Action: ['ssm:GetParameters'], Resource: ssmParameterArn(secrets.databaseUrl) },
  ]);

  for (const container of CONTAINERS) {
    const roleId = taskRoleLogicalId(container);
    Resources[roleId] = role('ecs-tasks.amazonaws.com', exportsBucketStatements());
    Resources[taskDefinitionLogicalId(container)] = {
      Type: 'AWS::ECS::TaskDefinition',
      // A new image tag replaces the revision. CloudFormation would deregister the old one,
      // and an execution started before the deploy (it runs its own definition, which pins
      // that revision) could then start no more tasks: ECS refuses RunTask on an INACTIVE
      // revision. Retained revisions stay ACTIVE (README "Deploying": deploy safety).
      // Deleting the whole stack still deregisters them (nothing runs without the cluster).
      UpdateReplacePolicy: 'Retain',
      DeletionPolicy: 'Delete',
      Properties: taskDefinitionProperties(stage, container),
    };
  }

  const taskArnPattern = sub(`${ARN_PREFIX}:ecs:\${AWS::Region}:\${AWS::AccountId}:task/${cluster}/*`);
  Resources.StateMachinesRole = role('states.amazonaws.com', [
    {
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction'],
      Resource: (['checkDuplicateStart', 'enqueueExports'] as const).flatMap((key) => [
        getAtt(lambdaLogicalId(key)),
        sub(`\${${lambdaLogicalId(key)}.Arn}:*`),
      ]),
    },
    {
      Effect: 'Allow',
      Action: ['ecs:RunTask'],
      Resource: CONTAINERS.map((container) =>
        sub(
          `${ARN_PREFIX}:ecs:\${AWS::Region}:\${AWS::AccountId}:task-definition/${SERVICE_NAME}-${stage}-${container}:*`,
        ),
      ),
      Condition: ecsCondition,
    },
    {
      Effect: 'Allow',
      Action: ['ecs:StopTask', 'ecs:DescribeTasks'],
      Resource: taskArnPattern,
      Condition: ecsCondition,
    },
    {
      // RunTask tags the task on creation (PropagateTags), which needs TagResource.
      Effect: 'Allow',
      Action: ['ecs:TagResource'],
      Resource: taskArnPattern,
      Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
    },
    {
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: [
        getAtt('TaskExecutionRole'),
        ...CONTAINERS.map((container) => getAtt(taskRoleLogicalId(container))),
      ],
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    },
    {
      // Execution logging to CloudWatch Logs goes through log delivery, whose actions take
      // no resource-level permissions: AWS documents Resource "*" for exactly these, see
      // https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy
      Effect: 'Allow',
      Action: [...LOG_DELIVERY_ACTIONS],
      Resource: '*',
    },
    {
      // runTask.sync waits for the task through this Step Functions-managed rule.
      Effect: 'Allow',
      Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      Resource: sub(
        `${ARN_PREFIX}:events:\${AWS::Region}:\${AWS::AccountId}:rule/StepFunctionsGetEventsForECSTaskRule`,
      ),
    },
  ]);

  Resources.CheckDuplicateStartRole = lambdaRole(stage, 'checkDuplicateStart', [
    { Effect: 'Allow', Action: ['states:ListExecutions'], Resource: stateMachineArnPattern(stage) },
  ]);
  Resources.EnqueueExportsRole = lambdaRole(
    stage,
    'enqueueExports',
    [
      ...exportsBucketStatements(),
      { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: ssmParameterArn(secrets.databaseUrl) },
    ],
    // ENI management for a Lambda in a VPC; this AWS managed policy is the documented way.
    {
      ManagedPolicyArns: [sub(`${ARN_PREFIX}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole`)],
    },
  );
  Resources.NotifyFailureRole = lambdaRole(stage, 'notifyFailure', [
    {
      Effect: 'Allow',
      Action: ['states:DescribeExecution', 'states:GetExecutionHistory'],
      Resource: executionArnPattern(stage),
    },
    {
      Effect: 'Allow',
      Action: ['states:ListTagsForResource', 'states:ListExecutions'],
      Resource: stateMachineArnPattern(stage),
    },
    { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: ssmParameterArn(secrets.slackWebhookUrl) },
    // The on-failure destination of its asynchronous invocations.
    { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: getAtt(NOTIFY_DEAD_LETTER_QUEUE) },
  ]);
  Object.assign(Resources, notifyDeadLetterResources(stage));

  const Parameters: JsonObject = {
    SubnetIds: {
      Type: 'List<AWS::EC2::Subnet::Id>',
      Description: 'Subnets for Fargate tasks and the enqueue Lambda',
    },
    SecurityGroupIds: {
      Type: 'List<AWS::EC2::SecurityGroup::Id>',
      Description: 'Security groups for Fargate tasks and the enqueue Lambda',
    },
    AssignPublicIp: {
      Type: 'String',
      AllowedValues: ['ENABLED', 'DISABLED'],
      Default: 'DISABLED',
      Description: 'ENABLED only in public subnets without a NAT gateway (needed to pull images)',
    },
    AlarmTopicArn: {
      Type: 'String',
      Default: '',
      Description:
        'SNS topic the alarms notify (for example the on-call pager); empty: the alarms only change state',
    },
    ContainerImageTag: {
      Type: 'String',
      Default: 'latest',
      Description: `Tag of the images in the ECR repositories ${CONTAINERS.map((c) => `${SERVICE_NAME}/${c}`).join(', ')}`,
    },
  };
  const Conditions: JsonObject = {
    HasAlarmTopic: { 'Fn::Not': [{ 'Fn::Equals': [ref('AlarmTopicArn'), ''] }] },
  };
  const Outputs: JsonObject = {
    NotifyDeadLetterQueueUrl: { Value: ref(NOTIFY_DEAD_LETTER_QUEUE) },
    ExportsBucketName: { Value: ref('ExportsBucket') },
    JobsClusterArn: { Value: getAtt('JobsCluster') },
  };
  for (const job of jobs) {
    Outputs[`${pascalCase(job.name)}StateMachineArn`] = { Value: ref(stateMachineLogicalId(job.name)) };
  }
  // serverless.yml `vpc` takes literal lists only; the list parameters go in through an extension.
  const extensions: JsonObject = {};
  for (const key of Object.keys(WORKFLOW_LAMBDAS) as WorkflowLambdaKey[]) {
    // The Framework adds DependsOn for a function's role although Role's GetAtt already
    // orders them; cfn-lint flags the redundancy (W3005), which is harmless.
    extensions[lambdaLogicalId(key)] = { Metadata: { 'cfn-lint': { config: { ignore_checks: ['W3005'] } } } };
  }
  extensions[lambdaLogicalId('enqueueExports')] = {
    Metadata: { 'cfn-lint': { config: { ignore_checks: ['W3005'] } } },
    Properties: { VpcConfig: { SubnetIds: ref('SubnetIds'), SecurityGroupIds: ref('SecurityGroupIds') } },
  };
  return { Parameters, Conditions, Resources, Outputs, extensions };
}

function functions(settings: DeploymentSettings): Record<string, JsonObject> {
  const { stage } = settings;
  const secrets = secretParameterNames(stage);
  const result: Record<string, JsonObject> = {};
  for (const [key, lambda] of Object.entries(WORKFLOW_LAMBDAS) as [
    WorkflowLambdaKey,
    (typeof WORKFLOW_LAMBDAS)[WorkflowLambdaKey],
  ][]) {
    result[key] = {
      name: lambdaFunctionName(stage, key),
      handler: `dist/functions/${lambda.folder}/handler.handler`,
      role: getAtt(`${key.charAt(0).toUpperCase()}${key.slice(1)}Role`),
      timeout: lambda.timeoutSeconds,
      memorySize: lambda.memorySize,
      package: { patterns: ['!**', `dist/functions/${lambda.folder}/**`] },
    };
  }
  Object.assign(result.enqueueExports ?? {}, {
    environment: {
      SFN_BATCH_STORAGE_URL: sub('s3://${ExportsBucket}/'),
      DATABASE_URL_PARAMETER: secrets.databaseUrl,
    },
  });
  // A prefix keeps the pattern small at any catalogue size (patterns stop at a few KB);
  // only this stage's state machines carry it. The rules' statuses come from the same
  // contract the local runtime matches events with.
  const [failures, skips] = notifyRulePatterns(
    sub(`${ARN_PREFIX}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${SERVICE_NAME}-${stage}-`),
  );
  // EventBridge retries delivery to Lambda (throttling, service errors) and then dead-letters
  // it; Lambda retries a failed invocation (the handler throws when Slack cannot be reached)
  // and then sends it to its on-failure destination. Both end in the same queue.
  const delivery = {
    retryPolicy: { maximumEventAge: 3600, maximumRetryAttempts: 10 },
    deadLetterQueueArn: getAtt(NOTIFY_DEAD_LETTER_QUEUE),
  };
  Object.assign(result.notifyFailure ?? {}, {
    environment: {
      SLACK_WEBHOOK_PARAMETER: secrets.slackWebhookUrl,
      TASK_LOG_GROUP: `/ecs/${SERVICE_NAME}-${stage}`,
    },
    maximumRetryAttempts: 2,
    destinations: { onFailure: { arn: getAtt(NOTIFY_DEAD_LETTER_QUEUE), type: 'sqs' } },
    events: [
      { eventBridge: { name: notifyRuleName(stage, 'failures'), pattern: failures, ...delivery } },
      // Successes: the notify Lambda warns about repeated duplicate-start skips.
      { eventBridge: { name: notifyRuleName(stage, 'skips'), pattern: skips, ...delivery } },
    ],
  });
  return result;
}

/**
 * Everything serverless.yml declares per job and per stage, derived from the job
 * specs: state machines (with synthesised definitions, tags and schedules), the
 * Lambdas, and the CloudFormation resources with hand-written least-privilege IAM.
 */
export function buildDeployment(jobs: JobSpec[], settings: DeploymentSettings): Deployment {
  const stateMachines: Record<string, JsonObject> = {};
  for (const job of jobs) stateMachines[pascalCase(job.name)] = stateMachine(job, settings);
  return { stateMachines, functions: functions(settings), resources: resources(jobs, settings) };
}
