import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { z } from 'zod';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import type { EcsEmulator } from '../ecs/run-task.ts';
import type { LambdaInvoker } from '../lambda/invoke.ts';
import type {
  ExecutionRecord,
  ExecutionStatus,
  ExecutionStore,
  ListingCursor,
  ResumePoint,
} from '../store/execution-store.ts';
import { SfnApiError, TaskStateError } from './errors.ts';
import { describeTaskResource, historyEventsFor, type InterpreterEvent } from './history.ts';

type JsonValue = Parameters<StateMachine['run']>[0];
type LocalHandler = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>[string];
type StateDefinition = Record<string, unknown>;
export type Definition = { StartAt: string; States: Record<string, StateDefinition> } & Record<
  string,
  unknown
>;

/** Longest timer Node.js can arm (2^31-1 ms); longer timeouts would fire at once. */
const MAX_TIMER_SECONDS = 2_147_483;
const REDRIVE_WINDOW_MS = 14 * 24 * 60 * 60 * 1000;
const MAX_INPUT_BYTES = 256 * 1024;
const WORK_STATE_TYPES = new Set(['Task', 'Map', 'Parallel']);

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

export interface ExecutionEvent {
  type: 'started' | 'finished';
  executionArn: string;
  job: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  error?: string;
  cause?: string;
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
  /** Where callback failures are reported (they never change an execution). */
  warn: (message: string) => void;
}

interface ActiveRun {
  executionArn: string;
  active: boolean;
  abort: () => void;
  settled: Promise<void>;
}

interface Outcome {
  status: Exclude<ExecutionStatus, 'RUNNING'>;
  output?: string;
  error?: string;
  cause?: string;
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
  private readonly pendingCallbacks = new Set<Promise<void>>();

  constructor(options: ServiceOptions) {
    this.options = options;
    for (const machine of options.stateMachines) this.machines.set(machine.arn, machine);
  }

  /** Closes executions a previous process left RUNNING (it died), and kills task processes it left behind. */
  recoverInterruptedExecutions(): void {
    for (const record of this.options.store.all()) {
      if (record.status !== 'RUNNING') continue;
      for (const task of this.options.store.tasks(record.executionArn)) {
        if (task.stoppedAt !== undefined) continue;
        if (task.pid !== undefined) killLeftoverTask(task.pid, task.container);
        const { taskId, lines: _lines, ...meta } = task;
        this.options.store.writeTask(record.executionArn, taskId, {
          ...meta,
          stoppedAt: new Date().toISOString(),
          stopCode: 'UserInitiated',
          stoppedReason: `Task stopped by the local runtime at start: the runtime that ran execution ${record.executionArn} (pid ${record.runtimePid}) is gone`,
        });
      }
      this.finish(record, {
        status: 'ABORTED',
        error: 'LocalRuntimeStopped',
        cause: `The local runtime stopped while this execution was running (pid ${record.runtimePid}, last update ${record.updatedAt}). Redrive it to continue.`,
      });
    }
  }

  /** Runs an API operation by its X-Amz-Target name. */
  async call(operation: string, body: unknown): Promise<unknown> {
    switch (operation) {
      case 'StartExecution':
        return this.startExecution(parse(startExecutionSchema, body));
      case 'DescribeExecution':
        return this.describeExecution(parse(executionArnSchema, body).executionArn);
      case 'ListExecutions':
        return this.listExecutions(parse(listExecutionsSchema, body));
      case 'StopExecution':
        return this.stopExecution(parse(stopExecutionSchema, body));
      case 'GetExecutionHistory':
        return this.getExecutionHistory(parse(historySchema, body));
      case 'RedriveExecution':
        return this.redriveExecution(parse(executionArnSchema, body).executionArn);
      case 'ListStateMachines':
        return this.listStateMachines(parse(paginationSchema, body));
      case 'DescribeStateMachine':
        return this.describeStateMachine(this.machine(parse(stateMachineArnSchema, body).stateMachineArn));
      case 'DescribeStateMachineForExecution': {
        const record = this.record(parse(executionArnSchema, body).executionArn);
        return this.describeStateMachine(this.machine(record.stateMachineArn));
      }
      case 'ListTagsForResource': {
        const { resourceArn } = parse(z.object({ resourceArn: z.string() }), body);
        return { tags: this.machine(resourceArn).tags };
      }
      default:
        throw new SfnApiError(
          'UnknownOperationException',
          `The local Step Functions API does not implement ${operation}. Implemented: StartExecution, DescribeExecution, ListExecutions, StopExecution, GetExecutionHistory, RedriveExecution, ListStateMachines, DescribeStateMachine, DescribeStateMachineForExecution, ListTagsForResource.`,
        );
    }
  }

