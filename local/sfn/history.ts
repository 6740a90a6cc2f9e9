/**
 * Turns the interpreter's event log (aws-local-stepfunctions) into Step Functions
 * history events with AWS's type names and detail fields. Task-level events
 * (TaskScheduled/Started/Submitted/Succeeded/Failed, LambdaFunction*) are written by
 * the task dispatchers, which know what ran; this module covers the state-level ones.
 */

export interface PendingHistoryEvent {
  type: string;
  details: Record<string, unknown>;
}

/** The part of a library event this module reads. */
export interface InterpreterEvent {
  type: string;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string; type: string; input?: unknown };
  index?: number;
  Error?: string;
  Cause?: unknown;
}

/** How a Task state's Resource appears in history. */
export interface TaskResource {
  /** Direct Lambda ARN: LambdaFunction* events instead of Task* events. */
  lambdaFunction: boolean;
  resourceType: string;
  resource: string;
}

/** `arn:aws:states:::ecs:runTask.sync` → { resourceType: 'ecs', resource: 'runTask.sync' }. */
export function describeTaskResource(resource: string): TaskResource {
  if (resource.startsWith('arn:aws:lambda:')) {
    return { lambdaFunction: true, resourceType: 'lambda', resource };
  }
  const integration = /^arn:aws:states:[^:]*:[^:]*:(.+)$/.exec(resource)?.[1];
  if (integration === undefined) return { lambdaFunction: false, resourceType: 'unknown', resource };
  const [service, ...rest] = integration.split(':');
  if (service === 'aws-sdk') {
    const [sdkService, action] = rest;
    return { lambdaFunction: false, resourceType: `aws-sdk:${sdkService ?? ''}`, resource: action ?? '' };
  }
  return { lambdaFunction: false, resourceType: service ?? '', resource: rest.join(':') };
}

const STATE_TYPE_PREFIX: Record<string, string> = {
  Task: 'Task',
  Choice: 'Choice',
  Pass: 'Pass',
  Wait: 'Wait',
  Succeed: 'Succeed',
  Fail: 'Fail',
  Map: 'Map',
  Parallel: 'Parallel',
};

/** Serialises a state payload as AWS does (JSON text), plus the `*Details` flag. */
function payload(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/**
 * History events for one interpreter event. `taskResourceOf` gives the Resource of a
 * Task state by name (for TaskTimedOut). Events AWS has no counterpart for (retries,
 * catches, ParallelBranch*) map to none: AWS shows a retry as a new TaskScheduled.
 */
export function historyEventsFor(
  event: InterpreterEvent,
  taskResourceOf: (stateName: string) => TaskResource | undefined,
  mapLength: (stateName: string, input: unknown) => number | undefined,
): PendingHistoryEvent[] {
  const state = event.state;
  switch (event.type) {
    case 'StateEntered': {
      if (state === undefined) return [];
      const prefix = STATE_TYPE_PREFIX[state.type] ?? state.type;
      const entered: PendingHistoryEvent = {
        type: `${prefix}StateEntered`,
        details: {
          stateEnteredEventDetails: {
            name: state.name,
            input: payload(state.input),
            inputDetails: { truncated: false },
          },
        },
      };
      if (state.type !== 'Map') return [entered];
      const length = mapLength(state.name, state.input);
      return [
        entered,
        {
          type: 'MapStateStarted',
          details: { mapStateStartedEventDetails: length === undefined ? {} : { length } },
        },
      ];
    }
    case 'StateExited': {
      if (state === undefined) return [];
      const prefix = STATE_TYPE_PREFIX[state.type] ?? state.type;
      const exited: PendingHistoryEvent = {
        type: `${prefix}StateExited`,
        details: {
          stateExitedEventDetails: {
            name: state.name,
            output: payload(state.output),
            outputDetails: { truncated: false },
          },
        },
      };
      if (state.type === 'Map') return [{ type: 'MapStateSucceeded', details: {} }, exited];
      if (state.type === 'Parallel') return [{ type: 'ParallelStateSucceeded', details: {} }, exited];
      return [exited];
    }
    case 'StateFailed': {
      if (state === undefined) return [];
      if (state.type === 'Task' && event.Error === 'States.Timeout') {
        const resource = taskResourceOf(state.name);
        if (resource?.lambdaFunction) {
          return [
            {
              type: 'LambdaFunctionTimedOut',
              details: { lambdaFunctionTimedOutEventDetails: { error: 'States.Timeout', cause: '' } },
            },
          ];
        }
        return [
          {
            type: 'TaskTimedOut',
            details: {
              taskTimedOutEventDetails: {
                resourceType: resource?.resourceType ?? 'unknown',
                resource: resource?.resource ?? '',
                error: 'States.Timeout',
                cause: '',
              },
            },
          },
        ];
      }
      if (state.type === 'Map') return [{ type: 'MapStateFailed', details: {} }];
      if (state.type === 'Parallel') return [{ type: 'ParallelStateFailed', details: {} }];
      return [];
    }
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed': {
      const detailKey = `${event.type.charAt(0).toLowerCase()}${event.type.slice(1)}EventDetails`;
      const details = { name: event.parentState?.name ?? '', index: event.index ?? 0 };
      return [{ type: event.type, details: { [detailKey]: details } }];
    }
    default:
      return [];
  }
}
