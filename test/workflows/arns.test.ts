import { describe, expect, it } from 'vitest';
import {
  jobOfStateMachine,
  parseStepFunctionsArn,
  stateMachineArn,
  stateMachineName,
} from '../../lib/workflows/names.ts';

describe('Step Functions ARNs', () => {
  it('builds a job state machine ARN and reads its stage and job back', () => {
    const arn = stateMachineArn('ap-northeast-1', '123456789012', 'prod', 'export-monthly-records');

    expect(arn).toBe(
      `arn:aws:states:ap-northeast-1:123456789012:stateMachine:${stateMachineName('prod', 'export-monthly-records')}`,
    );
    expect(jobOfStateMachine(arn)).toEqual({ stage: 'prod', job: 'export-monthly-records' });
  });

  it('parses an execution ARN into its state machine and execution names', () => {
    expect(
      parseStepFunctionsArn(
        'arn:aws-cn:states:cn-north-1:123456789012:execution:sfn-batch-prod-purge:purge-20261201T0300Z',
      ),
    ).toEqual({
      region: 'cn-north-1',
      accountId: '123456789012',
      kind: 'execution',
      stateMachineName: 'sfn-batch-prod-purge',
      executionName: 'purge-20261201T0300Z',
    });
  });

  it('gives nothing for ARNs of other services, other projects and non-ARNs', () => {
    expect(parseStepFunctionsArn('arn:aws:lambda:ap-northeast-1:123456789012:function:x')).toBeUndefined();
    expect(parseStepFunctionsArn('not-an-arn')).toBeUndefined();
    expect(
      jobOfStateMachine('arn:aws:states:ap-northeast-1:123456789012:stateMachine:other-app'),
    ).toBeUndefined();
  });
});
