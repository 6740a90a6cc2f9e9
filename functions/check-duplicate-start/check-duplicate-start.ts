import { ListExecutionsCommand, type ListExecutionsCommandOutput } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import {
  type ExecutionInput,
  type GuardDecision,
  InvalidExecutionInputError,
  parseExecutionInput,
} from '#lib/contracts/execution-input.ts';
import type { Logger } from '#lib/logger.ts';
import { describeZodIssues } from '#lib/zod-issues.ts';

export { InvalidExecutionInputError };

/** The part of `SFNClient` the guard uses, so tests can pass a fake. */
export interface SfnListExecutions {
  send(command: ListExecutionsCommand): Promise<ListExecutionsCommandOutput>;
}

const isoInstant = z.iso.datetime({ offset: true });

/** Payload of the guard Task state, built by the state machine from the context object. */
const guardInputSchema = z.object({
  job: z.string().min(1),
  concurrency: z.enum(['forbid', 'allow']),
  defaultParams: z.record(z.string(), z.unknown()),
  stateMachineArn: z.string().startsWith('arn:'),
  execution: z.object({ arn: z.string().startsWith('arn:'), name: z.string().min(1), startTime: isoInstant }),
  /** `$$.Execution.Input`, checked by the one execution-input rule in lib/contracts. */
  input: z.unknown(),
});

export type GuardInput = Omit<z.infer<typeof guardInputSchema>, 'input'> & { input: ExecutionInput };

/**
 * Parses the guard's payload and applies the execution-input rule to the execution
 * input. This is where StartExecution from the SDK, the CLI, the AWS console and
 * schedules meet the rule that batchctl and the local console check up front.
 *
 * @throws InvalidExecutionInputError naming every bad key.
 */
export function parseGuardInput(event: unknown): GuardInput {
  const parsed = guardInputSchema.safeParse(event);
  if (!parsed.success) {
    const problems = describeZodIssues(parsed.error);
    // The payload is built by the state machine, not the caller: a deployment problem.
    throw new InvalidExecutionInputError(
      `The guard's payload from the state machine is invalid (${problems})`,
    );
  }
  const input = parseExecutionInput(
    { name: parsed.data.job, defaultInput: parsed.data.defaultParams },
    parsed.data.input,
  );
  return { ...parsed.data, input };
}

interface RunningExecution {
  executionArn: string;
  name: string;
  startMillis: number;
}

/** Earliest start first; the execution name breaks ties, so every execution computes the same order. */
function compareStarts(a: RunningExecution, b: RunningExecution): number {
  if (a.startMillis !== b.startMillis) return a.startMillis - b.startMillis;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

async function listRunningExecutions(
  sfn: SfnListExecutions,
  stateMachineArn: string,
): Promise<RunningExecution[]> {
  const running: RunningExecution[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken }),
    );
    for (const execution of page.executions ?? []) {
      if (!execution.executionArn || !execution.name || !execution.startDate) continue;
      running.push({
        executionArn: execution.executionArn,
        name: execution.name,
        startMillis: new Date(execution.startDate).getTime(),
      });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return running;
}

/**
 * Duplicate-start guard, the first state of every workflow. Under `forbid`, the
 * execution runs only if it is the earliest-started RUNNING execution of its state
 * machine (ties broken by execution name); otherwise it is skipped. Every
 * execution applies the same total order, so two simultaneous starts cannot both
 * run or both skip. It also fixes the effective scheduled time (the input's, or the
 * execution start for manual runs) and params (job defaults merged with the input's).
 *
 * @throws InvalidExecutionInputError when the input is malformed.
 */
export async function checkDuplicateStart(
  event: unknown,
  dependencies: { sfn: SfnListExecutions; logger?: Logger },
): Promise<GuardDecision> {
  const input = parseGuardInput(event);
  const scheduledTime = input.input.scheduledTime ?? input.execution.startTime;
  const params = { ...input.defaultParams, ...input.input.params };
  const base = { scheduledTime, params };

  if (input.concurrency === 'allow') {
    return {
      ...base,
      decision: 'run',
      reason: 'concurrency policy is allow: overlapping runs are permitted',
    };
  }

  const self: RunningExecution = {
    executionArn: input.execution.arn,
    name: input.execution.name,
    startMillis: new Date(input.execution.startTime).getTime(),
  };
  // ListExecutions is eventually consistent and may not list this execution yet.
  const others = (await listRunningExecutions(dependencies.sfn, input.stateMachineArn)).filter(
    (execution) => execution.executionArn !== self.executionArn,
  );
  const winner = [self, ...others].sort(compareStarts)[0] ?? self;

  let decision: GuardDecision;
  if (winner.executionArn === self.executionArn) {
    decision = {
      ...base,
      decision: 'run',
      reason:
        others.length === 0
          ? 'no other execution of this job is running'
          : `started before the ${others.length} other running execution(s) of this job, which will skip`,
    };
  } else {
    decision = {
      ...base,
      decision: 'skip',
      reason:
        `execution ${winner.name} (started ${new Date(winner.startMillis).toISOString()}) of ${input.job} is ` +
        'still running and the concurrency policy is forbid',
      blockingExecutionArn: winner.executionArn,
    };
  }
  dependencies.logger?.info('duplicate-start decision', {
    job: input.job,
    executionArn: self.executionArn,
    decision: decision.decision,
    reason: decision.reason,
    runningCount: others.length,
  });
  return decision;
}
