import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { TASK_INPUT_ENV } from '../contracts/execution-input.ts';
import { type JobSpec, SERVICE_NAME, type WorkflowKind } from '../schedule/job-spec.ts';
import { fillTemplate, type JsonObject, type JsonValue } from './fill-template.ts';
import { manualRunHelp } from './manual-run.ts';
import { CONTAINERS, lambdaFunctionName, WORKFLOW_LAMBDAS, type WorkflowLambdaKey } from './names.ts';

export type { JsonObject, JsonValue };

/** A concrete Amazon States Language definition (JSONPath flavour). */
export interface AslDefinition extends JsonObject {
  StartAt: string;
  States: { [stateName: string]: JsonObject };
}

/**
 * Where a synthesised definition runs. On AWS (serverless.yml) the values are
 * CloudFormation intrinsics (`{ 'Fn::GetAtt': [...] }`, `{ Ref: ... }`) that
 * serverless-step-functions turns into `DefinitionString` substitutions; locally
 * they are fake but well-formed ARNs that the local runtime dispatches on.
 */
export interface SynthesisContext {
  stage: string;
  /** Resource of the duplicate-start guard Task (a Lambda function ARN). */
  checkDuplicateStartFunctionArn: JsonValue;
  /** Resource of the export enqueue Task (a Lambda function ARN). */
  enqueueExportsFunctionArn: JsonValue;
  clusterArn: JsonValue;
  /** Task definition ARN (or family) per container folder name (`batch-jobs`, `xlsx-converter`). */
  taskDefinitionArns: Readonly<Record<string, JsonValue>>;
  /** Value of `AwsvpcConfiguration.Subnets` (a list). */
  subnets: JsonValue;
  /** Value of `AwsvpcConfiguration.SecurityGroups` (a list). */
  securityGroups: JsonValue;
  /** `ENABLED` or `DISABLED`, or an intrinsic resolving to one of them. */
  assignPublicIp: JsonValue;
}

const TEMPLATE_FILES: Record<WorkflowKind, string> = {
  task: 'scheduled-task.asl.yml',
  'xlsx-export': 'xlsx-export.asl.yml',
};

/** Margin between a Lambda's own timeout and its Task state's timeout, so Lambda reports its own error first. */
const LAMBDA_STATE_TIMEOUT_MARGIN_SECONDS = 10;

const templates = new Map<WorkflowKind, JsonValue>();

function loadTemplate(kind: WorkflowKind): JsonValue {
  const cached = templates.get(kind);
  if (cached !== undefined) return cached;
  const url = new URL(`../../statemachines/${TEMPLATE_FILES[kind]}`, import.meta.url);
  const parsed = parseYaml(readFileSync(url, 'utf8')) as JsonValue;
  templates.set(kind, parsed);
  return parsed;
}

/** Path of the template a workflow kind is synthesised from, relative to the repository root. */
export function templatePath(kind: WorkflowKind): string {
  return `statemachines/${TEMPLATE_FILES[kind]}`;
}

/** Raised when a job spec cannot be turned into a definition (names the job's file and field). */
export class WorkflowSynthesisError extends Error {
  override name = 'WorkflowSynthesisError';
}

/**
 * Pauses between attempts, indexed by the attempt that just failed (index 0 is
 * unused): `[0, interval, interval*rate, ...]`, one entry per attempt.
 */
export function retryWaitSeconds(job: JobSpec): number[] {
  const waits = [0];
  for (let attempt = 1; attempt < job.retry.maxAttempts; attempt++) {
    waits.push(Math.max(1, Math.round(job.retry.intervalSeconds * job.retry.backoffRate ** (attempt - 1))));
  }
  return waits;
}

/**
 * Whether `text` holds `${` or `#{`: CloudFormation's Fn::Sub (which carries the
 * definition) would read `${...}` as a substitution, and serverless-step-functions
 * `#{...}` as a pseudo parameter. The schedule loader refuses such text with this rule.
 */
export function hasDeploymentSubstitution(text: string): boolean {
  return text.includes('${') || text.includes('#{');
}

function checkText(job: JobSpec, field: string, text: string): void {
  if (hasDeploymentSubstitution(text)) {
    throw new WorkflowSynthesisError(
      `${job.sourceFile}: field ${field} contains "\${" or "#{", which the deployment would treat as a ` +
        `substitution. Remove it (for example write "$HOME" instead of "\${HOME}").`,
    );
  }
}

/**
 * Turns one job into its concrete ASL definition by filling its workflow template
 * (`statemachines/<kind>.asl.yml`). Pure apart from reading the template once; the
 * result is a fresh object the caller may mutate.
 *
 * @throws WorkflowSynthesisError when the spec does not fit the template (no task
 *   definition for its container, an export job without export settings, text that
 *   a deployment would misread as a substitution).
 */
