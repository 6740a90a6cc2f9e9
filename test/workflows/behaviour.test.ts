import { describe, expect, it } from 'vitest';
import type { GuardDecision } from '#lib/contracts/execution-input.ts';
import type { EnqueueExportsOutput, ExportBatchDescriptor } from '#lib/contracts/export.ts';
import { PROVISIONING_FAILURES, provisioningFailures } from '#lib/contracts/provisioning-failures.ts';
import { loadJobSpecs } from '#lib/schedule/load.ts';
import { localSynthesisContext, synthesizeDefinition } from '#lib/workflows/synthesize.ts';
import { FaultPicker } from '#local/ecs/faults.ts';
import { makeExportJob, makeTaskJob } from '../support/job-spec.ts';
import {
  PROVISIONING_FAILURE_EXAMPLES,
  readTaskInput,
  runTaskApiError,
  stoppedTask,
  stops,
  taskFailed,
} from './fake-ecs.ts';
import { runLocally } from './local-run.ts';

// Behaviour of the synthesised definitions in aws-local-stepfunctions, with local
// functions standing in for ECS and the Lambdas. Wait and Retry pauses are zeroed.

const context = localSynthesisContext('test');
const GUARD = 'Check for a running duplicate';
const RUN = 'Run job task';

/** What the enqueue Lambda returns for one batch of one target. */
const oneBatch = () => ({
  runId: 'run-1',
  period: { label: '2026-10', start: '2026-09-30T15:00:00Z', end: '2026-10-31T15:00:00Z' },
  manifestKey: 'manifests/run-1.json',
  targetCount: 1,
  pendingTargetCount: 1,
  recordCount: 10,
  batches: [
    { runId: 'run-1', manifestKey: 'manifests/run-1.json', batchIndex: 0, targetCount: 1, recordCount: 10 },
  ],
  files: {
    storage: 'local folder .data/objects',
    prefix: 'exports/',
    keyPattern: 'exports/<workspace>/<template>/2026-10.xlsx',
    count: 1,
    periodTotal: 1,
  },
});

function guardThat(decision: 'run' | 'skip') {
  return (input: unknown): GuardDecision => {
    const guardInput = input as {
      input: { scheduledTime?: string; params?: Record<string, unknown> };
      defaultParams: Record<string, unknown>;
      execution: { startTime: string };
    };
    return {
      decision,
      reason:
        decision === 'run' ? 'no other execution is running' : 'execution run-0 (started earlier) is running',
      scheduledTime: guardInput.input.scheduledTime ?? guardInput.execution.startTime,
      params: { ...guardInput.defaultParams, ...guardInput.input.params },
      ...(decision === 'skip'
        ? { blockingExecutionArn: 'arn:aws:states:us-east-1:000000000000:execution:sfn-batch-test-job:run-0' }
        : {}),
    };
  };
}

