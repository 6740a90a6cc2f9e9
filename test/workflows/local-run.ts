import { type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { vi } from 'vitest';
import { everyState, type StateContainer } from '#lib/workflows/states.ts';
import type { AslDefinition } from '#lib/workflows/synthesize.ts';

type Handler = (input: unknown) => unknown;
type Execution = ReturnType<StateMachine['run']>;
/** The library's event type (not exported by name). */
export type EventLog = Execution['eventLogs'] extends AsyncGenerator<infer Event> ? Event : never;
type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

export interface LocalRunOptions {
  /** Local stand-ins for Task states, keyed by state name (the library dispatches on names, not ARNs). */
  tasks: Record<string, Handler>;
  input?: unknown;
  executionName?: string;
  /** `$$.Execution.StartTime` of the run (default {@link DEFAULT_START_TIME}). */
  startTime?: string;
}

export interface LocalRunResult {
  status: 'SUCCEEDED' | 'FAILED';
  output: unknown;
  error: string | undefined;
  cause: string | undefined;
  events: EventLog[];
  /** Names of the states entered, in order (Map iteration states included). */
  entered: string[];
  /** How many times a state was entered. */
  enteredCount: (stateName: string) => number;
  /** The input of each entry into a state, in order. */
  enteredInputs: (stateName: string) => unknown[];
  /** How many Retry-field retries a state had. */
  retriedCount: (stateName: string) => number;
}

export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:sfn-batch-test-job';
/** The start time every local run has unless it asks for another one. */
export const DEFAULT_START_TIME = '2026-11-21T02:15:00.123Z';

/**
 * Runs a synthesised definition in aws-local-stepfunctions with every Wait and
 * Retry pause set to zero, and collects the execution events. The library mutates
 * the definition, so it gets a copy; it also needs the Context Object fields the
 * definitions read ($$.Execution.Id/Name, $$.StateMachine.Id), which it does not
 * fill by default. The library stamps `$$.Execution.StartTime` with `new Date()` when the
 * run begins, whatever the context says, so the clock is frozen at `startTime` for that
 * moment: the duplicate guard then compares the instants the test chose, not the wall clock.
 */
export async function runLocally(
  definition: AslDefinition,
  options: LocalRunOptions,
): Promise<LocalRunResult> {
  const copy = structuredClone(definition);
  // One setTimeout times the whole run; past 2^31 ms (24.8 days) it would fire at once.
  copy.TimeoutSeconds = Math.min(Number(copy.TimeoutSeconds ?? 0) || 2_147_483, 2_147_483);
  const waitStates = collectStateNames(copy, 'Wait');
  const taskStates = collectStateNames(copy, 'Task');
  const machine = new StateMachine(copy as unknown as StateMachineDefinition, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const name = options.executionName ?? 'run-1';
  const input = options.input ?? {};
  const tasks: LocalHandlers = {};
  for (const [stateName, handler] of Object.entries(options.tasks)) {
    tasks[stateName] = async (taskInput) =>
      (await handler(taskInput)) as Awaited<ReturnType<LocalHandlers[string]>>;
  }
  const startTime = options.startTime ?? DEFAULT_START_TIME;
  // `run()` reads the clock synchronously for StartTime; only Date is faked, and only for this call.
  vi.useFakeTimers({ toFake: ['Date'], now: new Date(startTime) });
  let execution: Execution;
  try {
    execution = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: tasks,
        waitTimeOverrides: Object.fromEntries(waitStates.map((state) => [state, 0])),
        retryIntervalOverrides: Object.fromEntries(taskStates.map((state) => [state, 0])),
      },
      context: {
        Execution: {
          Id: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`,
          Name: name,
          StartTime: startTime,
          Input: input,
          RoleArn: 'arn:aws:iam::000000000000:role/sfn-batch-test',
        },
        StateMachine: { Id: STATE_MACHINE_ARN, Name: 'sfn-batch-test-job' },
      } as never,
    });
  } finally {
    vi.useRealTimers();
  }
  const events: EventLog[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  let output: unknown;
  let status: LocalRunResult['status'] = 'SUCCEEDED';
  try {
    output = await execution.result;
  } catch {
    status = 'FAILED';
  }
  await collecting;
  const failed = events.find((event) => event.type === 'ExecutionFailed');
  const entered = events.flatMap((event) => (event.type === 'StateEntered' ? [event.state.name] : []));
  return {
    status,
    output,
    error: failed && 'Error' in failed ? failed.Error : undefined,
    cause: failed && 'Cause' in failed ? String(failed.Cause) : undefined,
    events,
    entered,
    enteredCount: (stateName) => entered.filter((entry) => entry === stateName).length,
    enteredInputs: (stateName) =>
      events.flatMap((event) =>
        event.type === 'StateEntered' && event.state.name === stateName ? [event.state.input] : [],
      ),
    retriedCount: (stateName) =>
      events.filter((event) => event.type === 'StateRetried' && event.state.name === stateName).length,
  };
}

function collectStateNames(definition: StateContainer, type: string): string[] {
  return everyState(definition)
    .filter(([, state]) => state.Type === type)
    .map(([name]) => name);
}
