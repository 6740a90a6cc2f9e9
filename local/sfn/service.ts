/**
 * The local Step Functions service: the execution lifecycle (start, redrive, stop, finish,
 * recovery after a crash, the heartbeat) behind the API operations. Requests are typed and
 * paged in requests.ts and the read-only operations are answered by queries.ts. The
 * interpreter gets its definition from definition.ts and its clock from fixed-clock.ts;
 * Task states go to task-dispatch.ts, outcomes come from execution-outcome.ts, and events
 * leave through execution-events.ts.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { MAX_EXECUTION_INPUT_BYTES } from '../../lib/contracts/task-input-limits.ts';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import { type EcsEmulator, signalTaskProcesses } from '../ecs/run-task.ts';
import type { LambdaInvoker } from '../lambda/invoke.ts';
import type { ExecutionRecord, ExecutionStore, ResumePoint } from '../store/execution-store.ts';
import { validateExecutionName } from './api-rules.ts';
import {
  type Definition,
  indexStates,
  mapLength,
  prepareDefinition,
  WORK_STATE_TYPES,
} from './definition.ts';
import { SfnApiError } from './errors.ts';
import { type ExecutionEvent, ExecutionEvents } from './execution-events.ts';
import { classifyFailure, lastKnownAlive, type Outcome, redriveStatus } from './execution-outcome.ts';
import { withFixedClock } from './fixed-clock.ts';
import { describeTaskResource, historyEventsFor, type InterpreterEvent } from './history.ts';
import { HistoryLinker } from './history-links.ts';
import { IdempotentResponses } from './idempotency.ts';
import { ExecutionQueries } from './queries.ts';
import {
  executionArnSchema,
  historySchema,
  jsonNestingDepth,
  listExecutionsSchema,
  lookupExecution,
  lookupExecutionSummary,
  lookupStateMachine,
  MAX_INPUT_NESTING_DEPTH,
  paginationSchema,
  parseRequest,
  redriveSchema,
  resourceArnSchema,
  type StartExecutionRequest,
  type StopExecutionRequest,
  startExecutionSchema,
  stateMachineArnSchema,
  stopExecutionSchema,
} from './requests.ts';
import { compact, epochSeconds } from './response-shape.ts';
import { TaskDispatcher } from './task-dispatch.ts';

export type { Definition } from './definition.ts';
export { prepareDefinition, unsupportedFeatures } from './definition.ts';
export type { ExecutionEvent } from './execution-events.ts';

type JsonValue = Parameters<StateMachine['run']>[0];
type LocalHandler = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>[string];
/** How long a finished execution's remaining interpreter events may take to reach the history. */
const EVENT_LOG_GRACE_MS = 2000;

export interface StateMachineEntry {
  arn: string;
  name: string;
  job: JobSpec;
  definition: Definition;
  creationDate: Date;
  roleArn: string;
  tags: Array<{ key: string; value: string }>;
}

/** Shortens Wait states and Retry pauses (tests and demos); AWS timing when absent. */
export interface TimingOverrides {
  waitMilliseconds?: number;
  retryIntervalMilliseconds?: number;
}

export interface ServiceOptions {
  store: ExecutionStore;
  ecs: EcsEmulator;
  lambda: LambdaInvoker;
  region: string;
  accountId: string;
  stateMachines: StateMachineEntry[];
  timing?: TimingOverrides;
  onExecutionEvent?: (event: ExecutionEvent) => void;
  onStatusChangeEvent?: (event: unknown) => Promise<void>;
  /** Validates an `aws-sdk:sfn:*` integration's request as the API would (throws its ApiError). */
  checkRequest?: (operation: string, body: unknown) => unknown;
  /** Where callback failures are reported (they never change an execution). */
  warn: (message: string) => void;
}

interface ActiveRun {
  executionArn: string;
  active: boolean;
  history: HistoryLinker;
  abort: () => void;
  settled: Promise<void>;
}

/**
 * The Step Functions service: the API operations over the durable store, and the
 * executions themselves, interpreted by aws-local-stepfunctions with every Task
 * dispatched locally by its Resource.
 */
export class StepFunctionsService {
  private readonly options: ServiceOptions;
  private readonly machines = new Map<string, StateMachineEntry>();
  private readonly runs = new Map<string, ActiveRun>();
  private readonly events: ExecutionEvents;
  private readonly tasks: TaskDispatcher;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private readonly redriveTokens = new IdempotentResponses();
  private readonly queries: ExecutionQueries;

