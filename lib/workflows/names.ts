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
