import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiModel, loadApiModel } from '../../local/api/api-model.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import {
  lambdaDefinition,
  makeJob,
  sfnClient,
  startTestRuntime,
  waitForStatus,
} from '../local-runtime/helpers.ts';
import { rawCall } from './raw-http.ts';

const model = loadApiModel('stepfunctions');
const MISSING = Symbol('missing');

/**
 * The error AWS answers when a member breaks a model constraint (length, pattern, enum,
 * type, range): the member's own error where the operation lists it, else
 * ValidationException. Written by hand from the model's error lists, so the test
 * checks the runtime's choice rather than repeating it.
 */
const EXPECTED_ERROR: Record<string, string> = {
  'StartExecution.stateMachineArn': 'InvalidArn',
  'StartExecution.name': 'InvalidName',
  'StartExecution.input': 'InvalidExecutionInput',
  'StartExecution.traceHeader': 'ValidationException',
  'DescribeExecution.executionArn': 'InvalidArn',
  'DescribeExecution.includedData': 'ValidationException',
  'ListExecutions.stateMachineArn': 'InvalidArn',
  'ListExecutions.statusFilter': 'ValidationException',
  'ListExecutions.maxResults': 'ValidationException',
  'ListExecutions.nextToken': 'InvalidToken',
  'ListExecutions.mapRunArn': 'InvalidArn',
  'ListExecutions.redriveFilter': 'ValidationException',
  'StopExecution.executionArn': 'InvalidArn',
  'StopExecution.error': 'ValidationException',
  'StopExecution.cause': 'ValidationException',
  'GetExecutionHistory.executionArn': 'InvalidArn',
  'GetExecutionHistory.maxResults': 'ValidationException',
  'GetExecutionHistory.reverseOrder': 'ValidationException',
  'GetExecutionHistory.nextToken': 'InvalidToken',
  'GetExecutionHistory.includeExecutionData': 'ValidationException',
  'RedriveExecution.executionArn': 'InvalidArn',
  'RedriveExecution.clientToken': 'ValidationException',
  'ListStateMachines.maxResults': 'ValidationException',
  'ListStateMachines.nextToken': 'InvalidToken',
  'DescribeStateMachine.stateMachineArn': 'InvalidArn',
  'DescribeStateMachine.includedData': 'ValidationException',
  'DescribeStateMachineForExecution.executionArn': 'InvalidArn',
  'DescribeStateMachineForExecution.includedData': 'ValidationException',
  'ListTagsForResource.resourceArn': 'InvalidArn',
};

/** A missing required member: ValidationException where listed, else the member's own error. */
const EXPECTED_WHEN_MISSING: Record<string, string> = {
  StartExecution: 'ValidationException',
  DescribeExecution: 'InvalidArn',
  StopExecution: 'ValidationException',
  GetExecutionHistory: 'InvalidArn',
  RedriveExecution: 'ValidationException',
  DescribeStateMachine: 'InvalidArn',
  DescribeStateMachineForExecution: 'InvalidArn',
  ListTagsForResource: 'InvalidArn',
};

/** A value breaking each model pattern (the test fails for a pattern it has none for). */
const BREAKS_PATTERN: Record<string, string> = {
  '\\p{ASCII}*': 'caf\u00e9',
  '[!-~]+': 'has space',
};

interface Case {
  operation: string;
  member: string;
  label: string;
  value: unknown;
  expected: string;
}

/** Every constraint of every member of every implemented operation, from the model. */
function modelCases(
  apiModel: ApiModel,
  expectedError: (operation: string, member: string) => string | undefined,
  expectedWhenMissing: (operation: string) => string | undefined,
): Case[] {
  const cases: Case[] = [];
  for (const [operation, definition] of Object.entries(apiModel.operations)) {
    const input = apiModel.shapes[definition.input ?? ''];
    for (const [member, ref] of Object.entries(input?.members ?? {})) {
      const shape = apiModel.shapes[ref.shape];
      if (shape === undefined) throw new Error(`no shape ${ref.shape}`);
      const expected = expectedError(operation, member);
      if (expected === undefined) throw new Error(`no expected error for ${operation}.${member}`);
      const add = (label: string, value: unknown, error = expected) =>
        cases.push({ operation, member, label, value, expected: error });
      if (input?.required?.includes(member)) {
        add('missing', MISSING, expectedWhenMissing(operation) ?? 'missing expectation');
      }
      if (shape.type === 'string') {
        add('a number instead of a string', 42);
        if (shape.max !== undefined) add(`${shape.max + 1} characters`, 'x'.repeat(shape.max + 1));
        if (shape.min !== undefined && shape.min > 0) add('empty', '');
        if (shape.pattern !== undefined) {
          const breaking = BREAKS_PATTERN[shape.pattern];
          if (breaking === undefined) throw new Error(`BREAKS_PATTERN has no ${shape.pattern}`);
          add(`not matching ${shape.pattern}`, breaking);
        }
        if (shape.enum !== undefined) add('outside the enum', 'NOT_A_VALUE');
      } else if (shape.type === 'integer' || shape.type === 'long') {
        add('a string instead of an integer', '10');
        add('a fraction', 1.5);
        if (shape.max !== undefined) add(`over ${shape.max}`, shape.max + 1);
        if (shape.min !== undefined) add(`under ${shape.min}`, shape.min - 1);
      } else if (shape.type === 'boolean') {
        add('a string instead of a boolean', 'true');
      } else if (shape.type === 'list') {
        add('a string instead of a list', 'x');
        const item = apiModel.shapes[shape.member?.shape ?? ''];
        add('a list with a number item', [42]);
        if (item?.enum !== undefined) add('a list item outside the enum', ['NOT_A_VALUE']);
      } else {
        throw new Error(`no cases for ${shape.type} member ${operation}.${member}`);
      }
    }
  }
  return cases;
}