  constructor(options: ServiceOptions) {
    this.options = options;
    this.events = new ExecutionEvents(options);
    this.tasks = new TaskDispatcher({
      ...options,
      call: (operation, body) => {
        options.checkRequest?.(operation, body);
        return this.call(operation, body);
      },
    });
    for (const machine of options.stateMachines) this.machines.set(machine.arn, machine);
    this.queries = new ExecutionQueries(options.store, this.machines);
  }

  /** Closes executions a previous process left RUNNING (it died), and kills task processes it left behind. */
  recoverInterruptedExecutions(): void {
    for (const summary of this.options.store.all()) {
      if (summary.status !== 'RUNNING') continue;
      const record = this.options.store.get(summary.executionArn);
      if (record === undefined) continue;
      for (const task of this.options.store.tasks(record.executionArn)) {
        if (task.stoppedAt !== undefined) continue;
        killLeftoverTask(task.taskId, task.pid, task.container);
        const { taskId, lines: _lines, ...meta } = task;
        this.options.store.writeTask(record.executionArn, taskId, {
          ...meta,
          stoppedAt: new Date().toISOString(),
          stopCode: 'UserInitiated',
          stoppedReason: `Task stopped by the local runtime at start: the runtime that ran execution ${record.executionArn} (pid ${record.runtimePid}) is gone`,
        });
      }
      const lastAlive = lastKnownAlive(
        record,
        this.options.store.history(record.executionArn),
        this.options.store.previousHeartbeat,
      );
      this.finish(
        record,
        {
          status: 'ABORTED',
          error: 'LocalRuntimeStopped',
          cause: `The local runtime stopped while this execution was running (pid ${record.runtimePid}, last known alive ${lastAlive.toISOString()}, which is the stop date). Redrive it to continue.`,
        },
        lastAlive,
      );
    }
  }

  /** Records every few seconds that this runtime is alive, for the stop date of executions a crash interrupts. */
  startHeartbeat(intervalMs: number): void {
    this.options.store.heartbeat(process.pid);
    this.heartbeatTimer = setInterval(() => {
      try {
        this.options.store.heartbeat(process.pid);
      } catch (error) {
        this.options.warn(`could not record the heartbeat: ${String(error)}`);
      }
    }, intervalMs);
    this.heartbeatTimer.unref();
  }

  /** Runs an API operation by its X-Amz-Target name. */
  async call(operation: string, body: unknown): Promise<unknown> {
    switch (operation) {
      case 'StartExecution':
        return this.startExecution(parseRequest(startExecutionSchema, body));
      case 'DescribeExecution':
        return this.queries.describeExecution(parseRequest(executionArnSchema, body).executionArn);
      case 'ListExecutions':
        return this.queries.listExecutions(parseRequest(listExecutionsSchema, body));
      case 'StopExecution':
        return this.stopExecution(parseRequest(stopExecutionSchema, body));
      case 'GetExecutionHistory':
        return this.queries.getExecutionHistory(parseRequest(historySchema, body));
      case 'RedriveExecution': {
        const request = parseRequest(redriveSchema, body);
        return this.redriveTokens.answer(request.executionArn, request.clientToken, () =>
          this.redriveExecution(request.executionArn),
        );
      }
      case 'ListStateMachines':
        return this.queries.listStateMachines(parseRequest(paginationSchema, body));
      case 'DescribeStateMachine':
        return this.queries.describeStateMachine(parseRequest(stateMachineArnSchema, body).stateMachineArn);
      case 'DescribeStateMachineForExecution':
        return this.queries.describeStateMachineForExecution(
          parseRequest(executionArnSchema, body).executionArn,
        );
      case 'ListTagsForResource':
        return this.queries.listTagsForResource(parseRequest(resourceArnSchema, body).resourceArn);
      default:
        throw new SfnApiError(
          'UnknownOperationException',
          `The local Step Functions API does not implement ${operation}. Implemented: StartExecution, DescribeExecution, ListExecutions, StopExecution, GetExecutionHistory, RedriveExecution, ListStateMachines, DescribeStateMachine, DescribeStateMachineForExecution, ListTagsForResource.`,
        );
    }
  }

