import {
  DescribeExecutionCommand,
  DescribeStateMachineForExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidArn,
  InvalidName,
  InvalidToken,
  ListExecutionsCommand,
  ListTagsForResourceCommand,
  RedriveExecutionCommand,
  ResourceNotFound,
  SFNServiceException,
  StartExecutionCommand,
  StopExecutionCommand,
  ValidationException,
} from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadApiModel } from '../../local/api/api-model.ts';
import type { Definition } from '../../local/sfn/service.ts';
import {
  ACCOUNT,
  makeJob,
  REGION,
  taskDefinition,
  useTestRuntime,
  waitForStatus,
  waitUntil,
} from '../local-runtime/helpers.ts';
import { rawCall } from './raw-http.ts';

const model = loadApiModel('stepfunctions');
const passDefinition: Definition = { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } };

/** A Map of ECS tasks, two at a time: `$.items` are commands. */
function mapOfTasks(retry?: unknown[]): Definition {
  const task =
    taskDefinition({ timeoutSeconds: 30, ...(retry === undefined ? {} : { retry }) }).States[
      'Run job task'
    ] ?? {};
  return {
    StartAt: 'Fan out',
    States: {
      'Fan out': {
        Type: 'Map',
        ItemsPath: '$.items',
        MaxConcurrency: 2,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Run job task',
          States: { 'Run job task': { ...task, End: true } },
        },
        ItemSelector: { 'command.$': '$$.Map.Item.Value' },
        End: true,
      },
    },
  };
}

/** Event types from `fromId` back along previousEventId to the MapIterationStarted, and that iteration's index. */
function chainToIterationStart(
  byId: Map<number | undefined, HistoryEvent>,
  fromId: number | undefined,
): { chain: string[]; iteration: number | undefined } {
  const chain: string[] = [];
  for (let event = byId.get(fromId ?? 0); event !== undefined; event = byId.get(event.previousEventId ?? 0)) {
    chain.push(event.type ?? '');
    if (event.type === 'MapIterationStarted') {
      return { chain, iteration: event.mapIterationStartedEventDetails?.index };
    }
  }
  return { chain, iteration: undefined };
}

/** Every member of a response is in the operation's output shape, and every required one is there. */
function expectModelledOutput(operation: string, output: Record<string, unknown>): void {
  const shape = model.shapes[model.operations[operation]?.output ?? ''];
  const members = Object.keys(shape?.members ?? {});
  const present = Object.keys(output).filter((key) => key !== '$metadata' && output[key] !== undefined);
  expect(present.filter((key) => !members.includes(key))).toEqual([]);
  expect((shape?.required ?? []).filter((key) => output[key] === undefined)).toEqual([]);
}