export function synthesizeDefinition(job: JobSpec, context: SynthesisContext): AslDefinition {
  const taskDefinitionArn = context.taskDefinitionArns[job.container];
  if (taskDefinitionArn === undefined) {
    throw new WorkflowSynthesisError(
      `${job.sourceFile}: field container is "${job.container}", but the deployment has task definitions only ` +
        `for ${Object.keys(context.taskDefinitionArns).join(', ')}`,
    );
  }
  checkText(job, 'description', job.description);
  checkText(job, 'command', JSON.stringify(job.command));
  checkText(job, 'input', JSON.stringify(job.defaultInput));

  const common: Record<string, JsonValue> = {
    JobName: job.name,
    JobDescription: job.description,
    SourceFile: job.sourceFile,
    ManualRunHelp: manualRunHelp(job),
    ConcurrencyPolicy: job.concurrency,
    DefaultParams: job.defaultInput as JsonObject,
    CheckDuplicateStartFunctionArn: context.checkDuplicateStartFunctionArn,
    GuardTimeoutSeconds:
      WORKFLOW_LAMBDAS.checkDuplicateStart.timeoutSeconds + LAMBDA_STATE_TIMEOUT_MARGIN_SECONDS,
    MaxAttempts: job.retry.maxAttempts,
    RetryWaitSeconds: retryWaitSeconds(job),
    RetryOnJobFailure: job.retry.retryOnJobFailure,
    JobCommand: job.command,
    JobCommandText: job.command.join(' '),
    ContainerName: job.container,
    CapacityProvider: job.spot ? 'FARGATE_SPOT' : 'FARGATE',
    Cpu: job.size.cpu,
    Memory: job.size.memory,
    CpuText: String(job.size.cpu),
    MemoryText: String(job.size.memory),
    TaskTimeoutSeconds: job.timeoutSeconds,
    ClusterArn: context.clusterArn,
    TaskDefinitionArn: taskDefinitionArn,
    Subnets: context.subnets,
    SecurityGroups: context.securityGroups,
    AssignPublicIp: context.assignPublicIp,
    TaskInputEnv: TASK_INPUT_ENV,
  };

  let values = common;
  if (job.workflow === 'xlsx-export') {
    if (job.export === undefined) {
      throw new WorkflowSynthesisError(
        `${job.sourceFile}: workflow is xlsx-export but the export section is missing`,
      );
    }
    values = {
      ...common,
      EnqueueExportsFunctionArn: context.enqueueExportsFunctionArn,
      EnqueueTimeoutSeconds:
        WORKFLOW_LAMBDAS.enqueueExports.timeoutSeconds + LAMBDA_STATE_TIMEOUT_MARGIN_SECONDS,
      Timezone: job.timezone,
      ExportFrequency: job.export.frequency,
      RecordsPerBatch: job.export.recordsPerBatch,
      MaxConcurrency: job.export.maxConcurrency,
    };
  }
  const filled = fillTemplate(loadTemplate(job.workflow), values, templatePath(job.workflow));
  return filled as AslDefinition;
}

/**
 * Synthesis context of the embedded local runtime: well-formed ARNs in a fake
 * account. Lambda ARNs follow `arn:aws:lambda:<region>:<account>:function:<service>-<stage>-<key>`
 * (keys in {@link WORKFLOW_LAMBDAS}); the ECS resources are named after the stage, with one
 * task definition per container (default: this project's, see containers.ts).
 */
export function localSynthesisContext(
  stage: string,
  region = 'us-east-1',
  accountId = '000000000000',
  containers: readonly string[] = CONTAINERS,
): SynthesisContext {
  const lambdaArn = (key: WorkflowLambdaKey) =>
    `arn:aws:lambda:${region}:${accountId}:function:${lambdaFunctionName(stage, key)}`;
  const taskDefinitionArns: Record<string, string> = {};
  for (const container of containers) {
    taskDefinitionArns[container] =
      `arn:aws:ecs:${region}:${accountId}:task-definition/${SERVICE_NAME}-${stage}-${container}:1`;
  }
  return {
    stage,
    checkDuplicateStartFunctionArn: lambdaArn('checkDuplicateStart'),
    enqueueExportsFunctionArn: lambdaArn('enqueueExports'),
    clusterArn: `arn:aws:ecs:${region}:${accountId}:cluster/${SERVICE_NAME}-${stage}`,
    taskDefinitionArns,
    subnets: ['subnet-0000000000000000a'],
    securityGroups: ['sg-0000000000000000a'],
    assignPublicIp: 'DISABLED',
  };
}