  private startExecution(request: StartExecutionRequest): unknown {
    const machine = lookupStateMachine(this.machines, request.stateMachineArn);
    const name = request.name ?? randomUUID();
    validateExecutionName(name);
    const inputText = request.input ?? '{}';
    if (Buffer.byteLength(inputText) > MAX_EXECUTION_INPUT_BYTES) {
      throw new SfnApiError(
        'InvalidExecutionInput',
        `Input of ${Buffer.byteLength(inputText)} bytes exceeds the 262144 bytes quota`,
      );
    }
    try {
      JSON.parse(inputText);
    } catch (error) {
      throw new SfnApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${error instanceof Error ? error.message : String(error)}'`,
      );
    }
    const depth = jsonNestingDepth(inputText);
    if (depth > MAX_INPUT_NESTING_DEPTH) {
      throw new SfnApiError(
        'InvalidExecutionInput',
        `Input nests lists or objects ${depth} levels deep; the local runtime accepts at most ${MAX_INPUT_NESTING_DEPTH}. Flatten it, or put the data in object storage and pass its key in params.`,
      );
    }
    const executionArn = `arn:aws:states:${this.options.region}:${this.options.accountId}:execution:${machine.name}:${name}`;
    // The summary first: only a RUNNING execution's input matters, and it is in memory.
    const existing = this.options.store.summary(executionArn);
    if (existing !== undefined) {
      // AWS: same name and input while RUNNING is idempotent; anything else is a conflict.
      const running = existing.status === 'RUNNING' ? this.options.store.get(executionArn) : undefined;
      if (running !== undefined && sameJson(running.input, inputText)) {
        return { executionArn, startDate: epochSeconds(existing.startDate) };
      }
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      job: machine.job.name,
      name,
      status: 'RUNNING',
      startDate: new Date().toISOString(),
      input: inputText,
      redriveCount: 0,
      runtimePid: process.pid,
      updatedAt: new Date().toISOString(),
    };
    this.options.store.create(record, machine.name, machine.definition);
    this.options.store.appendHistory(executionArn, 'ExecutionStarted', {
      executionStartedEventDetails: {
        input: inputText,
        inputDetails: { truncated: false },
        roleArn: machine.roleArn,
      },
    });
    this.events.execution('started', record);
    this.launch(record, machine.definition, undefined);
    return { executionArn, startDate: epochSeconds(record.startDate) };
  }

  private stopExecution(request: StopExecutionRequest): unknown {
    const summary = lookupExecutionSummary(this.options.store, request.executionArn);
    if (summary.status === 'RUNNING') {
      const record = lookupExecution(this.options.store, request.executionArn);
      this.stopRun(record, { status: 'ABORTED', error: request.error, cause: request.cause }, false);
    }
    const stopped = lookupExecutionSummary(this.options.store, request.executionArn);
    return { stopDate: epochSeconds(stopped.stopDate ?? new Date().toISOString()) };
  }

  private redriveExecution(executionArn: string): unknown {
    const record = lookupExecution(this.options.store, executionArn);
    const redrive = redriveStatus(record);
    if (redrive.status !== 'REDRIVABLE' || record.resumeFrom === undefined) {
      throw new SfnApiError(
        'ExecutionNotRedrivable',
        `Execution ${executionArn} cannot be redriven: ${redrive.reason}`,
      );
    }
    const now = new Date().toISOString();
    const resumed: ExecutionRecord = {
      ...record,
      status: 'RUNNING',
      redriveCount: record.redriveCount + 1,
      redriveDate: now,
      stopDate: undefined,
      output: undefined,
      error: undefined,
      cause: undefined,
      runtimePid: process.pid,
    };
    this.options.store.update(resumed);
    this.options.store.appendHistory(executionArn, 'ExecutionRedriven', {
      executionRedrivenEventDetails: { redriveCount: resumed.redriveCount },
    });
    const definition = this.options.store.definition(executionArn) as Definition;
    this.events.execution('started', resumed);
    this.launch(resumed, definition, record.resumeFrom);
    return { redriveDate: epochSeconds(now) };
  }

  /** Starts (or, with `resume`, redrives) the interpreter for an execution. */
  private launch(record: ExecutionRecord, definition: Definition, resume: ResumePoint | undefined): void {
    const prepared = prepareDefinition(definition, resume?.state);
    const topLevelWorkStates = new Set(
      Object.entries(prepared.States)
        .filter(([, state]) => WORK_STATE_TYPES.has(String(state.Type)))
        .map(([name]) => name),
    );
    const stateIndex = indexStates(prepared);
    const run: ActiveRun = {
      executionArn: record.executionArn,
      active: true,
      history: new HistoryLinker(
        (type, details, previousEventId) =>
          this.options.store.appendHistory(record.executionArn, type, details, previousEventId).id,
        // A redrive continues from ExecutionRedriven; a new execution's first state follows event 0.
        resume === undefined ? 0 : this.options.store.history(record.executionArn).length,
      ),
      abort: () => undefined,
      settled: Promise.resolve(),
    };
    this.runs.set(record.executionArn, run);

    const handlers: Record<string, LocalHandler> = {};
    const waitTimeOverrides: Record<string, number> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const [name, state] of stateIndex) {
      if (state.Type === 'Task') {
        handlers[name] = (input) => this.tasks.runTaskState(run, name, state, input) as Promise<JsonValue>;
      }
      const timing = this.options.timing;
      if (state.Type === 'Wait' && timing?.waitMilliseconds !== undefined) {
        waitTimeOverrides[name] = timing.waitMilliseconds;
      }
      if (Array.isArray(state.Retry) && timing?.retryIntervalMilliseconds !== undefined) {
        retryIntervalOverrides[name] = timing.retryIntervalMilliseconds;
      }
    }

    const machine = this.machines.get(record.stateMachineArn);
    const input =
      resume === undefined ? (JSON.parse(record.input) as JsonValue) : (resume.input as JsonValue);
    const stateMachine = new StateMachine(prepared as unknown as StateMachineDefinition, {
      validationOptions: { noValidate: true },
    });
    const context = {
      Execution: {
        Id: record.executionArn,
        Name: record.name,
        RoleArn: machine?.roleArn ?? '',
        RedriveCount: record.redriveCount,
      },
      StateMachine: { Id: record.stateMachineArn, Name: record.stateMachineArn.split(':').pop() ?? '' },
    };
    // The interpreter stamps $$.Execution.StartTime with `new Date()` itself; pin it to the
    // recorded startDate so the duplicate guard compares the same instants ListExecutions shows.
    let execution: ReturnType<StateMachine['run']>;
    try {
      execution = withFixedClock(Date.parse(record.startDate), () =>
        stateMachine.run(input, {
          overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides, retryIntervalOverrides },
          context,
        }),
      );
    } catch (error) {
      run.active = false;
      this.runs.delete(record.executionArn);
      this.finish(record, classifyFailure(error));
      return;
    }
    run.abort = execution.abort;

    const consumed = (async () => {
      for await (const event of execution.eventLogs) {
        if (!run.active) continue;
        const interpreterEvent = event as unknown as InterpreterEvent;
        const state = interpreterEvent.state;
        if (
          interpreterEvent.type === 'StateEntered' &&
          state !== undefined &&
          interpreterEvent.index === undefined &&
          topLevelWorkStates.has(state.name)
        ) {
          const current = this.options.store.get(record.executionArn);
          if (current !== undefined) {
            this.options.store.update({ ...current, resumeFrom: { state: state.name, input: state.input } });
          }
        }
        const mapped = historyEventsFor(
          interpreterEvent,
          (name) => {
            const resource = stateIndex.get(name)?.Resource;
            return typeof resource === 'string' ? describeTaskResource(resource) : undefined;
          },
          (name, stateInput) => mapLength(stateIndex.get(name), stateInput),
        );
        run.history.interpreterEvent(interpreterEvent, mapped);
      }
    })();

    run.settled = (async () => {
      const outcome = await execution.result.then(
        (output): Outcome => ({ status: 'SUCCEEDED', output: JSON.stringify(output) }),
        (error: unknown): Outcome => classifyFailure(error),
      );
      // The interpreter's event log never ends when it fails inside itself (a RangeError on a
      // deeply nested input, say): the outcome must not wait for it for ever.
      await Promise.race([
        consumed.catch((error: unknown) =>
          this.options.warn(`history of ${record.executionArn}: ${String(error)}`),
        ),
        new Promise((resolve) => setTimeout(resolve, EVENT_LOG_GRACE_MS).unref()),
      ]);
      if (!run.active) return;
      run.active = false;
      this.runs.delete(record.executionArn);
      const current = this.options.store.get(record.executionArn);
      if (current !== undefined) this.finish(current, outcome, undefined, run.history);
      // Step Functions stops .sync tasks still running when the execution ends (execution
      // timeout, a failed Map abandoning its other iterations).
      await this.options.ecs.stopTasksOf(
        record.executionArn,
        `Task stopped by Step Functions execution ${record.executionArn}: the execution ended (${outcome.status})`,
      );
    })();
  }

  /** Ends a RUNNING execution from outside (StopExecution, shutdown): ABORTED now, tasks stopped. */
  private stopRun(record: ExecutionRecord, outcome: Outcome, waitForTasks: true): Promise<void>;
  private stopRun(record: ExecutionRecord, outcome: Outcome, waitForTasks: false): void;
  private stopRun(
    record: ExecutionRecord,
    outcome: Outcome,
    waitForTasks: boolean,
  ): Promise<void> | undefined {
    const run = this.runs.get(record.executionArn);
    if (run !== undefined) {
      run.active = false;
      this.runs.delete(record.executionArn);
      run.abort();
      run.history.abortOpen();
    }
    this.finish(record, outcome, undefined, run?.history);
    const reason = `Task stopped by Step Functions execution ${record.executionArn}: the execution was stopped${outcome.error === undefined ? '' : ` (${outcome.error})`}`;
    const stopping = this.options.ecs.stopTasksOf(record.executionArn, reason);
    if (waitForTasks) return stopping;
    void stopping;
    return undefined;
  }

  /** Runtime shutdown: every running execution ends ABORTED (redrivable) after its tasks stop. */
  async close(): Promise<void> {
    const stopping = [...this.runs.keys()].flatMap((executionArn) => {
      const record = this.options.store.get(executionArn);
      if (record?.status !== 'RUNNING') return [];
      return [
        this.stopRun(
          record,
          {
            status: 'ABORTED',
            error: 'LocalRuntimeStopped',
            cause: `The local runtime was shut down (pid ${process.pid}) while this execution was running. Redrive it to continue.`,
          },
          true,
        ),
      ];
    });
    await Promise.all(stopping);
    await this.events.settled();
    clearInterval(this.heartbeatTimer);
  }

  private finish(
    record: ExecutionRecord,
    outcome: Outcome,
    stoppedAt: Date = new Date(),
    history?: HistoryLinker,
  ): void {
    const stopDate = stoppedAt.toISOString();
    // Only a redrive reads the resume point (a state's whole input), and a SUCCEEDED execution
    // cannot be redriven: its record.json, read whenever it is described, does not carry it.
    const { resumeFrom: _resumePoint, ...withoutResumePoint } = record;
    const closed: ExecutionRecord = {
      ...(outcome.status === 'SUCCEEDED' ? withoutResumePoint : record),
      status: outcome.status,
      stopDate,
      output: outcome.output,
      error: outcome.error,
      cause: outcome.cause,
    };
    this.options.store.update(closed);
    const errorDetails = compact({ error: outcome.error, cause: outcome.cause });
    const terminal: Record<Outcome['status'], [string, Record<string, unknown>]> = {
      SUCCEEDED: [
        'ExecutionSucceeded',
        { executionSucceededEventDetails: { output: outcome.output, outputDetails: { truncated: false } } },
      ],
      FAILED: ['ExecutionFailed', { executionFailedEventDetails: errorDetails }],
      TIMED_OUT: ['ExecutionTimedOut', { executionTimedOutEventDetails: errorDetails }],
      ABORTED: ['ExecutionAborted', { executionAbortedEventDetails: errorDetails }],
    };
    const [type, details] = terminal[outcome.status];
    if (history === undefined)
      this.options.store.appendHistory(record.executionArn, type, details, undefined, stoppedAt);
    else history.terminal(type, details);
    this.events.execution('finished', closed);
    this.events.statusChange(closed);
  }
}

function killLeftoverTask(taskId: string, pid: number | undefined, container: string): void {
  let stillTheTask = false;
  try {
    // Only a process that is still this task's container program (pids are reused).
    stillTheTask =
      pid !== undefined && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${container}/main.ts`);
  } catch {
    // Already gone.
  }
  signalTaskProcesses(taskId, stillTheTask ? pid : undefined, 'SIGKILL');
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}