  private startExecution(request: z.infer<typeof startExecutionSchema>): unknown {
    const machine = this.machine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    validateExecutionName(name);
    const inputText = request.input ?? '{}';
    if (Buffer.byteLength(inputText) > MAX_INPUT_BYTES) {
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
    const executionArn = `arn:aws:states:${this.options.region}:${this.options.accountId}:execution:${machine.name}:${name}`;
    const existing = this.options.store.get(executionArn);
    if (existing !== undefined) {
      // AWS: same name and input while RUNNING is idempotent; anything else is a conflict.
      if (existing.status === 'RUNNING' && sameJson(existing.input, inputText)) {
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
    this.launch(record, machine.definition, undefined);
    this.emitExecutionEvent('started', record);
    return { executionArn, startDate: epochSeconds(record.startDate) };
  }

  private describeExecution(executionArn: string): unknown {
    const record = this.record(executionArn);
    const redrive = redriveStatus(record);
    return compact({
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: epochSeconds(record.startDate),
      stopDate: record.stopDate === undefined ? undefined : epochSeconds(record.stopDate),
      input: record.input,
      inputDetails: { included: true },
      output: record.output,
      outputDetails: record.output === undefined ? undefined : { included: true },
      error: record.error,
      cause: record.cause,
      redriveCount: record.redriveCount,
      redriveDate: record.redriveDate === undefined ? undefined : epochSeconds(record.redriveDate),
      redriveStatus: redrive.status,
      redriveStatusReason: redrive.reason,
    });
  }

  private listExecutions(request: z.infer<typeof listExecutionsSchema>): unknown {
    if (request.stateMachineArn === undefined) {
      throw new SfnApiError('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
    }
    const machine = this.machine(request.stateMachineArn);
    const scope = `ListExecutions:${machine.arn}:${request.statusFilter ?? ''}:${request.redriveFilter ?? ''}`;
    const size = request.maxResults === undefined || request.maxResults === 0 ? 100 : request.maxResults;
    const after = request.nextToken === undefined ? undefined : readListingToken(request.nextToken, scope);
    // PENDING_REDRIVE is never a stored status (a local redrive starts at once): it lists nothing.
    const status = request.statusFilter === 'PENDING_REDRIVE' ? undefined : request.statusFilter;
    const items: ExecutionRecord[] = [];
    let more = false;
    if (request.statusFilter !== 'PENDING_REDRIVE') {
      // The store's newest-first index: a page reads its own executions, not the whole store.
      for (const record of this.options.store.newestFirst(machine.arn, {
        ...(status === undefined ? {} : { status }),
        ...(after === undefined ? {} : { after }),
      })) {
        if (request.redriveFilter === 'REDRIVEN' && record.redriveCount === 0) continue;
        if (request.redriveFilter === 'NOT_REDRIVEN' && record.redriveCount > 0) continue;
        if (items.length === size) {
          more = true;
          break;
        }
        items.push(record);
      }
    }
    const last = items.at(-1);
    const page = {
      items,
      nextToken:
        more && last !== undefined
          ? Buffer.from(
              JSON.stringify({ after: { startDate: last.startDate, name: last.name }, scope }),
            ).toString('base64url')
          : undefined,
    };
    return compact({
      executions: page.items.map((record) =>
        compact({
          executionArn: record.executionArn,
          stateMachineArn: record.stateMachineArn,
          name: record.name,
          status: record.status,
          startDate: epochSeconds(record.startDate),
          stopDate: record.stopDate === undefined ? undefined : epochSeconds(record.stopDate),
          redriveCount: record.redriveCount,
          redriveDate: record.redriveDate === undefined ? undefined : epochSeconds(record.redriveDate),
        }),
      ),
      nextToken: page.nextToken,
    });
  }

  private stopExecution(request: z.infer<typeof stopExecutionSchema>): unknown {
    const record = this.record(request.executionArn);
    if (record.status === 'RUNNING') {
      this.stopRun(record, { status: 'ABORTED', error: request.error, cause: request.cause }, false);
    }
    const stopped = this.record(request.executionArn);
    return { stopDate: epochSeconds(stopped.stopDate ?? new Date().toISOString()) };
  }

  private getExecutionHistory(request: z.infer<typeof historySchema>): unknown {
    this.record(request.executionArn);
    const all = this.options.store.history(request.executionArn);
    const ordered = request.reverseOrder === true ? [...all].reverse() : all;
    const page = paginate(
      ordered,
      request,
      `GetExecutionHistory:${request.executionArn}:${request.reverseOrder === true}`,
    );
    const events =
      request.includeExecutionData === false
        ? page.items.map((event) => withoutExecutionData(event))
        : page.items;
    return compact({ events, nextToken: page.nextToken });
  }

  private redriveExecution(executionArn: string): unknown {
    const record = this.record(executionArn);
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
    this.launch(resumed, definition, record.resumeFrom);
    this.emitExecutionEvent('started', resumed);
    return { redriveDate: epochSeconds(now) };
  }

  private listStateMachines(request: z.infer<typeof paginationSchema>): unknown {
    const machines = [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
    const page = paginate(machines, request, 'ListStateMachines');
    return compact({
      stateMachines: page.items.map((machine) => ({
        stateMachineArn: machine.arn,
        name: machine.name,
        type: 'STANDARD',
        creationDate: machine.creationDate.getTime() / 1000,
      })),
      nextToken: page.nextToken,
    });
  }

  private describeStateMachine(machine: StateMachineEntry): unknown {
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: JSON.stringify(machine.definition, null, 2),
      roleArn: machine.roleArn,
      type: 'STANDARD',
      creationDate: machine.creationDate.getTime() / 1000,
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  private machine(stateMachineArn: string): StateMachineEntry {
    if (!/^arn:aws:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/.test(stateMachineArn)) {
      throw new SfnApiError(
        'InvalidArn',
        `Invalid Arn: 'Resource type not valid in this context: ${stateMachineArn}'`,
      );
    }
    const machine = this.machines.get(stateMachineArn);
    if (machine === undefined) {
      throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    }
    return machine;
  }

  private record(executionArn: string): ExecutionRecord {
    if (!/^arn:aws:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(executionArn)) {
      throw new SfnApiError(
        'InvalidArn',
        `Invalid Arn: 'Resource type not valid in this context: ${executionArn}'`,
      );
    }
    const record = this.options.store.get(executionArn);
    if (record === undefined) {
      throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    }
    return record;
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
      abort: () => undefined,
      settled: Promise.resolve(),
    };
    this.runs.set(record.executionArn, run);

    const handlers: Record<string, LocalHandler> = {};
    const waitTimeOverrides: Record<string, number> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const [name, state] of stateIndex) {
      if (state.Type === 'Task') {
        handlers[name] = (input) => this.runTaskState(run, state, input) as Promise<JsonValue>;
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
    const execution = withFixedClock(Date.parse(record.startDate), () =>
      stateMachine.run(input, {
        overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides, retryIntervalOverrides },
        context,
      }),
    );
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
        for (const pending of mapped)
          this.options.store.appendHistory(record.executionArn, pending.type, pending.details);
      }
    })();

    run.settled = (async () => {
      const outcome = await execution.result.then(
        (output): Outcome => ({ status: 'SUCCEEDED', output: JSON.stringify(output) }),
        (error: unknown): Outcome => classifyFailure(error),
      );
      await consumed.catch((error: unknown) =>
        this.options.warn(`history of ${record.executionArn}: ${String(error)}`),
      );
      if (!run.active) return;
      run.active = false;
      this.runs.delete(record.executionArn);
      const current = this.options.store.get(record.executionArn);
      if (current !== undefined) this.finish(current, outcome);
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
    }
    this.finish(record, outcome);
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
    await Promise.allSettled([...this.pendingCallbacks]);
  }

  private finish(record: ExecutionRecord, outcome: Outcome): void {
    const stopDate = new Date().toISOString();
    const closed: ExecutionRecord = {
      ...record,
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
    this.options.store.appendHistory(record.executionArn, type, details);
    this.emitExecutionEvent('finished', closed);
    this.emitStatusChange(closed);
  }

  private emitExecutionEvent(type: 'started' | 'finished', record: ExecutionRecord): void {
    const listener = this.options.onExecutionEvent;
    if (listener === undefined) return;
    const event: ExecutionEvent = {
      type,
      executionArn: record.executionArn,
      job: record.job,
      name: record.name,
      status: record.status,
      startDate: new Date(record.startDate),
      ...(record.stopDate === undefined ? {} : { stopDate: new Date(record.stopDate) }),
      ...(record.error === undefined ? {} : { error: record.error }),
      ...(record.cause === undefined ? {} : { cause: record.cause }),
    };
    // Delivered on a later turn (in order): events raised while the runtime starts (recovery)
    // reach listeners after startLocalRuntime has returned and the API is listening.
    setImmediate(() => {
      try {
        listener(event);
      } catch (error) {
        this.options.warn(`onExecutionEvent failed for ${record.executionArn}: ${String(error)}`);
      }
    });
  }

  private emitStatusChange(record: ExecutionRecord): void {
    const listener = this.options.onStatusChangeEvent;
    if (listener === undefined) return;
    const redrive = redriveStatus(record);
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: this.options.accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region,
      resources: [record.executionArn],
      detail: {
        executionArn: record.executionArn,
        stateMachineArn: record.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: Date.parse(record.startDate),
        stopDate: record.stopDate === undefined ? null : Date.parse(record.stopDate),
        input: record.input,
        output: record.output ?? null,
        inputDetails: { included: true },
        outputDetails: record.output === undefined ? null : { included: true },
        error: record.error ?? null,
        cause: record.cause ?? null,
        redriveCount: record.redriveCount,
        redriveDate: record.redriveDate === undefined ? null : Date.parse(record.redriveDate),
        redriveStatus: redrive.status,
        redriveStatusReason: redrive.reason,
      },
    };
    const pending = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      try {
        await listener(event);
      } catch (error) {
        this.options.warn(`onStatusChangeEvent failed for ${record.executionArn}: ${String(error)}`);
      }
    })();
    this.pendingCallbacks.add(pending);
    void pending.finally(() => this.pendingCallbacks.delete(pending));
  }

  /** One Task state: dispatch by Resource, with AWS's history events around it. */
  private async runTaskState(run: ActiveRun, state: StateDefinition, input: unknown): Promise<unknown> {
    const startedAt = Date.now();
    // Let the interpreter's StateEntered event reach the history first (it is delivered asynchronously).
    await new Promise((resolve) => setImmediate(resolve));
    const resource = String(state.Resource);
    const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
    // After a state timeout the interpreter has already recorded TaskTimedOut; the late failure is not news.
    const timedOut = () =>
      timeoutSeconds !== undefined && Date.now() - startedAt >= timeoutSeconds * 1000 - 20;
    const record = (type: string, details: Record<string, unknown>) => {
      if (run.active) this.options.store.appendHistory(run.executionArn, type, details);
    };
    const described = describeTaskResource(resource);

    if (described.lambdaFunction) {
      record('LambdaFunctionScheduled', {
        lambdaFunctionScheduledEventDetails: compact({
          resource,
          input: JSON.stringify(input),
          inputDetails: { truncated: false },
          timeoutInSeconds: timeoutSeconds,
        }),
      });
      record('LambdaFunctionStarted', {});
      try {
        const output = await this.options.lambda.invoke(resource, input, timeoutSeconds ?? 900);
        record('LambdaFunctionSucceeded', {
          lambdaFunctionSucceededEventDetails: {
            output: JSON.stringify(output),
            outputDetails: { truncated: false },
          },
        });
        return output;
      } catch (error) {
        const failure = asTaskError(error);
        if (!timedOut()) {
          record('LambdaFunctionFailed', {
            lambdaFunctionFailedEventDetails: { error: failure.name, cause: failure.message },
          });
        }
        throw failure;
      }
    }

    const { resourceType, resource: resourceName } = described;
    record('TaskScheduled', {
      taskScheduledEventDetails: compact({
        resourceType,
        resource: resourceName,
        region: this.options.region,
        parameters: JSON.stringify(input),
        timeoutInSeconds: timeoutSeconds,
      }),
    });
    record('TaskStarted', { taskStartedEventDetails: { resourceType, resource: resourceName } });
    try {
      const output = await this.dispatchIntegration(run, resource, input, timeoutSeconds, (submitted) =>
        record('TaskSubmitted', {
          taskSubmittedEventDetails: {
            resourceType,
            resource: resourceName,
            output: JSON.stringify(submitted),
            outputDetails: { truncated: false },
          },
        }),
      );
      record('TaskSucceeded', {
        taskSucceededEventDetails: {
          resourceType,
          resource: resourceName,
          output: JSON.stringify(output),
          outputDetails: { truncated: false },
        },
      });
      return output;
    } catch (error) {
      const failure = asTaskError(error);
      if (!timedOut()) {
        record('TaskFailed', {
          taskFailedEventDetails: {
            resourceType,
            resource: resourceName,
            error: failure.name,
            cause: failure.message,
          },
        });
      }
      throw failure;
    }
  }

  private async dispatchIntegration(
    run: ActiveRun,
    resource: string,
    input: unknown,
    timeoutSeconds: number | undefined,
    onSubmitted: (task: Record<string, unknown>) => void,
  ): Promise<unknown> {
    const integration = /^arn:aws:states:[^:]*:[^:]*:(.+)$/.exec(resource)?.[1] ?? '';
    if (integration === 'ecs:runTask.sync') {
      return this.options.ecs.runTask(input, { executionArn: run.executionArn, timeoutSeconds, onSubmitted });
    }
    if (integration === 'lambda:invoke') {
      const parameters = z
        .object({ FunctionName: z.string(), Payload: z.unknown().optional() })
        .safeParse(input);
      if (!parameters.success) {
        throw new TaskStateError(
          'Lambda.InvalidParameterValueException',
          'lambda:invoke needs Parameters.FunctionName',
        );
      }
      const functionArn = parameters.data.FunctionName.startsWith('arn:')
        ? parameters.data.FunctionName
        : `arn:aws:lambda:${this.options.region}:${this.options.accountId}:function:${parameters.data.FunctionName}`;
      const payload = await this.options.lambda.invoke(
        functionArn,
        parameters.data.Payload ?? {},
        timeoutSeconds ?? 900,
      );
      const requestId = randomUUID();
      return {
        ExecutedVersion: '$LATEST',
        Payload: payload,
        SdkHttpMetadata: { HttpStatusCode: 200 },
        SdkResponseMetadata: { RequestId: requestId },
        StatusCode: 200,
      };
    }
    const sdk = /^aws-sdk:sfn:([a-zA-Z]+)$/.exec(integration);
    if (sdk?.[1] !== undefined) {
      const action = sdk[1];
      const operation = action.charAt(0).toUpperCase() + action.slice(1);
      try {
        return toPascalCase(await this.call(operation, toCamelCaseKeys(input)));
      } catch (error) {
        if (error instanceof SfnApiError) throw new TaskStateError(`Sfn.${error.type}`, error.message);
        throw error;
      }
    }
    throw new TaskStateError(
      'States.Runtime',
      `The local runtime cannot run Resource ${resource}: supported are Lambda function ARNs, arn:aws:states:::lambda:invoke, arn:aws:states:::ecs:runTask.sync and arn:aws:states:::aws-sdk:sfn:*`,
    );
  }
}

function asTaskError(error: unknown): Error {
  if (error instanceof Error) return error;
  return new TaskStateError('States.TaskFailed', String(error));
}

function classifyFailure(error: unknown): Outcome {
  if (error instanceof ExecutionTimeoutError) {
    return {
      status: 'TIMED_OUT',
      error: 'States.Timeout',
      cause: 'The execution ran longer than its TimeoutSeconds.',
    };
  }
  if (error instanceof ExecutionAbortedError) {
    return { status: 'ABORTED' };
  }
  if (error instanceof ExecutionError && error.cause instanceof Error) {
    const cause = error.cause;
    return { status: 'FAILED', error: cause.name, cause: cause.message };
  }
  return {
    status: 'FAILED',
    error: 'States.Runtime',
    cause: error instanceof Error ? error.message : String(error),
  };
}

/** A copy of the definition ready for the interpreter: maybe a new StartAt, explicit Task timeouts. */
export function prepareDefinition(definition: Definition, startAt: string | undefined): Definition {
  const copy = structuredClone(definition);
  if (startAt !== undefined) copy.StartAt = startAt;
  for (const [, state] of indexStates(copy)) {
    if (state.Type !== 'Task') continue;
    // The interpreter puts 60 s on a Task without TimeoutSeconds; AWS has no such default.
    if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = MAX_TIMER_SECONDS;
    } else if (typeof state.TimeoutSeconds === 'number' && state.TimeoutSeconds > MAX_TIMER_SECONDS) {
      state.TimeoutSeconds = MAX_TIMER_SECONDS;
    }
  }
  return copy;
}