describe('local Step Functions API: the documented behaviours, through the unmodified SDK', () => {
  const local = useTestRuntime([
    { job: makeJob('pass'), definition: passDefinition },
    { job: makeJob('fail'), definition: taskDefinition({ timeoutSeconds: 30 }) },
    { job: makeJob('map-tasks'), definition: mapOfTasks() },
    {
      job: makeJob('map-retry'),
      definition: mapOfTasks([{ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 1, IntervalSeconds: 1 }]),
    },
    {
      job: makeJob('sdk-call'),
      definition: {
        StartAt: 'List',
        States: {
          List: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:sfn:listExecutions',
            Parameters: { 'StateMachineArn.$': '$.machine', 'MaxResults.$': '$.max' },
            End: true,
          },
        },
      },
    },
  ]);
  let passMachine: string;
  let failMachine: string;
  let mapMachine: string;

  beforeAll(() => {
    passMachine = local.runtime.stateMachineArn('pass');
    failMachine = local.runtime.stateMachineArn('fail');
    mapMachine = local.runtime.stateMachineArn('map-tasks');
  });

  /** Starts a Map of ECS tasks on `job`'s machine, one task a command of `items`; returns the execution ARN. */
  async function startMap(items: string[][], job = 'map-tasks'): Promise<string> {
    const started = await local.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: local.runtime.stateMachineArn(job),
        input: JSON.stringify({ items }),
      }),
    );
    return started.executionArn ?? '';
  }

  async function mapHistory(executionArn: string): Promise<HistoryEvent[]> {
    return (
      (await local.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? []
    );
  }

  it('refuses an ARN over 256 characters with InvalidArn, not ...DoesNotExist', async () => {
    const long = `arn:aws:states:${REGION}:${ACCOUNT}:execution:sfn-batch-test-pass:${'x'.repeat(220)}`;
    await expect(local.sfn.send(new DescribeExecutionCommand({ executionArn: long }))).rejects.toBeInstanceOf(
      InvalidArn,
    );
    await expect(
      local.sfn.send(new StartExecutionCommand({ stateMachineArn: `${passMachine}${'x'.repeat(200)}` })),
    ).rejects.toBeInstanceOf(InvalidArn);
  });

  it.each([
    ['over 256 characters', 'a'.repeat(257)],
    ['not ASCII', 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=\u00e9'],
  ])('refuses a traceHeader %s with ValidationException', async (_label, traceHeader) => {
    await expect(
      local.sfn.send(new StartExecutionCommand({ stateMachineArn: passMachine, traceHeader })),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  it.each([
    ['outside its enum', '"EVERYTHING"'],
    ['of the wrong type', '42'],
  ])('refuses includedData %s (raw HTTP: the SDK types it)', async (_label, value) => {
    const started = await local.sfn.send(new StartExecutionCommand({ stateMachineArn: passMachine }));
    const response = await rawCall(
      local.runtime.endpoint,
      'AWSStepFunctions.DescribeExecution',
      `{"executionArn": ${JSON.stringify(started.executionArn)}, "includedData": ${value}}`,
    );
    expect(response.status).toBe(400);
    expect(response.type).toBe('ValidationException');
    expect(response.message).toContain("at 'includedData'");
  });

  // Every character class the API reference forbids in a name.
  it.each([
    ...[...' \t\n\u00a0\u3000'].map((space) => [
      `white space U+${space.codePointAt(0)?.toString(16)}`,
      space,
    ]),
    ...[...'<>{}[]?*"#%\\^|~`$&,;:/'].map((special) => [`"${special}"`, special]),
    ...['\u0000', '\u001f', '\u007f', '\u0085', '\u009f'].map((control) => [
      `control U+${control.codePointAt(0)?.toString(16).padStart(4, '0')}`,
      control,
    ]),
    ['U+FFFE', '\ufffe'],
    ['U+FFFF', '\uffff'],
    ['U+10FFFF', '\u{10ffff}'],
  ])('refuses an execution name with %s as InvalidName', async (_label, character) => {
    await expect(
      local.sfn.send(
        new StartExecutionCommand({ stateMachineArn: passMachine, name: `bad${character}name` }),
      ),
    ).rejects.toBeInstanceOf(InvalidName);
  });

  it('refuses a name with a lone surrogate as InvalidName, not HTTP 500 (raw HTTP)', async () => {
    const response = await rawCall(
      local.runtime.endpoint,
      'AWSStepFunctions.StartExecution',
      `{"stateMachineArn": "${passMachine}", "name": "lone\\ud800surrogate"}`,
    );
    expect(response.status).toBe(400);
    expect(response.type).toBe('InvalidName');
  });

  it('accepts a name with a valid astral character (a surrogate pair)', async () => {
    const started = await local.sfn.send(
      new StartExecutionCommand({ stateMachineArn: passMachine, name: 'rocket-\u{1F680}' }),
    );
    expect((await waitForStatus(local.sfn, started.executionArn ?? '')).status).toBe('SUCCEEDED');
  });

  it('answers a body over 1 MiB with HTTP 413, which the SDK does not retry', async () => {
    // Raw: one request, 413 with an error type.
    const raw = await rawCall(
      local.runtime.endpoint,
      'AWSStepFunctions.StartExecution',
      JSON.stringify({ stateMachineArn: passMachine, input: JSON.stringify({ pad: 'x'.repeat(1_100_000) }) }),
    );
    expect(raw.status).toBe(413);
    expect(raw.type).toBe('RequestEntityTooLargeException');
    // SDK: fails once, no retries ($metadata.attempts is 1).
    const error = await local.sfn
      .send(
        new StartExecutionCommand({
          stateMachineArn: passMachine,
          input: JSON.stringify({ pad: 'x'.repeat(1_100_000) }),
        }),
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SFNServiceException);
    const metadata = (error as SFNServiceException).$metadata;
    expect(metadata.httpStatusCode).toBe(413);
    expect(metadata.attempts).toBe(1);
  });

  it('refuses ListExecutions with both stateMachineArn and mapRunArn, or neither', async () => {
    const mapRunArn = `arn:aws:states:${REGION}:${ACCOUNT}:mapRun:sfn-batch-test-pass/Map:0123`;
    await expect(
      local.sfn.send(new ListExecutionsCommand({ stateMachineArn: passMachine, mapRunArn })),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(local.sfn.send(new ListExecutionsCommand({}))).rejects.toBeInstanceOf(ValidationException);
  });

  it('refuses the PENDING_REDRIVE status filter with a stateMachineArn', async () => {
    await expect(
      local.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: passMachine, statusFilter: 'PENDING_REDRIVE' }),
      ),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  it('answers a Map Run ARN that does not exist with ResourceNotFound, a malformed one with InvalidArn', async () => {
    const mapRunArn = `arn:aws:states:${REGION}:${ACCOUNT}:mapRun:sfn-batch-test-pass/Map:0123`;
    await expect(local.sfn.send(new ListExecutionsCommand({ mapRunArn }))).rejects.toBeInstanceOf(
      ResourceNotFound,
    );
    await expect(
      local.sfn.send(new ListExecutionsCommand({ mapRunArn: 'arn:aws:states:nope' })),
    ).rejects.toBeInstanceOf(InvalidArn);
  });

  it('answers ListTagsForResource on a missing state machine with ResourceNotFound', async () => {
    await expect(
      local.sfn.send(new ListTagsForResourceCommand({ resourceArn: `${passMachine}-missing` })),
    ).rejects.toBeInstanceOf(ResourceNotFound);
    const tags = await local.sfn.send(new ListTagsForResourceCommand({ resourceArn: passMachine }));
    expect(tags.tags).toContainEqual({ key: 'job', value: 'pass' });
  });

  it('describes the state machine of an execution exactly as DescribeStateMachineForExecutionOutput', async () => {
    const started = await local.sfn.send(new StartExecutionCommand({ stateMachineArn: passMachine }));
    const described = await local.sfn.send(
      new DescribeStateMachineForExecutionCommand({ executionArn: started.executionArn }),
    );
    expect(described.updateDate).toBeInstanceOf(Date);
    expect(described.stateMachineArn).toBe(passMachine);
    expectModelledOutput('DescribeStateMachineForExecution', { ...described });
  });

  it('starts idempotently: the same name and input while RUNNING returns the first response', async () => {
    const request = {
      stateMachineArn: mapMachine,
      name: 'idempotent-start',
      input: JSON.stringify({ items: [['sleep', '60000']] }),
    };
    const first = await local.sfn.send(new StartExecutionCommand(request));
    const second = await local.sfn.send(new StartExecutionCommand(request));
    expect(second.executionArn).toBe(first.executionArn);
    expect(second.startDate).toEqual(first.startDate);
    await expect(
      local.sfn.send(new StartExecutionCommand({ ...request, input: JSON.stringify({ items: [] }) })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await local.sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
    await expect(local.sfn.send(new StartExecutionCommand(request))).rejects.toBeInstanceOf(
      ExecutionAlreadyExists,
    );
  });

  it('redrives once per clientToken: a repeated token returns the first response', async () => {
    const started = await local.sfn.send(
      new StartExecutionCommand({ stateMachineArn: failMachine, input: '{"command":["exit","3"]}' }),
    );
    await waitForStatus(local.sfn, started.executionArn ?? '');
    const first = await local.sfn.send(
      new RedriveExecutionCommand({ executionArn: started.executionArn, clientToken: 'token-1' }),
    );
    await waitForStatus(local.sfn, started.executionArn ?? '');
    const again = await local.sfn.send(
      new RedriveExecutionCommand({ executionArn: started.executionArn, clientToken: 'token-1' }),
    );
    expect(again.redriveDate).toEqual(first.redriveDate);
    const described = await local.sfn.send(
      new DescribeExecutionCommand({ executionArn: started.executionArn }),
    );
    expect(described.redriveCount).toBe(1);
    const other = await local.sfn.send(
      new RedriveExecutionCommand({ executionArn: started.executionArn, clientToken: 'token-2' }),
    );
    expect(other.redriveDate?.getTime()).toBeGreaterThan(first.redriveDate?.getTime() ?? 0);
    await expect(
      local.sfn.send(
        new RedriveExecutionCommand({ executionArn: started.executionArn, clientToken: 'bad token' }),
      ),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  it('pages 100 items by default and at most 1000; maxResults 0 means the default', async () => {
    await Promise.all(
      Array.from({ length: 101 }, (_, index) =>
        local.sfn.send(new StartExecutionCommand({ stateMachineArn: passMachine, name: `page-${index}` })),
      ),
    );
    const byDefault = await local.sfn.send(new ListExecutionsCommand({ stateMachineArn: passMachine }));
    expect(byDefault.executions).toHaveLength(100);
    expect(byDefault.nextToken).toBeDefined();
    const zero = await local.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: passMachine, maxResults: 0 }),
    );
    expect(zero.executions).toHaveLength(100);
    const all = await local.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: passMachine, maxResults: 1000 }),
    );
    expect(all.executions?.length).toBeGreaterThan(100);
    await expect(
      local.sfn.send(new ListExecutionsCommand({ stateMachineArn: passMachine, maxResults: 1001 })),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  it('leaves input and output out of the history with includeExecutionData false', async () => {
    const started = await local.sfn.send(
      new StartExecutionCommand({ stateMachineArn: passMachine, input: '{"secret":1}' }),
    );
    await waitForStatus(local.sfn, started.executionArn ?? '');
    const full = await local.sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
    const bare = await local.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: started.executionArn, includeExecutionData: false }),
    );
    expect(JSON.stringify(full.events)).toContain('secret');
    expect(JSON.stringify(bare.events)).not.toContain('secret');
    expect(bare.events?.map((event) => event.type)).toEqual(full.events?.map((event) => event.type));
  });

  it('links a Map run by cause and writes MapIterationAborted / MapStateAborted when it is stopped', async () => {
    // Prepare: 3 long tasks, 2 at a time.
    const executionArn = await startMap([
      ['sleep', '60000'],
      ['sleep', '60000'],
      ['sleep', '60000'],
    ]);
    const history = () => mapHistory(executionArn);
    let events: HistoryEvent[] = [];
    await waitUntil(() => {
      void history().then((latest) => {
        events = latest;
      });
      return events.filter((event) => event.type === 'TaskSubmitted').length === 2;
    });
    // Act
    await local.sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped' }));
    events = await history();
    // Assess
    const byId = new Map(events.map((event) => [event.id, event]));
    const types = events.map((event) => event.type);
    expect(types.filter((type) => type === 'MapIterationAborted')).toHaveLength(2);
    expect(types.filter((type) => type === 'TaskStateAborted')).toHaveLength(2);
    expect(types.slice(-2)).toEqual(['MapStateAborted', 'ExecutionAborted']);
    const mapStarted = events.find((event) => event.type === 'MapStateStarted');
    for (const event of events.filter((item) => item.type === 'MapIterationStarted')) {
      expect(event.previousEventId).toBe(mapStarted?.id);
    }
    for (const aborted of events.filter((event) => event.type === 'MapIterationAborted')) {
      const index = aborted.mapIterationAbortedEventDetails?.index;
      // The iteration's own chain: aborted ← TaskStateAborted ← TaskSubmitted ← TaskStarted ← TaskScheduled ← TaskStateEntered ← MapIterationStarted.
      const { chain, iteration } = chainToIterationStart(byId, aborted.previousEventId);
      expect(iteration).toBe(index);
      expect(chain).toEqual([
        'TaskStateAborted',
        'TaskSubmitted',
        'TaskStarted',
        'TaskScheduled',
        'TaskStateEntered',
        'MapIterationStarted',
      ]);
    }
    expect(events.at(-1)?.previousEventId).toBe(events.at(-2)?.id);
  });

  it('aborts the other running iterations when one fails the Map, linking them to the failure', async () => {
    const executionArn = await startMap([
      ['sleep', '60000'],
      ['exit', '4'],
    ]);
    const described = await waitForStatus(local.sfn, executionArn);
    const events = await mapHistory(executionArn);
    expect(described.status).toBe('FAILED');
    const failedIteration = events.find((event) => event.type === 'MapIterationFailed');
    const aborted = events.find((event) => event.type === 'MapIterationAborted');
    const mapFailed = events.find((event) => event.type === 'MapStateFailed');
    expect(failedIteration?.mapIterationFailedEventDetails?.index).toBe(1);
    expect(aborted?.mapIterationAbortedEventDetails).toEqual({ name: 'Fan out', index: 0 });
    // Both follow the event that failed iteration 1 (its TaskFailed), as AWS links a Map failure.
    const cause = events.find((event) => event.id === failedIteration?.previousEventId);
    expect(cause?.type).toBe('TaskFailed');
    expect(aborted?.previousEventId).toBe(cause?.id);
    expect(mapFailed?.previousEventId).toBe(cause?.id);
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionFailed', previousEventId: mapFailed?.id });
  });

  it('validates aws-sdk:sfn task requests as the API does (Sfn.ValidationException)', async () => {
    const machine = local.runtime.stateMachineArn('sdk-call');
    const run = async (max: number) => {
      const started = await local.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: machine,
          input: JSON.stringify({ machine: passMachine, max }),
        }),
      );
      return waitForStatus(local.sfn, started.executionArn ?? '');
    };
    expect((await run(5)).status).toBe('SUCCEEDED');
    const refused = await run(5000);
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toBe('Sfn.ValidationException');
    expect(refused.cause).toContain("at 'maxResults' failed to satisfy constraint");
  });

  it('keeps a retried task in its own iteration while another iteration enters the same state', async () => {
    const executionArn = await startMap(
      [
        ['exit', '1'],
        ['sleep', '400'],
      ],
      'map-retry',
    );
    await waitForStatus(local.sfn, executionArn);
    const events = await mapHistory(executionArn);
    const byId = new Map(events.map((event) => [event.id, event]));
    const failed = events.find((event) => event.type === 'MapIterationFailed');
    expect(failed?.mapIterationFailedEventDetails?.index).toBe(0);
    const { chain, iteration } = chainToIterationStart(byId, failed?.previousEventId);
    expect(iteration).toBe(0);
    const attempt = ['TaskFailed', 'TaskSubmitted', 'TaskStarted', 'TaskScheduled'];
    expect(chain).toEqual([...attempt, ...attempt, 'TaskStateEntered', 'MapIterationStarted']);
  });

  it('refuses a page token used with other arguments than the request that returned it (InvalidToken)', async () => {
    await Promise.all(
      ['token-a', 'token-b'].map((name) =>
        local.sfn.send(new StartExecutionCommand({ stateMachineArn: passMachine, name })),
      ),
    );
    const page = await local.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: passMachine, maxResults: 1 }),
    );
    expect(page.nextToken).toBeDefined();
    await expect(
      local.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: passMachine,
          statusFilter: 'FAILED',
          nextToken: page.nextToken,
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidToken);
    await expect(
      local.sfn.send(new ListExecutionsCommand({ stateMachineArn: passMachine, nextToken: 'not-a-token' })),
    ).rejects.toBeInstanceOf(InvalidToken);
  });
});
