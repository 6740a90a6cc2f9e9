// The in-process Lambdas' Powertools logs locally: WARN and up by default (no INFO JSON in the
// terminal of npm start or in test output), the user's POWERTOOLS_LOG_LEVEL when set. The
// real scheduled-task workflow and guard Lambda, which logs its decision at INFO.
import path from 'node:path';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REPO } from '../support/processes.ts';
import { makeJob, sfnClient, startTestRuntime, waitForStatus } from './helpers.ts';

/** Runs one execution of a guarded job in a fresh runtime and returns what the process printed on stdout. */
async function stdoutOfOneRun(name: string): Promise<string> {
  const printed: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk, ...rest) => {
    printed.push(String(chunk));
    return write(chunk, ...(rest as []));
  });
  const runtime = await startTestRuntime(
    [{ job: makeJob(name, { container: 'batch-jobs', concurrency: 'forbid' }) }],
    {
      functionsDir: path.join(REPO, 'functions'),
    },
  );
  try {
    const { executionArn = '' } = await sfnClient(runtime.endpoint).send(
      new StartExecutionCommand({ stateMachineArn: runtime.stateMachineArn(name), name: `${name}-run` }),
    );
    expect((await waitForStatus(sfnClient(runtime.endpoint), executionArn, 30_000)).status).toBe('SUCCEEDED');
  } finally {
    await runtime.close();
    spy.mockRestore();
  }
  return printed.join('');
}

describe('Powertools log level of the local Lambdas', () => {
  let saved: string | undefined;
  beforeEach(() => {
    // As a user's shell: vitest.config.ts sets WARN for the test process, which would hide the runtime's own default.
    saved = process.env.POWERTOOLS_LOG_LEVEL;
    delete process.env.POWERTOOLS_LOG_LEVEL;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = saved;
  });

  it('prints no INFO lines of the guard Lambda when POWERTOOLS_LOG_LEVEL is not set', async () => {
    // Act
    const printed = await stdoutOfOneRun('quiet-logs');

    // Assess
    expect(printed).not.toContain('"level":"INFO"');
    expect(process.env.POWERTOOLS_LOG_LEVEL).toBe('WARN');
  }, 60_000);

  it("prints the guard's INFO decision line when the user sets POWERTOOLS_LOG_LEVEL=INFO", async () => {
    // Prepare
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';

    // Act
    const printed = await stdoutOfOneRun('chatty-logs');

    // Assess
    expect(printed).toMatch(/"level":"INFO","message":"duplicate-start decision"/);
  }, 60_000);
});
