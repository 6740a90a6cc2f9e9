import path from 'node:path';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateManualInput } from '../../cli/commands/run.ts';
import { checkExecutionInput } from '../../lib/contracts/execution-input.ts';
import { loadSchedules } from '../../lib/schedule/load.ts';
import { scheduledInput } from '../../lib/workflows/deployment.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { makeJob, sfnClient, startTestRuntime, waitForStatus } from './helpers.ts';

// The one execution-input rule (lib/contracts/execution-input.ts), seen from every way in:
// StartExecution through the SDK (the real synthesised workflow whose first state, the real
// guard Lambda, enforces it, as on AWS), batchctl run, and the schedules' own input.
describe('the execution-input rule at every entry point', () => {
  const job = makeJob('purge-old-rows', {
    container: 'batch-jobs',
    command: ['succeed'],
    defaultInput: { retentionDays: 30 },
  });
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime([{ job }], { functionsDir: path.resolve('functions') });
  });
  afterAll(async () => {
    await runtime?.close();
  });

  async function startWith(input: string) {
    const client = sfnClient(runtime.endpoint);
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: runtime.stateMachineArn(job.name), input }),
    );
    return waitForStatus(client, executionArn ?? '');
  }

  it('fails a StartExecution from the SDK whose params hold an undeclared key, naming the key', async () => {
    // Act
    const described = await startWith('{"params":{"bogus":1}}');

    // Assess
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('InvalidExecutionInput');
    expect(described.cause).toContain('params.bogus is not a parameter of purge-old-rows');
    expect(described.cause).toContain('it accepts retentionDays');
  });

  it("runs the AWS console's default input, ignoring its Comment", async () => {
    // Act
    const described = await startWith('{"Comment": "Insert your JSON here"}');

    // Assess
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output ?? '{}')).toMatchObject({ params: { retentionDays: 30 } });
  });

  it('still refuses any other unknown top-level key next to a Comment', async () => {
    // Act
    const described = await startWith('{"Comment": "rerun", "scheduledTim": "2026-11-01T00:00:00Z"}');

    // Assess
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('InvalidExecutionInput');
    expect(described.cause).toContain('unknown input key \\"scheduledTim\\"');
    expect(described.cause).toContain('Did you mean \\"scheduledTime\\"?');
  });

  it('gives batchctl run the same verdicts as the workflow', () => {
    expect(validateManualInput(job, { params: { bogus: 1 } }).problems).toEqual([
      'params.bogus is not a parameter of purge-old-rows; it accepts retentionDays (input: in schedules/purge-old-rows.yml).',
    ]);
    expect(validateManualInput(job, { Comment: 'Insert your JSON here' })).toEqual({
      input: { trigger: 'manual' },
      problems: [],
    });
  });

  it("passes every schedule's own input through the rule", async () => {
    // Prepare
    const { jobs } = await loadSchedules();

    // Act
    const problems = jobs.flatMap((scheduled) => {
      const input = { ...scheduledInput(scheduled), scheduledTime: '2026-12-01T00:00:00Z' };
      return checkExecutionInput(scheduled, input).problems.map((problem) => `${scheduled.name}: ${problem}`);
    });

    // Assess
    expect(jobs.length).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });
});
