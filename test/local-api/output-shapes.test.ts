import { describe, expect, it } from 'vitest';
import { loadApiModel } from '../../local/api/api-model.ts';
import { makeJob, taskDefinition, useTestRuntime } from '../local-runtime/helpers.ts';
import { outputProblems } from './output-shape.ts';
import { rawCall } from './raw-http.ts';

const sfnModel = loadApiModel('stepfunctions');
const ecsModel = loadApiModel('ecs');

describe('every response is exactly its modelled output shape', () => {
  const local = useTestRuntime([
    { job: makeJob('run-task'), definition: taskDefinition({ timeoutSeconds: 30 }) },
  ]);

  async function sfn(operation: string, body: Record<string, unknown>) {
    const response = await rawCall(
      local.runtime.endpoint,
      `AWSStepFunctions.${operation}`,
      JSON.stringify(body),
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(outputProblems(sfnModel, operation, response.body)).toEqual([]);
    return response.body;
  }

  async function ecs(operation: string, body: Record<string, unknown>) {
    const response = await rawCall(
      local.runtime.endpoint,
      `AmazonEC2ContainerServiceV20141113.${operation}`,
      JSON.stringify(body),
      '1.1',
    );
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(outputProblems(ecsModel, operation, response.body)).toEqual([]);
    return response.body;
  }

  it('the checker itself reports extra and missing members (the old DescribeStateMachineForExecution)', () => {
    const before = { stateMachineArn: 'a', name: 'n', definition: '{}', roleArn: 'r', status: 'ACTIVE' };
    expect(outputProblems(sfnModel, 'DescribeStateMachineForExecution', before)).toEqual([
      'DescribeStateMachineForExecution.status: not a member of DescribeStateMachineForExecutionOutput',
      'DescribeStateMachineForExecution.updateDate: required by DescribeStateMachineForExecutionOutput, missing',
    ]);
  });

  it('Step Functions and ECS operations, around a task that is stopped mid-run', async () => {
    const stateMachineArn = local.runtime.stateMachineArn('run-task');
    const started = await sfn('StartExecution', { stateMachineArn, input: '{"command":["sleep","60000"]}' });
    const executionArn = String(started.executionArn);
    let taskArns: string[] = [];
    while (taskArns.length === 0) {
      taskArns = (await ecs('ListTasks', { cluster: 'sfn-batch-test' })).taskArns as string[];
    }
    await ecs('DescribeTasks', { cluster: 'sfn-batch-test', tasks: taskArns, include: ['TAGS'] });
    await ecs('StopTask', { cluster: 'sfn-batch-test', task: taskArns[0], reason: 'shape test' });
    let status = 'RUNNING';
    while (status === 'RUNNING') status = String((await sfn('DescribeExecution', { executionArn })).status);
    await ecs('DescribeTasks', { cluster: 'sfn-batch-test', tasks: taskArns });
    await ecs('ListTaskDefinitions', {});
    await ecs('DescribeTaskDefinition', { taskDefinition: 'sfn-batch-test-batch-jobs', include: ['TAGS'] });
    await sfn('ListExecutions', { stateMachineArn });
    await sfn('GetExecutionHistory', { executionArn });
    await sfn('GetExecutionHistory', { executionArn, includeExecutionData: false });
    await sfn('ListStateMachines', {});
    await sfn('DescribeStateMachine', { stateMachineArn });
    await sfn('DescribeStateMachineForExecution', { executionArn });
    await sfn('ListTagsForResource', { resourceArn: stateMachineArn });
    await sfn('RedriveExecution', { executionArn });
    await sfn('StopExecution', { executionArn });
  });
});