/** An ECS stand-in that plays the given outcomes in order and records each RunTask call. */
function ecsPlaying(...outcomes: (Error | object)[]) {
  const calls: unknown[] = [];
  const handler = (parameters: unknown) => {
    calls.push(parameters);
    const outcome = outcomes[calls.length - 1];
    if (outcome === undefined) throw new Error(`unexpected RunTask call #${calls.length}`);
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  return { handler, calls };
}

describe('scheduled-task workflow', () => {
  it('retries a provisioning failure after a backed-off wait and then succeeds', async () => {
    const job = makeTaskJob();
    const ecs = ecsPlaying(stops.failedToStart(), stops.succeeded());

    const run = await runLocally(synthesizeDefinition(job, context), {
      tasks: { [GUARD]: guardThat('run'), [RUN]: ecs.handler },
      input: { scheduledTime: '2026-11-21T02:15:00Z', trigger: 'schedule', params: { day: '2026-11-20' } },
    });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.enteredCount(RUN)).toBe(2);
    expect(run.enteredCount('Wait before retrying')).toBe(1);
    expect(run.entered).toContain('Why did the task stop?');
    expect(run.entered).not.toContain('Job failed');
    expect(run.output).toMatchObject({ job: job.name, attempts: 2, scheduledTime: '2026-11-21T02:15:00Z' });
    expect(run.enteredInputs('Wait before retrying')[0]).toMatchObject({
      run: { attempt: { count: 2, pauseSeconds: 30 } },
    });
  });

  it('passes the execution input to the container as JSON in SFN_BATCH_INPUT', async () => {
    const ecs = ecsPlaying(stops.succeeded());

    await runLocally(synthesizeDefinition(makeTaskJob(), context), {
      tasks: { [GUARD]: guardThat('run'), [RUN]: ecs.handler },
      input: { scheduledTime: '2026-11-21T02:15:00Z', params: { day: '2026-11-20; rm -rf /' } },
    });

    expect(readTaskInput(ecs.calls[0])).toEqual({
      job: 'aggregate-record-stats',
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:sfn-batch-test-job:run-1',
      scheduledTime: '2026-11-21T02:15:00Z',
      params: { granularity: 'daily', day: '2026-11-20; rm -rf /' },
    });
  });

  it.each([
    ['an image pull error', stops.imagePull],
    ['a Spot interruption', stops.spotInterruption],
  ])('treats %s as a provisioning failure', async (_label, failure) => {
    const ecs = ecsPlaying(failure(), stops.succeeded());

    const run = await runLocally(synthesizeDefinition(makeTaskJob({ spot: true }), context), {
      tasks: { [GUARD]: guardThat('run'), [RUN]: ecs.handler },
    });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.enteredCount(RUN)).toBe(2);
  });

  it('gives up after the job’s provisioning attempts with TaskProvisioningFailed', async () => {
    const job = makeTaskJob({
      retry: { maxAttempts: 3, intervalSeconds: 10, backoffRate: 3, retryOnJobFailure: false },
    });
    const ecs = ecsPlaying(stops.failedToStart(), stops.failedToStart(), stops.imagePull());

    const run = await runLocally(synthesizeDefinition(job, context), {
      tasks: { [GUARD]: guardThat('run'), [RUN]: ecs.handler },
    });

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('TaskProvisioningFailed');
    expect(run.cause).toContain('after 3 attempts');
    expect(run.cause).toContain('CannotPullContainerError');
    expect(run.enteredCount(RUN)).toBe(3);
    const pauses = run
      .enteredInputs('Wait before retrying')
      .map((input) => (input as { run: { attempt: { pauseSeconds: number } } }).run.attempt.pauseSeconds);
    expect(pauses).toEqual([10, 30]);
  });

  it('fails a non-zero exit as JobFailed with the exit code, without retrying', async () => {
    const ecs = ecsPlaying(stops.exited(3));

    const run = await runLocally(synthesizeDefinition(makeTaskJob(), context), {
      tasks: { [GUARD]: guardThat('run'), [RUN]: ecs.handler },
    });

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('JobFailed');
    expect(run.cause).toMatch(/exited with code 3 \(Essential container in task exited\)/);
    expect(run.enteredCount(RUN)).toBe(1);
    expect(run.enteredCount('Wait before retrying')).toBe(0);
    expect(run.retriedCount(RUN)).toBe(0);
  });

  it('retries a non-zero exit only when the job opts in', async () => {
    const job = makeTaskJob({
      retry: { maxAttempts: 2, intervalSeconds: 5, backoffRate: 2, retryOnJobFailure: true },
    });
    const ecs = ecsPlaying(stops.exited(1), stops.exited(2));

    const run = await runLocally(synthesizeDefinition(job, context), {
      tasks: { [GUARD]: guardThat('run'), [RUN]: ecs.handler },
    });

    expect(run.error).toBe('JobFailed');
    expect(run.cause).toContain('code 2');
    expect(run.enteredCount(RUN)).toBe(2);
  });

  it('fails a task stopped without an exit code as JobFailed and keeps the stopped task in the cause', async () => {
    const ecs = ecsPlaying(stops.stoppedByUser());

    const run = await runLocally(synthesizeDefinition(makeTaskJob(), context), {
      tasks: { [GUARD]: guardThat('run'), [RUN]: ecs.handler },
    });

    expect(run.error).toBe('JobFailed');
    expect(run.cause).toContain('Task stopped by user');
    expect(run.enteredCount(RUN)).toBe(1);
  });

  it('retries RunTask API errors with the Retry field and re-raises them when they persist', async () => {
    const capacity = () => runTaskApiError('ECS.AmazonECSException', 'Capacity is unavailable at this time.');
    const recovering = ecsPlaying(capacity(), capacity(), stops.succeeded());
    const persistent = ecsPlaying(capacity(), capacity(), capacity(), capacity(), capacity(), capacity());

    const recovered = await runLocally(synthesizeDefinition(makeTaskJob(), context), {
      tasks: { [GUARD]: guardThat('run'), [RUN]: recovering.handler },
    });
    const failed = await runLocally(synthesizeDefinition(makeTaskJob(), context), {
      tasks: { [GUARD]: guardThat('run'), [RUN]: persistent.handler },
    });

    expect(recovered.status).toBe('SUCCEEDED');
    expect(recovered.retriedCount(RUN)).toBe(2);
    expect(failed.error).toBe('ECS.AmazonECSException');
    expect(failed.cause).toBe('Capacity is unavailable at this time.');
    expect(failed.retriedCount(RUN)).toBe(5);
    expect(failed.entered).toContain('Task could not be started');
  });

  it('fails as States.Timeout when the task outlives the job timeout', async () => {
    const job = makeTaskJob({ timeoutSeconds: 1 });
    const calls: unknown[] = [];

    const run = await runLocally(synthesizeDefinition(job, context), {
      tasks: {
        [GUARD]: guardThat('run'),
        [RUN]: (parameters) => {
          calls.push(parameters);
          return new Promise(() => {});
        },
      },
    });

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('States.Timeout');
    expect(calls).toHaveLength(1);
    expect(run.entered).not.toContain('Why did the task stop?');
  });

  it('records a duplicate start as a skip with the reason, without running the task', async () => {
    const ecs = ecsPlaying();

    const run = await runLocally(synthesizeDefinition(makeTaskJob(), context), {
      tasks: { [GUARD]: guardThat('skip'), [RUN]: ecs.handler },
    });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.entered).toEqual([GUARD, 'Is another run active?', 'Skip duplicate start']);
    expect(run.output).toMatchObject({ decision: 'skip', reason: expect.stringContaining('run-0') });
    expect(ecs.calls).toHaveLength(0);
  });
});

