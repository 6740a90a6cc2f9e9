import { parse as parseArn, validate as validateArn } from '@aws-sdk/util-arn-parser';
import { SERVICE_NAME } from '../schedule/job-spec.ts';

/**
 * The Lambdas the workflows call or are notified by, keyed by their serverless.yml
 * function key. `folder` is the handler's room: `functions/<folder>/handler.ts`.
 * serverless.yml, synthesis and the local runtime all read this table.
 */
export const WORKFLOW_LAMBDAS = {
  checkDuplicateStart: { folder: 'check-duplicate-start', timeoutSeconds: 20, memorySize: 256 },
  enqueueExports: { folder: 'enqueue-exports', timeoutSeconds: 300, memorySize: 1024 },
  notifyFailure: { folder: 'notify-failure', timeoutSeconds: 30, memorySize: 256 },
} as const;

export type WorkflowLambdaKey = keyof typeof WORKFLOW_LAMBDAS;

/** Containers with a task definition each (folders under `containers/`; see containers.ts). */
export { CONTAINERS } from './containers.ts';

/** Deployed name of a job's state machine: `sfn-batch-<stage>-<job>`. */
export function stateMachineName(stage: string, job: string): string {
  return `${SERVICE_NAME}-${stage}-${job}`;
}

/** Deployed name of a workflow Lambda: `sfn-batch-<stage>-<key>` (the Serverless Framework default). */
export function lambdaFunctionName(stage: string, key: WorkflowLambdaKey): string {
  return `${SERVICE_NAME}-${stage}-${key}`;
}

/** The function key of a deployed Lambda name, if it is one of this stage's workflow Lambdas. */
export function workflowLambdaKey(stage: string, functionName: string): WorkflowLambdaKey | undefined {
  const prefix = `${SERVICE_NAME}-${stage}-`;
  if (!functionName.startsWith(prefix)) return undefined;
  const key = functionName.slice(prefix.length);
  return Object.hasOwn(WORKFLOW_LAMBDAS, key) ? (key as WorkflowLambdaKey) : undefined;
}

/** The parts of a Step Functions state machine or execution ARN. */
export interface StepFunctionsArn {
  region: string;
  accountId: string;
  /** `stateMachine` or `execution`. */
  kind: string;
  stateMachineName: string;
  /** Execution ARNs only. */
  executionName: string | undefined;
}

/**
 * Parses `arn:<partition>:states:<region>:<account>:stateMachine:<name>` or
 * `...:execution:<state machine name>:<execution name>`; undefined for anything else.
 */
export function parseStepFunctionsArn(arn: string): StepFunctionsArn | undefined {
  if (!validateArn(arn)) return undefined;
  const parsed = parseArn(arn);
  const [kind, stateMachine, execution] = parsed.resource.split(':');
  if (parsed.service !== 'states' || !kind || !stateMachine) return undefined;
  return {
    region: parsed.region,
    accountId: parsed.accountId,
    kind,
    stateMachineName: stateMachine,
    executionName: execution,
  };
}

/**
 * Stage and job of a state machine named `sfn-batch-<stage>-<job>` (the inverse of
 * {@link stateMachineName}). Stages have no `-`, so the split is unambiguous; a name of
 * another shape gives undefined.
 */
export function jobOfStateMachine(stateMachineArn: string): { stage: string; job: string } | undefined {
  const name = parseStepFunctionsArn(stateMachineArn)?.stateMachineName;
  const match = name === undefined ? null : new RegExp(`^${SERVICE_NAME}-([a-z0-9]+)-(.+)$`).exec(name);
  return match?.[1] && match[2] ? { stage: match[1], job: match[2] } : undefined;
}

/** The ARN prefix every state machine of a stage starts with (the notify rule matches on it). */
export function stateMachineArnPrefix(
  region: string,
  accountId: string,
  stage: string,
  partition = 'aws',
): string {
  return `arn:${partition}:states:${region}:${accountId}:stateMachine:${SERVICE_NAME}-${stage}-`;
}

/** ARN of a job's state machine: `arn:aws:states:<region>:<account>:stateMachine:sfn-batch-<stage>-<job>`. */
export function stateMachineArn(region: string, accountId: string, stage: string, job: string): string {
  return `${stateMachineArnPrefix(region, accountId, stage)}${job}`;
}
