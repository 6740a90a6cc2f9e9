import { ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { makeJob, runtimesPerTest, sfnClient, taskDefinition } from './helpers.ts';

describe('a failure inside the interpreter', () => {
  const startRuntime = runtimesPerTest();

  it('refuses an input nested 20,000 deep at StartExecution, so no execution is created', async () => {
    // Prepare: 40 KB, well under the 256 KiB quota.
    const runtime = await startRuntime([{ job: makeJob('run-task'), definition: taskDefinition() }]);
    const client = sfnClient(runtime.endpoint);
    const input = `{"params":{"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`;

    // Act: since the bad input catalogue (issue 12) the API refuses such input before an
    // execution exists (the interpreter used to throw a RangeError on it, and 5,000 deep
    // crashed the process); a failure thrown inside the interpreter still ends the
    // execution FAILED with States.Runtime (local/sfn/service.ts), but no input reaches it now.
    const start = client.send(
      new StartExecutionCommand({
        stateMachineArn: 'arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-test-run-task',
        name: 'deeply-nested',
        input,
      }),
    );

    // Assess
    await expect(start).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(start).rejects.toThrow(
      /nests lists or objects 20002 levels deep; the local runtime accepts at most 1000/,
    );
    const listed = await client.send(
      new ListExecutionsCommand({
        stateMachineArn: 'arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-test-run-task',
      }),
    );
    expect(listed.executions ?? []).toEqual([]);
  });
});