/**
 * Features aws-local-stepfunctions 3.x does not interpret: a definition using them would
 * run wrongly rather than fail, so the runtime refuses it at start with the reason.
 */
export function unsupportedFeatures(definition: Definition): string[] {
  const problems: string[] = [];
  if (definition.QueryLanguage === 'JSONata')
    problems.push('QueryLanguage JSONata (only JSONPath is interpreted)');
  for (const [name, state] of indexStates(definition)) {
    if (state.QueryLanguage === 'JSONata') problems.push(`state "${name}": QueryLanguage JSONata`);
    if (state.Assign !== undefined) problems.push(`state "${name}": Assign (workflow variables)`);
    const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: unknown } } | undefined;
    if (processor?.ProcessorConfig?.Mode === 'DISTRIBUTED' || state.ItemReader !== undefined) {
      problems.push(`state "${name}": Distributed Map (ItemReader / Mode DISTRIBUTED)`);
    }
  }
  return problems;
}

/** Every state by name, including those inside Map and Parallel states (the interpreter's overrides are by name). */
function indexStates(definition: { States?: unknown }): Map<string, StateDefinition> {
  const index = new Map<string, StateDefinition>();
  const visit = (machine: { States?: unknown }) => {
    const states = machine.States;
    if (states === null || typeof states !== 'object') return;
    for (const [name, value] of Object.entries(states as Record<string, unknown>)) {
      if (value === null || typeof value !== 'object') continue;
      const state = value as StateDefinition;
      if (!index.has(name)) index.set(name, state);
      for (const nested of [state.ItemProcessor, state.Iterator]) {
        if (nested !== null && typeof nested === 'object') visit(nested as { States?: unknown });
      }
      if (Array.isArray(state.Branches)) {
        for (const branch of state.Branches) if (branch !== null && typeof branch === 'object') visit(branch);
      }
    }
  };
  visit(definition);
  return index;
}

