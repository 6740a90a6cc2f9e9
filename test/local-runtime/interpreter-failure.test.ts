import { GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { makeJob, runtimesPerTest, sfnClient, taskDefinition, waitForStatus } from './helpers.ts';

describe('a failure inside the interpreter', () => {
  const startRuntime = runtimesPerTest();

  it('ends an execution whose input is nested 20,000 deep as FAILED with States.Runtime within seconds', async () => {
    // Prepare: 40 KB, well under the 256 KiB quota; the interpreter throws a RangeError on it.
    const runtime = await startRuntime([{ job: makeJob('run-task'), definition: taskDefinition() }]);
    const client = sfnClient(runtime.endpoint);
    const input = `{"params":{"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`;
    const startedAt = Date.now();

    // Act
    const started = await client.send(
      new StartExecutionCommand({
        stateMachineArn: 'arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-test-run-task',
        name: 'deeply-nested',
        input,
      }),
    );
    const described = await waitForStatus(client, started.executionArn ?? '', 5_000);

    // Assess
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('States.Runtime');
    expect(described.cause).toContain('RangeError: Maximum call stack size exceeded');
    const history = await client.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn }));
    const types = history.events?.map((event) => event.type);
    expect(types?.[0]).toBe('ExecutionStarted');
    expect(types?.at(-1)).toBe('ExecutionFailed');
    expect(history.events?.at(-1)?.executionFailedEventDetails).toMatchObject({ error: 'States.Runtime' });
  });
});
