import type { ContainerTaskInput } from '#lib/contracts/execution-input.ts';
import { TASK_INPUT_ENV } from '#lib/contracts/execution-input.ts';

/**
 * Stand-ins for what `ecs:runTask.sync` reports, with the shapes Step Functions
 * uses: the stopped task's description (PascalCase) as output, or as the Cause of
 * a `States.TaskFailed` error.
 */
let taskCounter = 0;

function taskArn(): string {
  taskCounter += 1;
  return `arn:aws:ecs:us-east-1:000000000000:task/sfn-batch-test/${taskCounter.toString(16).padStart(32, '0')}`;
}

export function stoppedTask(fields: { StopCode?: string; StoppedReason: string; exitCode?: number }) {
  const container: Record<string, unknown> = { Name: 'batch-jobs', LastStatus: 'STOPPED' };
  if (fields.exitCode !== undefined) container.ExitCode = fields.exitCode;
  return {
    TaskArn: taskArn(),
    LastStatus: 'STOPPED',
    ...(fields.StopCode === undefined ? {} : { StopCode: fields.StopCode }),
    StoppedReason: fields.StoppedReason,
    Containers: [container],
  };
}

/** The error a failed `runTask.sync` raises. */
export function taskFailed(task: ReturnType<typeof stoppedTask>): Error {
  const error = new Error(JSON.stringify(task));
  error.name = 'States.TaskFailed';
  return error;
}

export const stops = {
  succeeded: () =>
    stoppedTask({
      StopCode: 'EssentialContainerExited',
      StoppedReason: 'Essential container in task exited',
      exitCode: 0,
    }),
  exited: (exitCode: number) =>
    taskFailed(
      stoppedTask({
        StopCode: 'EssentialContainerExited',
        StoppedReason: 'Essential container in task exited',
        exitCode,
      }),
    ),
  failedToStart: () =>
    taskFailed(
      stoppedTask({
        StopCode: 'TaskFailedToStart',
        StoppedReason: 'Timeout waiting for network interface provisioning to complete.',
      }),
    ),
  imagePull: () =>
    taskFailed(
      stoppedTask({
        StopCode: 'TaskFailedToStart',
        StoppedReason:
          'CannotPullContainerError: pull image manifest has been retried 5 time(s): i/o timeout',
      }),
    ),
  spotInterruption: () =>
    taskFailed(
      stoppedTask({ StopCode: 'SpotInterruption', StoppedReason: 'Your Spot Task was interrupted.' }),
    ),
  stoppedByUser: () =>
    taskFailed(stoppedTask({ StopCode: 'UserInitiated', StoppedReason: 'Task stopped by user' })),
};

/**
 * One failure per provisioning-failure kind, written here independently of
 * lib/contracts/provisioning-failures.ts. Each carries only its own kind's signature:
 * the reason-known kinds come without the TaskFailedToStart stop code ECS usually adds,
 * so a template that drops any single kind fails that kind's example.
 */
export const PROVISIONING_FAILURE_EXAMPLES: Record<string, () => Error> = {
  capacityUnavailable: () =>
    runTaskApiError(
      'ECS.AmazonECSException',
      'Capacity is unavailable at this time. Please try again later.',
    ),
  serverException: () =>
    runTaskApiError('ECS.ServerException', 'Service Unavailable. Please try again later.'),
  taskFailedToStart: () =>
    taskFailed(
      stoppedTask({
        StopCode: 'TaskFailedToStart',
        StoppedReason: "Unexpected EC2 error while attempting to tag the network interface 'eni-0a1b2c3d'",
      }),
    ),
  resourceInitializationError: () =>
    taskFailed(
      stoppedTask({
        StoppedReason:
          'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed',
      }),
    ),
  cannotPullContainerError: () =>
    taskFailed(
      stoppedTask({
        StoppedReason:
          'CannotPullContainerError: pull image manifest has been retried 5 time(s): i/o timeout',
      }),
    ),
  eniProvisioningTimeout: () =>
    taskFailed(
      stoppedTask({ StoppedReason: 'Timeout waiting for network interface provisioning to complete.' }),
    ),
  spotInterruption: () =>
    taskFailed(
      stoppedTask({ StopCode: 'SpotInterruption', StoppedReason: 'Your Spot Task was interrupted.' }),
    ),
};

/** A RunTask API error (no task was created). */
export function runTaskApiError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

interface RunTaskParameters {
  Overrides: { ContainerOverrides: { Environment: { Name: string; Value: string }[] }[] };
}

/** The ContainerTaskInput the state machine put in the task's environment. */
export function readTaskInput(parameters: unknown): ContainerTaskInput {
  const environment = (parameters as RunTaskParameters).Overrides.ContainerOverrides[0]?.Environment ?? [];
  const variable = environment.find((entry) => entry.Name === TASK_INPUT_ENV);
  if (!variable) throw new Error(`RunTask parameters lack ${TASK_INPUT_ENV}`);
  return JSON.parse(variable.Value) as ContainerTaskInput;
}
