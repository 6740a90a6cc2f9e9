/**
 * Step Functions Standard bills one state transition per state a run enters. The count
 * comes from the job's own synthesized definition, run through the same interpreter the
 * local runtime uses (aws-local-stepfunctions) with canned Task results: a normal run, a
 * run with one more batch, and a run whose first task fails to provision once. So a
 * change to a template or to a job's settings changes the count without a second copy
 * of the workflow here.
 */
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { EnqueueExportsOutput } from '../contracts/export.ts';
import type { JobSpec } from '../schedule/job-spec.ts';
import {
  type AslDefinition,
  type JsonValue,
  localSynthesisContext,
  synthesizeDefinition,
} from '../workflows/synthesize.ts';

export interface TransitionCounts {
  /** Transitions of a normal run (for an export: with `batches` = 0 added per batch below). */
  perRun: number;
  /** Extra transitions per converter batch (export jobs; 0 for task jobs). */
  perBatch: number;
  /** Extra transitions per provisioning retry of one task. */
  perProvisioningRetry: number;
}

/** A Task error as the interpreter matches it: by `name`. */
class CannedTaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

interface Scenario {
  batches: number;
  /** How many ECS task starts fail with TaskFailedToStart before one succeeds. */
  provisioningFailures: number;
}

async function countTransitions(definition: AslDefinition, scenario: Scenario): Promise<number> {
  const handlers: Record<string, (input: JsonValue) => JsonValue> = {};
  const waits: Record<string, number> = {};
  let failuresLeft = scenario.provisioningFailures;
  const visit = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Wait') waits[name] = 0;
      const processor = state.ItemProcessor as
        | { States?: Record<string, Record<string, unknown>> }
        | undefined;
      if (processor?.States) visit(processor.States);
      if (state.Type !== 'Task') continue;
      const resource = String(state.Resource);
      if (resource.includes('ecs:runTask')) {
        handlers[name] = () => {
          if (failuresLeft > 0) {
            failuresLeft--;
            throw new CannedTaskError(
              'States.TaskFailed',
              JSON.stringify({
                StopCode: 'TaskFailedToStart',
                StoppedReason: 'Timeout waiting for network interface provisioning to complete.',
                Containers: [{}],
              }),
            );
          }
          return { TaskArn: 'arn:aws:ecs:us-east-1:000000000000:task/cost/1' };
        };
      } else if (resource.includes('enqueueExports')) {
        // Typed as the contract, so a new field the workflow reads shows up here at compile time.
        const output: EnqueueExportsOutput = {
          runId: 'run',
          manifestKey: 'manifest.json',
          period: { label: '2026-11', start: '2026-10-31T15:00:00.000Z', end: '2026-11-30T15:00:00.000Z' },
          targetCount: scenario.batches,
          pendingTargetCount: scenario.batches,
          recordCount: scenario.batches,
          batches: Array.from({ length: scenario.batches }, (_, batchIndex) => ({
            runId: 'run',
            manifestKey: 'manifest.json',
            batchIndex,
            targetCount: 1,
            recordCount: 1,
          })),
          files: {
            storage: 'local folder',
            prefix: 'exports/',
            keyPattern: 'exports/<workspace>/<template>/<period>.xlsx',
            count: scenario.batches,
            periodTotal: scenario.batches,
          },
        };
        handlers[name] = () => output as unknown as JsonValue;
      } else {
        handlers[name] = () => ({ decision: 'run', scheduledTime: '2026-12-01T00:00:00Z', params: {} });
      }
    }
  };
  visit(definition.States as Record<string, Record<string, unknown>>);
  // Loaded on first use: every batchctl command registers `cost`, few run it.
  const { StateMachine } = await import('aws-local-stepfunctions');
  // The interpreter mutates the definition it is given, so it gets a copy.
  const copy = structuredClone(definition) as Record<string, unknown>;
  // Counting transitions needs no whole-run limit, and an export's (28 days) overflows Node's
  // 32-bit timer, which would then fire at once.
  delete copy.TimeoutSeconds;
  const machine = new StateMachine(copy as unknown as StateMachineDefinition, {
    validationOptions: { noValidate: true },
  });
  const execution = machine.run(
    {},
    {
      overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits },
      context: {
        Execution: { Id: 'arn:aws:states:us-east-1:000000000000:execution:cost:run', Name: 'run' },
        StateMachine: { Id: 'arn:aws:states:us-east-1:000000000000:stateMachine:cost', Name: 'cost' },
      },
    },
  );
  let entered = 0;
  const counting = (async () => {
    for await (const event of execution.eventLogs) if (event.type === 'StateEntered') entered++;
  })();
  await execution.result;
  await counting;
  return entered;
}

const cache = new Map<string, TransitionCounts>();

/**
 * State transitions of one run of `job`: fixed part, per export batch, per provisioning retry.
 * Cached per synthesized definition.
 */
export async function transitionCounts(job: JobSpec): Promise<TransitionCounts> {
  const definition = synthesizeDefinition(job, localSynthesisContext('cost'));
  const key = JSON.stringify(definition);
  const cached = cache.get(key);
  if (cached) return cached;
  const isExport = job.workflow === 'xlsx-export';
  const one = await countTransitions(definition, { batches: 1, provisioningFailures: 0 });
  const two = isExport ? await countTransitions(definition, { batches: 2, provisioningFailures: 0 }) : one;
  const retried = await countTransitions(definition, { batches: 1, provisioningFailures: 1 });
  const perBatch = two - one;
  const counts = { perRun: one - perBatch, perBatch, perProvisioningRetry: retried - one };
  cache.set(key, counts);
  return counts;
}