function mapLength(state: StateDefinition | undefined, input: unknown): number | undefined {
  const itemsPath = typeof state?.ItemsPath === 'string' ? state.ItemsPath : '$';
  if (!/^\$(\.[A-Za-z0-9_]+)*$/.test(itemsPath)) return undefined;
  let value: unknown = input;
  for (const key of itemsPath.split('.').slice(1)) {
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  return Array.isArray(value) ? value.length : undefined;
}

function redriveStatus(record: ExecutionRecord): {
  status: 'REDRIVABLE' | 'NOT_REDRIVABLE';
  reason?: string;
} {
  if (record.status === 'RUNNING' || record.status === 'SUCCEEDED') {
    return { status: 'NOT_REDRIVABLE', reason: `Execution is ${record.status} and cannot be redriven` };
  }
  if (record.stopDate !== undefined && Date.now() - Date.parse(record.stopDate) > REDRIVE_WINDOW_MS) {
    return {
      status: 'NOT_REDRIVABLE',
      reason: 'Execution stopped more than 14 days ago and cannot be redriven',
    };
  }
  if (record.resumeFrom === undefined) {
    return {
      status: 'NOT_REDRIVABLE',
      reason: 'Execution stopped before it entered any Task, Map or Parallel state',
    };
  }
  return { status: 'REDRIVABLE' };
}

/** AWS execution name rules: 1-80 characters, no whitespace, no control characters, none of the reserved ones. */
export function validateExecutionName(name: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what AWS forbids
  const forbidden = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
  if (name.length < 1 || name.length > 80 || forbidden.test(name)) {
    throw new SfnApiError(
      'InvalidName',
      `Invalid Name: '${name}' (1-80 characters, no whitespace and none of < > { } [ ] ? * " # % \\ ^ | ~ \` $ & , ; : /)`,
    );
  }
}

function killLeftoverTask(pid: number, container: string): void {
  try {
    // Only a process that is still this task's container program (pids are reused).
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!commandLine.includes(`${container}/main.ts`)) return;
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Runs `fn` with `new Date()` / `Date.now()` returning `instant`. Only the synchronous part
 * of `fn` sees it, which is where the interpreter builds its Context object.
 */
function withFixedClock<T>(instant: number, fn: () => T): T {
  const RealDate = Date;
  class FixedDate extends RealDate {
    constructor(...args: [] | [string | number | Date]) {
      if (args.length === 0) super(instant);
      else super(args[0]);
    }
    static override now(): number {
      return instant;
    }
  }
  globalThis.Date = FixedDate as DateConstructor;
  try {
    return fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

function epochSeconds(iso: string): number {
  return Date.parse(iso) / 1000;
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return a === b;
  }
}

function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

function withoutExecutionData(event: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(event);
  for (const value of Object.values(copy)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const details = value as Record<string, unknown>;
      delete details.input;
      delete details.output;
    }
  }
  return copy;
}

function toCamelCaseKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key.charAt(0).toLowerCase() + key.slice(1),
      item,
    ]),
  );
}

function toPascalCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPascalCase);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key.charAt(0).toUpperCase() + key.slice(1),
      toPascalCase(item),
    ]),
  );
}

const executionArnSchema = z.object({ executionArn: z.string() });
const stateMachineArnSchema = z.object({ stateMachineArn: z.string() });
const paginationSchema = z.object({
  maxResults: z.number().int().min(0).max(1000).optional(),
  nextToken: z.string().min(1).max(1024).optional(),
});
const startExecutionSchema = z.object({
  stateMachineArn: z.string(),
  name: z.string().optional(),
  input: z.string().optional(),
  traceHeader: z.string().optional(),
});
const listExecutionsSchema = paginationSchema.extend({
  stateMachineArn: z.string().optional(),
  statusFilter: z
    .enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'])
    .optional(),
  redriveFilter: z.enum(['REDRIVEN', 'NOT_REDRIVEN']).optional(),
});
const stopExecutionSchema = z.object({
  executionArn: z.string(),
  error: z.string().max(256).optional(),
  cause: z.string().max(32768).optional(),
});
const historySchema = paginationSchema.extend({
  executionArn: z.string(),
  reverseOrder: z.boolean().optional(),
  includeExecutionData: z.boolean().optional(),
});

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const messages = result.error.issues.map(
    (issue) => `Value at '${issue.path.join('.')}' failed to satisfy constraint: ${issue.message}`,
  );
  throw new SfnApiError(
    'ValidationException',
    `${messages.length} validation error${messages.length === 1 ? '' : 's'} detected: ${messages.join('; ')}`,
  );
}