describe('xlsx-export workflow', () => {
  const CONVERT = 'Run converter task';
  const ENQUEUE = 'Enqueue export targets';

  function enqueueReturning(batchCount: number) {
    const inputs: unknown[] = [];
    const handler = (input: unknown): EnqueueExportsOutput => {
      inputs.push(input);
      const batches: ExportBatchDescriptor[] = Array.from({ length: batchCount }, (_, batchIndex) => ({
        runId: 'run-2026-10',
        manifestKey: 'manifests/monthly-xlsx-export/2026-10.json',
        batchIndex,
        targetCount: 2,
        recordCount: 1000,
      }));
      return {
        runId: 'run-2026-10',
        period: { label: '2026-10', start: '2026-09-30T15:00:00Z', end: '2026-10-31T15:00:00Z' },
        manifestKey: 'manifests/monthly-xlsx-export/2026-10.json',
        targetCount: batchCount * 2,
        pendingTargetCount: batchCount * 2,
        recordCount: batchCount * 1000,
        batches,
        files: {
          storage: 's3://records-exports/prod',
          prefix: 'exports/',
          keyPattern: 'exports/<workspace>/<template>/2026-10.xlsx',
          count: batchCount * 2,
          periodTotal: batchCount * 2 + 1,
        },
      };
    };
    return { handler, inputs };
  }

  function converterFailingBatches(failing: Set<number>) {
    const batchesRun: number[] = [];
    const handler = (parameters: unknown) => {
      const taskInput = readTaskInput(parameters);
      const batchIndex = Number(taskInput.params.batchIndex);
      batchesRun.push(batchIndex);
      if (failing.has(batchIndex)) throw stops.exited(2);
      return stops.succeeded();
    };
    return { handler, batchesRun };
  }

  it('converts the other batches when one fails, then fails with ExportsFailed naming it', async () => {
    const enqueue = enqueueReturning(4);
    const converter = converterFailingBatches(new Set([2]));

    const run = await runLocally(synthesizeDefinition(makeExportJob(), context), {
      tasks: { [GUARD]: guardThat('run'), [ENQUEUE]: enqueue.handler, [CONVERT]: converter.handler },
      input: { scheduledTime: '2026-11-01T03:00:00+09:00', trigger: 'schedule' },
    });

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ExportsFailed');
    expect(run.cause).toContain('1 of 4 export batches failed for period 2026-10');
    expect(run.cause).toContain('batch indexes [2]');
    expect(run.cause).toContain('manifests/monthly-xlsx-export/2026-10.json');
    expect(run.cause).toContain('exited with code 2');
    expect([...converter.batchesRun].sort()).toEqual([0, 1, 2, 3]);
    expect(run.enteredCount('Record converted batch')).toBe(3);
    expect(run.enteredCount('Record failed batch')).toBe(1);
    expect(run.events.filter((event) => event.type === 'MapIterationFailed')).toHaveLength(0);
  });

  it('names every failed batch but details only the first five in the cause', async () => {
    const converter = converterFailingBatches(new Set([0, 1, 2, 3, 4, 5, 7]));

    const run = await runLocally(synthesizeDefinition(makeExportJob(), context), {
      tasks: {
        [GUARD]: guardThat('run'),
        [ENQUEUE]: enqueueReturning(8).handler,
        [CONVERT]: converter.handler,
      },
    });

    expect(run.error).toBe('ExportsFailed');
    expect(run.cause).toContain('7 of 8 export batches failed');
    expect(run.cause).toContain('batch indexes [0,1,2,3,4,5,7]');
    expect(run.cause?.match(/"status":"FAILED"/g)).toHaveLength(5);
  });

  it('passes the enqueue contract and ConvertBatchParams to each converter', async () => {
    const enqueue = enqueueReturning(2);
    const converter = converterFailingBatches(new Set());
    const inputs: unknown[] = [];

    const run = await runLocally(synthesizeDefinition(makeExportJob(), context), {
      tasks: {
        [GUARD]: guardThat('run'),
        [ENQUEUE]: enqueue.handler,
        [CONVERT]: (parameters) => {
          inputs.push(readTaskInput(parameters));
          return converter.handler(parameters);
        },
      },
      input: { scheduledTime: '2026-11-01T03:00:00+09:00' },
    });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({
      runId: 'run-2026-10',
      convertedBatches: 2,
      period: { label: '2026-10' },
      files: {
        storage: 's3://records-exports/prod',
        prefix: 'exports/',
        keyPattern: 'exports/<workspace>/<template>/2026-10.xlsx',
        count: 4,
        periodTotal: 5,
      },
    });
    expect(enqueue.inputs[0]).toEqual({
      job: 'monthly-xlsx-export',
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:sfn-batch-test-job:run-1',
      scheduledTime: '2026-11-01T03:00:00+09:00',
      timezone: 'Asia/Tokyo',
      frequency: 'monthly',
      recordsPerBatch: 200000,
    });
    expect(inputs).toContainEqual({
      job: 'monthly-xlsx-export',
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:sfn-batch-test-job:run-1',
      scheduledTime: '2026-11-01T03:00:00+09:00',
      params: {
        runId: 'run-2026-10',
        manifestKey: 'manifests/monthly-xlsx-export/2026-10.json',
        batchIndex: 1,
      },
    });
  });

  it('retries a converter provisioning failure inside its own iteration', async () => {
    const enqueue = enqueueReturning(1);
    const ecs = ecsPlaying(stops.failedToStart(), stops.succeeded());

    const run = await runLocally(synthesizeDefinition(makeExportJob(), context), {
      tasks: { [GUARD]: guardThat('run'), [ENQUEUE]: enqueue.handler, [CONVERT]: ecs.handler },
    });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.enteredCount(CONVERT)).toBe(2);
    expect(run.enteredCount('Wait before retrying converter')).toBe(1);
  });

  it('runs at most the job’s maxConcurrency converters at once', async () => {
    const job = makeExportJob({ export: { frequency: 'monthly', maxConcurrency: 2, recordsPerBatch: 1000 } });
    let running = 0;
    let peak = 0;

    const run = await runLocally(synthesizeDefinition(job, context), {
      tasks: {
        [GUARD]: guardThat('run'),
        [ENQUEUE]: enqueueReturning(6).handler,
        [CONVERT]: async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 20));
          running -= 1;
          return stops.succeeded();
        },
      },
    });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.enteredCount(CONVERT)).toBe(6);
    expect(peak).toBe(2);
  });

  it('records a converter timeout as a failed batch', async () => {
    const enqueue = enqueueReturning(2);
    const job = makeExportJob({ timeoutSeconds: 1 });

    const run = await runLocally(synthesizeDefinition(job, context), {
      tasks: {
        [GUARD]: guardThat('run'),
        [ENQUEUE]: enqueue.handler,
        [CONVERT]: (parameters) =>
          readTaskInput(parameters).params.batchIndex === 0 ? new Promise(() => {}) : stops.succeeded(),
      },
    });

    expect(run.error).toBe('ExportsFailed');
    expect(run.cause).toContain('batch indexes [0]');
    expect(run.cause).toContain('States.Timeout');
    expect(run.enteredCount('Summarize converter timeout')).toBe(1);
  });

  it('succeeds with nothing to convert', async () => {
    const run = await runLocally(synthesizeDefinition(makeExportJob(), context), {
      tasks: {
        [GUARD]: guardThat('run'),
        [ENQUEUE]: enqueueReturning(0).handler,
        [CONVERT]: ecsPlaying().handler,
      },
    });

    expect([run.error, run.cause]).toEqual([undefined, undefined]);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.enteredCount(CONVERT)).toBe(0);
  });

  it('skips a duplicate start before enqueuing anything', async () => {
    const enqueue = enqueueReturning(1);

    const run = await runLocally(synthesizeDefinition(makeExportJob(), context), {
      tasks: { [GUARD]: guardThat('skip'), [ENQUEUE]: enqueue.handler, [CONVERT]: ecsPlaying().handler },
    });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ decision: 'skip' });
    expect(enqueue.inputs).toHaveLength(0);
  });
});

