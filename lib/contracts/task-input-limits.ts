import type { JobSpec } from '../schedule/job-spec.ts';
import { type ContainerTaskInput, type ExecutionInput, TASK_INPUT_ENV } from './execution-input.ts';

/**
 * ECS RunTask: "A total of 8192 characters are allowed for overrides. This limit
 * includes the JSON formatting characters of the override structure." Beyond it
 * RunTask fails with InvalidParameterException "Container Overrides length must be at
 * most 8192".
 */
export const MAX_CONTAINER_OVERRIDES_CHARACTERS = 8192;

/** Step Functions execution input quota: 256 KiB of UTF-8. */
export const MAX_EXECUTION_INPUT_BYTES = 262_144;

/** Longest execution ARN (the service model's Arn shape): the size a not-yet-named execution is checked with. */
const MAX_EXECUTION_ARN_LENGTH = 256;

/** One container override as RunTask receives it (either key case: the length is the same). */
export interface ContainerOverrideLike {
  [key: string]: unknown;
}

/** The characters RunTask counts for a task's container overrides: their JSON text. */
export function containerOverridesLength(containerOverrides: readonly ContainerOverrideLike[]): number {
  return JSON.stringify(containerOverrides).length;
}

/**
 * The container overrides the `task` workflow sends (statemachines/scheduled-task.asl.yml):
 * the job's command and the ContainerTaskInput as JSON in SFN_BATCH_INPUT.
 */
export function jobContainerOverrides(
  job: Pick<JobSpec, 'container' | 'command'>,
  taskInput: ContainerTaskInput,
): ContainerOverrideLike[] {
  return [
    {
      name: job.container,
      command: job.command,
      environment: [{ name: TASK_INPUT_ENV, value: JSON.stringify(taskInput) }],
    },
  ];
}

/**
 * Why an execution input cannot reach the job's container, or undefined when it can.
 * The params travel inside the container overrides, so they must fit in 8,192
 * characters with the rest of the override. Larger data travels by reference: put it
 * in object storage and pass its key in params (as the xlsx export passes its
 * manifestKey), and let the job read it. `executionArn` is the exact ARN when known;
 * otherwise the longest one AWS allows is assumed.
 */
export function taskInputProblem(
  job: Pick<JobSpec, 'name' | 'workflow' | 'container' | 'command' | 'defaultInput'>,
  input: ExecutionInput,
  executionArn?: string,
): string | undefined {
  const inputBytes = Buffer.byteLength(JSON.stringify(input));
  if (inputBytes > MAX_EXECUTION_INPUT_BYTES) {
    return `the execution input is ${inputBytes} bytes; Step Functions accepts at most ${MAX_EXECUTION_INPUT_BYTES} (256 KiB). Put large data in object storage and pass its key in params.`;
  }
  // The xlsx export hands its converters fixed, small params (a manifest key); the input's params stay in the workflow.
  if (job.workflow !== 'task') return undefined;
  const taskInput: ContainerTaskInput = {
    job: job.name,
    executionArn: executionArn ?? 'x'.repeat(MAX_EXECUTION_ARN_LENGTH),
    scheduledTime: input.scheduledTime ?? new Date(0).toISOString(),
    params: { ...job.defaultInput, ...input.params },
  };
  const length = containerOverridesLength(jobContainerOverrides(job, taskInput));
  if (length <= MAX_CONTAINER_OVERRIDES_CHARACTERS) return undefined;
  return `the params make the container overrides ${length} characters; ECS RunTask accepts at most ${MAX_CONTAINER_OVERRIDES_CHARACTERS} (the job's command and ${TASK_INPUT_ENV} with the params as JSON). Put large data in object storage and pass its key in params instead, as the xlsx export passes its manifestKey.`;
}