/**
 * ListExecutions tokens hold the last execution shown rather than an offset, so executions
 * started while someone pages do not shift later pages (new ones sort first).
 */
function readListingToken(token: string, scope: string): ListingCursor {
  try {
    const parsed = z
      .object({ after: z.object({ startDate: z.string(), name: z.string() }), scope: z.string() })
      .parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    if (parsed.scope !== scope) throw new Error('scope');
    return parsed.after;
  } catch {
    throw new SfnApiError('InvalidToken', `Invalid Token: '${token}'`);
  }
}

/** Opaque page tokens bound to the request they continue (AWS rejects a token used elsewhere). */
function paginate<T>(
  items: T[],
  request: { maxResults?: number | undefined; nextToken?: string | undefined },
  scope: string,
): { items: T[]; nextToken?: string } {
  let offset = 0;
  if (request.nextToken !== undefined) {
    try {
      const token = z
        .object({ offset: z.number().int().min(0), scope: z.string() })
        .parse(JSON.parse(Buffer.from(request.nextToken, 'base64url').toString('utf8')));
      if (token.scope !== scope) throw new Error('scope');
      offset = token.offset;
    } catch {
      throw new SfnApiError('InvalidToken', `Invalid Token: '${request.nextToken}'`);
    }
  }
  const size = request.maxResults === undefined || request.maxResults === 0 ? 100 : request.maxResults;
  const page = items.slice(offset, offset + size);
  const next = offset + size;
  return next < items.length
    ? { items: page, nextToken: Buffer.from(JSON.stringify({ offset: next, scope })).toString('base64url') }
    : { items: page };
}
