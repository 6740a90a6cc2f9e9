import path from 'node:path';
import { GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import type { FaultInjectionConfig } from '../../local/runtime.ts';
import { makeJob, runtimesPerTest, sfnClient, waitForStatus } from './helpers.ts';

// The real scheduled-task definition (statemachines/scheduled-task.asl.yml, synthesised from the
// JobSpec) with the real duplicate-start guard Lambda; the container is a test stand-in.
describe('the scheduled-task workflow on the local runtime', () => {
  const startRuntime = runtimesPerTest();

  async function start(command: string[], faults: FaultInjectionConfig = {}) {
    const job = makeJob('nightly-report', {
      container: 'batch-jobs',
      command,
      retry: { maxAttempts: 6, intervalSeconds: 1, backoffRate: 1, retryOnJobFailure: false },
    });
    const runtime = await startRuntime([{ job }], { faults, functionsDir: path.resolve('functions') });
    const client = sfnClient(runtime.endpoint);
    const stateMachineArn = runtime.stateMachineArn('nightly-report');
    const run = async (name?: string) =>
      (
        await client.send(
          new StartExecutionCommand({
            stateMachineArn,
            name,
            input: JSON.stringify({ scheduledTime: '2026-11-21T18:00:00Z', trigger: 'schedule' }),
          }),
        )
      ).executionArn ?? '';
    const history = async (executionArn: string) =>
      (await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
    return { client, run, history };
  }

  it('retries injected provisioning failures until the task runs', async () => {
    // Prepare
    const { client, run, history } = await start(['succeed'], {
      capacityUnavailable: 0.3,
      resourceInitializationError: 0.3,
      seed: 180, // draws: capacity error, capacity error, TaskFailedToStart, then a clean start
    });
    // Act
    const executionArn = await run();
    const described = await waitForStatus(client, executionArn);
    // Assess
    expect(described.status).toBe('SUCCEEDED');
    const events = await history(executionArn);
    const failures = events.flatMap((event) =>
      event.taskFailedEventDetails === undefined ? [] : [event.taskFailedEventDetails],
    );
    expect(failures.map((failure) => failure.error)).toContain('ECS.AmazonECSException');
    expect(failures.some((failure) => failure.cause?.includes('"StopCode":"TaskFailedToStart"'))).toBe(true);
    expect(events.filter((event) => event.type === 'TaskSucceeded')).toHaveLength(1);
    const output = JSON.parse(described.output ?? '{}');
    expect(output).toMatchObject({ job: 'nightly-report', decision: 'run' });
    expect(output.attempts).toBeGreaterThan(1);
  });

  it('fails a job whose container exits non-zero without retrying it', async () => {
    // Prepare
    const { client, run, history } = await start(['exit', '1']);
    // Act
    const executionArn = await run();
    const described = await waitForStatus(client, executionArn);
    // Assess
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('JobFailed');
    expect(described.cause).toContain('exited with code 1');
    const events = await history(executionArn);
    expect(events.filter((event) => event.type === 'TaskScheduled')).toHaveLength(1);
  });

  it('skips a start while another execution of the job runs', async () => {
    // Prepare
    const { client, run } = await start(['sleep', '2000']);
    const first = await run('first-start');
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Act
    const second = await run('second-start');
    const skipped = await waitForStatus(client, second);
    const ran = await waitForStatus(client, first);
    // Assess
    expect(skipped.status).toBe('SUCCEEDED');
    expect(JSON.parse(skipped.output ?? '{}')).toMatchObject({
      decision: 'skip',
      blockingExecutionArn: first,
    });
    expect(ran.status).toBe('SUCCEEDED');
    expect(JSON.parse(ran.output ?? '{}')).toMatchObject({ decision: 'run' });
  });
});