const sfnCases = () =>
  modelCases(
    model,
    (operation, member) => EXPECTED_ERROR[`${operation}.${member}`],
    (operation) => EXPECTED_WHEN_MISSING[operation],
  );

describe('local Step Functions API validates every request against the AWS service model', () => {
  let runtime: LocalRuntime;
  let machine: string;
  let execution: string;

  beforeAll(async () => {
    runtime = await startTestRuntime([{ job: makeJob('call-lambda'), definition: lambdaDefinition('echo') }]);
    machine = runtime.stateMachineArn('call-lambda');
    const client = sfnClient(runtime.endpoint);
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn: machine, name: 'valid', input: '{"value":1}' }),
    );
    execution = started.executionArn ?? '';
    await waitForStatus(client, execution);
  });

  afterAll(async () => {
    await runtime?.close();
  });

  /** A request that is valid except for the member under test. */
  function validRequest(operation: string): Record<string, unknown> {
    switch (operation) {
      case 'StartExecution':
        return { stateMachineArn: machine, name: `v-${Math.random().toString(36).slice(2)}`, input: '{}' };
      case 'ListExecutions':
        return { stateMachineArn: machine };
      case 'ListStateMachines':
        return {};
      case 'DescribeStateMachine':
        return { stateMachineArn: machine };
      case 'ListTagsForResource':
        return { resourceArn: machine };
      default:
        return { executionArn: execution };
    }
  }

  it('has a case for every constrained member of every implemented operation', () => {
    const cases = sfnCases();
    const covered = new Set(cases.map((item) => `${item.operation}.${item.member}`));
    expect([...covered].sort()).toEqual(Object.keys(EXPECTED_ERROR).sort());
    expect(cases.length).toBeGreaterThan(80);
  });

  it.each(sfnCases().map((item) => [`${item.operation} ${item.member}: ${item.label}`, item] as const))(
    '%s → HTTP 400 with the operation’s error',
    async (_name, item) => {
      // Prepare
      const body = validRequest(item.operation);
      if (item.value === MISSING) delete body[item.member];
      else body[item.member] = item.value;
      if (item.operation === 'ListExecutions' && item.member === 'mapRunArn') delete body.stateMachineArn;
      // Act
      const response = await rawCall(
        runtime.endpoint,
        `AWSStepFunctions.${item.operation}`,
        JSON.stringify(body),
      );
      // Assess
      expect(response.status).toBe(400);
      expect(response.type).toBe(item.expected);
      expect([...(model.operations[item.operation]?.errors ?? []), 'ValidationException']).toContain(
        response.type,
      );
      expect(response.message).toMatch(
        item.value === MISSING
          ? new RegExp(`at '${item.member}' failed to satisfy constraint: Member must not be null`)
          : new RegExp(`at '${item.member}' failed to satisfy constraint`),
      );
    },
  );

  it('accepts the valid request of every operation (so each case above fails for its one member)', async () => {
    for (const operation of Object.keys(model.operations)) {
      const response = await rawCall(
        runtime.endpoint,
        `AWSStepFunctions.${operation}`,
        JSON.stringify(validRequest(operation)),
      );
      const allowed = operation === 'RedriveExecution' ? [200, 400] : [200];
      expect(allowed, `${operation}: ${JSON.stringify(response.body)}`).toContain(response.status);
      if (response.status === 400) expect(response.type).toBe('ExecutionNotRedrivable');
    }
  });

  it('refuses a body that is not a JSON object with a 400, never a 500', async () => {
    for (const body of ['[]', '"text"', 'null', '42', '{"stateMachineArn": {"nested": true}}', '{bad json']) {
      const response = await rawCall(runtime.endpoint, 'AWSStepFunctions.StartExecution', body);
      expect(response.status, body).toBe(400);
    }
  });
});

describe('local ECS API validates every request against the AWS service model', () => {
  const ecsModel = loadApiModel('ecs');
  // ECS lists InvalidParameterException for every implemented operation.
  const cases = modelCases(
    ecsModel,
    () => 'InvalidParameterException',
    () => 'InvalidParameterException',
  );
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime([{ job: makeJob('call-lambda'), definition: lambdaDefinition('echo') }]);
  });

  afterAll(async () => {
    await runtime?.close();
  });

  const validRequest: Record<string, Record<string, unknown>> = {
    ListTasks: { cluster: 'sfn-batch-test' },
    DescribeTasks: { cluster: 'sfn-batch-test', tasks: ['f'.repeat(32)] },
    StopTask: { cluster: 'sfn-batch-test', task: 'f'.repeat(32) },
    ListTaskDefinitions: {},
    DescribeTaskDefinition: { taskDefinition: 'sfn-batch-test-batch-jobs' },
  };

  it.each(cases.map((item) => [`${item.operation} ${item.member}: ${item.label}`, item] as const))(
    '%s → HTTP 400 InvalidParameterException',
    async (_name, item) => {
      const body = { ...validRequest[item.operation] };
      if (item.value === MISSING) delete body[item.member];
      else body[item.member] = item.value;
      const response = await rawCall(
        runtime.endpoint,
        `AmazonEC2ContainerServiceV20141113.${item.operation}`,
        JSON.stringify(body),
        '1.1',
      );
      expect(response.status).toBe(400);
      expect(response.type).toBe(item.expected);
      expect(ecsModel.operations[item.operation]?.errors).toContain(response.type);
    },
  );
});
