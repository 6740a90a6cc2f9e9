import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { TASK_INPUT_ENV } from '../contracts/execution-input.ts';
import { provisioningFailures, retriedRunTaskErrors } from '../contracts/provisioning-failures.ts';
import { type JobSpec, SERVICE_NAME, type WorkflowKind } from '../schedule/job-spec.ts';
import { fillTemplate, type JsonObject, type JsonValue, TemplateFillError } from './fill-template.ts';
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

/** Where both templates keep the stopped task parsed from a `States.TaskFailed` Cause. */
const STOPPED_TASK_PATH = '$.stopped.task';

/**
 * The alternatives of the "why did the task stop?" Choice rule that sends a stopped task
 * back to be retried: one per stopped-task kind in lib/contracts/provisioning-failures.ts.
 * Each tests IsPresent first, because a Choice comparison on a missing field is a
 * States.Runtime error on AWS.
 */
export function provisioningFailureConditions(taskPath = STOPPED_TASK_PATH): JsonObject[] {
  return provisioningFailures().flatMap(([name, kind]): JsonObject[] => {
    if (kind.surface !== 'stopped-task') return [];
    if ('stopCode' in kind.match) {
      const variable = `${taskPath}.StopCode`;
      return [
        {
          And: [
            { Variable: variable, IsPresent: true },
            { Variable: variable, StringEquals: kind.match.stopCode },
          ],
        },
      ];
    }
    const phrase = kind.match.reasonIncludes;
    // StringMatches treats `*` as a wildcard and `\` as an escape.
    if (/[*\\]/.test(phrase)) {
      throw new TemplateFillError(`provisioning failure ${name}: reasonIncludes may not contain * or \\`);
    }
    const variable = `${taskPath}.StoppedReason`;
    return [
      {
        And: [
          { Variable: variable, IsPresent: true },
          { Variable: variable, StringMatches: `*${phrase}*` },
        ],
      },
    ];
  });
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
    RetriedRunTaskErrors: retriedRunTaskErrors(),
    ProvisioningFailureConditions: provisioningFailureConditions(),
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
  const filled = fillTemplate(
    loadTemplate(job.workflow),
    values,
    templatePath(job.workflow),
  ) as AslDefinition;
  // Top-level keys first, as Step Functions shows them.
  const { Comment, StartAt, States, ...rest } = filled;
  return {
    Comment,
    StartAt,
    TimeoutSeconds: wholeRunTimeoutSeconds(job, filled),
    States,
    ...rest,
  } as AslDefinition;
}

const DAY_SECONDS = 86_400;
/** Length of an export period; a month counts as its shortest, 28 days. */
const EXPORT_PERIOD_SECONDS = {
  daily: DAY_SECONDS,
  weekly: 7 * DAY_SECONDS,
  monthly: 28 * DAY_SECONDS,
} as const;

interface Retrier {
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}

/** The longest a state's Retry field can pause in total: every retrier used up, each pause at its cap. */
function longestRetryPauses(state: JsonObject | undefined): number {
  const retriers = (state?.Retry ?? []) as Retrier[];
  let total = 0;
  for (const retrier of retriers) {
    for (let attempt = 0; attempt < (retrier.MaxAttempts ?? 3); attempt++) {
      const pause = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt;
      total += Math.min(pause, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
    }
  }
  return total;
}

function retryCount(state: JsonObject | undefined): number {
  return ((state?.Retry ?? []) as Retrier[]).reduce((sum, retrier) => sum + (retrier.MaxAttempts ?? 3), 0);
}

/**
 * The whole-run limit (the definition's top-level `TimeoutSeconds`): past it, no run of
 * this job can still serve its purpose, so Step Functions ends it as TIMED_OUT (and
 * stops its task). The rule, from the job spec and the definition's own Retry fields:
 *
 * - `task`: the longest a run can legitimately take. The guard Lambda may time out on
 *   every one of its attempts, plus its retry pauses; then each of the job's
 *   `retry.maxAttempts` task attempts may run for the job's `timeout`, after the RunTask
 *   Retry pauses (RunTask API errors are answered at once, so they add only their
 *   pauses); plus the pauses between attempts. Rounded up to a whole minute.
 * - `xlsx-export`: one export period (a day, a week, or 28 days for a month, the shortest
 *   month). The number of batches depends on the data, so no sum bounds the Map; but a
 *   run for one period must be over before the next period's run is due.
 */
export function wholeRunTimeoutSeconds(job: JobSpec, definition: AslDefinition): number {
  if (job.workflow === 'xlsx-export') {
    const frequency = job.export?.frequency ?? 'monthly';
    return EXPORT_PERIOD_SECONDS[frequency];
  }
  const guard = definition.States[definition.StartAt];
  const runTask = Object.values(definition.States).find(
    (state) => state.Resource === 'arn:aws:states:::ecs:runTask.sync',
  );
  const guardSeconds =
    Number(guard?.TimeoutSeconds ?? 0) * (1 + retryCount(guard)) + longestRetryPauses(guard);
  const attemptSeconds = job.timeoutSeconds + longestRetryPauses(runTask);
  const pausesBetweenAttempts = retryWaitSeconds(job).reduce((sum, seconds) => sum + seconds, 0);
  const total = guardSeconds + job.retry.maxAttempts * attemptSeconds + pausesBetweenAttempts;
  return Math.ceil(total / 60) * 60;
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
