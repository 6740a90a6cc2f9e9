import { afterAll, describe, expect, it } from 'vitest';
import { type NotifyingStart, startNotifyingRuntime } from '../support/notifying-start.ts';
import { batchctl } from '../support/processes.ts';

// Slow (the whole runtime in a child process): the local runtime's status change event reaches
// the notify logic, which POSTs to a real webhook server on 127.0.0.1.
describe('npm start failure notifications', () => {
  let notifying: NotifyingStart | undefined;

  afterAll(async () => {
    await notifying?.close();
  });

  it('posts an ABORTED execution to the Slack webhook with job, status and owner', async () => {
    // Prepare: every RunTask fails with a capacity error, so the run waits in its retries until stopped.
    notifying = await startNotifyingRuntime('/services/T0/B0/local', {
      SFN_BATCH_FAULTS: '{"capacityUnavailable":1}',
    });
    const { dataDir, runtime, webhook } = notifying;
    const { posts } = webhook;

    // Act
    const started = await batchctl(dataDir, ['run', 'analyze-tables', '--name', 'analyze-tables-notify-me']);
    const stopped = await batchctl(dataDir, ['stop', 'analyze-tables-notify-me']);
    await runtime.waitWhileRunning(() => posts.length > 0);
    runtime.child.kill('SIGINT');
    await runtime.exit;

    // Assess
    expect(started.code).toBe(0);
    expect(stopped.code).toBe(0);
    expect(runtime.output).toContain('Fault injection     {"capacityUnavailable":1} from SFN_BATCH_FAULTS');
    const message = JSON.stringify(posts[0]);
    expect(message).toContain('analyze-tables ABORTED');
    expect(message).toContain('StoppedByOperator');
    expect(message).toContain('*Owner*');
    expect(message).toContain('batchctl logs analyze-tables-notify-me');
  }, 240_000);
});