describe('provisioning failures (lib/contracts/provisioning-failures.ts)', () => {
  const ENQUEUE = 'Enqueue export targets';
  /** Runs a template whose one task fails with `failure` once and then succeeds. */
  async function failOnceThenSucceed(workflow: 'task' | 'xlsx-export', failure: Error) {
    const ecs = ecsPlaying(failure, stops.succeeded());
    const run =
      workflow === 'task'
        ? await runLocally(synthesizeDefinition(makeTaskJob({ spot: true }), context), {
            tasks: { [GUARD]: guardThat('run'), [RUN]: ecs.handler },
          })
        : await runLocally(synthesizeDefinition(makeExportJob({ spot: true }), context), {
            tasks: { [GUARD]: guardThat('run'), [ENQUEUE]: oneBatch, 'Run converter task': ecs.handler },
          });
    return { run, calls: ecs.calls.length };
  }

  it('has an independent example for every kind in the list, and no example of a kind it lacks', () => {
    expect(Object.keys(PROVISIONING_FAILURES).sort()).toEqual(
      Object.keys(PROVISIONING_FAILURE_EXAMPLES).sort(),
    );
  });

  it.each(
    (['task', 'xlsx-export'] as const).flatMap((workflow) =>
      Object.keys(PROVISIONING_FAILURES).map((kind) => [workflow, kind] as const),
    ),
  )('the %s workflow retries %s and then succeeds', async (workflow, kind) => {
    const example = PROVISIONING_FAILURE_EXAMPLES[kind];
    if (example === undefined) throw new Error(`no example of ${kind} in test/workflows/fake-ecs.ts`);

    const { run, calls } = await failOnceThenSucceed(workflow, example());

    expect([run.status, run.error, run.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    expect(calls).toBe(2);
  });

  it.each(provisioningFailures().map(([name]) => name))(
    'retries the %s failure the local runtime injects',
    async (name) => {
      const picker = new FaultPicker({ [name]: 1, seed: 1 });
      const injected = picker.pickStartFault() ?? picker.pickRunningFault();
      if (injected === undefined) throw new Error(`fault injection of ${name} injected nothing`);
      const failure =
        'error' in injected
          ? runTaskApiError(injected.error, injected.message)
          : taskFailed(stoppedTask({ StopCode: injected.stopCode, StoppedReason: injected.reason }));

      const { run } = await failOnceThenSucceed('task', failure);

      expect(run.status).toBe('SUCCEEDED');
    },
  );
});

describe('every job in schedules/', () => {
  it('runs to success locally when its tasks succeed', async () => {
    const jobs = await loadJobSpecs();
    const outcomes: [string, string, string | undefined][] = [];

    for (const job of jobs) {
      const run = await runLocally(synthesizeDefinition(job, context), {
        tasks: {
          [GUARD]: guardThat('run'),
          'Enqueue export targets': oneBatch,
          [RUN]: () => stops.succeeded(),
          'Run converter task': () => stops.succeeded(),
        },
      });
      outcomes.push([job.name, run.status, run.cause]);
    }

    expect(outcomes.filter(([, status]) => status !== 'SUCCEEDED')).toEqual([]);
    expect(outcomes.length).toBe(jobs.length);
  });
});
