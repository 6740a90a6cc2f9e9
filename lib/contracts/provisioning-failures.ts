/**
 * The one list of provisioning-failure kinds: the transient ways Fargate can fail to
 * give a job a running container, as opposed to the job's own failure (a non-zero
 * exit). Both workflow templates retry exactly these (lib/workflows/synthesize.ts
 * builds their Retry errors and classification Choice rules from this list), and the
 * local runtime injects exactly these (local/ecs/faults.ts), so AWS and `npm start`
 * cannot disagree about what counts as transient.
 */

/** A RunTask API error: no task was created. Step Functions names it `ECS.<ExceptionName>`. */
export interface RunTaskErrorKind {
  surface: 'runtask-error';
  /** The Step Functions error name a Retry field matches on. */
  error: string;
  /** The message the local runtime injects (the text ECS returns). */
  injectedMessage: string;
}

/**
 * A task that was created and then stopped: `ecs:runTask.sync` fails with
 * `States.TaskFailed` and the stopped task (PascalCase) as the Cause. A kind is known by
 * its StopCode or by a phrase in its StoppedReason, never both, so each kind decides on
 * its own and dropping one changes what is retried.
 */
export interface StoppedTaskKind {
  surface: 'stopped-task';
  match: { stopCode: string } | { reasonIncludes: string };
  /** What the local runtime reports when it injects this kind. */
  injected: {
    /** `start`: the task never runs a process; `running`: it is stopped mid-run (Spot tasks only). */
    phase: 'start' | 'running';
    stopCode: string;
    reason: string;
  };
}

export type ProvisioningFailureKind = RunTaskErrorKind | StoppedTaskKind;

/**
 * Every provisioning-failure kind, keyed by its fault-injection setting (`SFN_BATCH_FAULTS`).
 * Order matters only to fault injection: start-failure shares are drawn in this order.
 * Sources: ECS stopped-task error codes,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
 */
export const PROVISIONING_FAILURES = {
  capacityUnavailable: {
    surface: 'runtask-error',
    error: 'ECS.AmazonECSException',
    injectedMessage:
      'Capacity is unavailable at this time. Please try again later or in a different availability zone (Service: AmazonECS; Status Code: 400; Error Code: ServerException) (injected by the local runtime)',
  },
  resourceInitializationError: {
    surface: 'stopped-task',
    match: { reasonIncludes: 'ResourceInitializationError' },
    injected: {
      phase: 'start',
      stopCode: 'TaskFailedToStart',
      reason:
        'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed (injected by the local runtime)',
    },
  },
  cannotPullContainerError: {
    surface: 'stopped-task',
    match: { reasonIncludes: 'CannotPullContainerError' },
    injected: {
      phase: 'start',
      stopCode: 'TaskFailedToStart',
      reason:
        'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref: i/o timeout (injected by the local runtime)',
    },
  },
  eniProvisioningTimeout: {
    surface: 'stopped-task',
    match: { reasonIncludes: 'network interface provision' },
    injected: {
      phase: 'start',
      stopCode: 'TaskFailedToStart',
      reason: 'Timeout waiting for network interface provisioning to complete.',
    },
  },
  spotInterruption: {
    surface: 'stopped-task',
    match: { stopCode: 'SpotInterruption' },
    injected: { phase: 'running', stopCode: 'SpotInterruption', reason: 'Your Spot Task was interrupted.' },
  },
  serverException: {
    surface: 'runtask-error',
    error: 'ECS.ServerException',
    injectedMessage: 'Service Unavailable. Please try again later. (injected by the local runtime)',
  },
  taskFailedToStart: {
    surface: 'stopped-task',
    match: { stopCode: 'TaskFailedToStart' },
    injected: {
      phase: 'start',
      stopCode: 'TaskFailedToStart',
      reason:
        "Unexpected EC2 error while attempting to Create Network Interface in subnet 'subnet-0000000000000000a': InsufficientFreeAddressesInSubnet (injected by the local runtime)",
    },
  },
} as const satisfies Record<string, ProvisioningFailureKind>;

export type ProvisioningFailureName = keyof typeof PROVISIONING_FAILURES;

/** Every kind with its name, in list order. */
export function provisioningFailures(): [ProvisioningFailureName, ProvisioningFailureKind][] {
  return Object.entries(PROVISIONING_FAILURES) as [ProvisioningFailureName, ProvisioningFailureKind][];
}

/** The Step Functions error names of the RunTask API errors worth retrying. */
export function retriedRunTaskErrors(): string[] {
  return provisioningFailures().flatMap(([, kind]) => (kind.surface === 'runtask-error' ? [kind.error] : []));
}
