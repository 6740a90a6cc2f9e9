import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';

/**
 * Why a redrive needs a check of its own: RedriveExecution resumes a FAILED, TIMED_OUT or
 * ABORTED execution at the state that failed, so it skips the workflow's first state, the
 * duplicate-start guard. On AWS as here, redriving an old execution while a newer one runs
 * therefore gives two live tasks of a `concurrency: forbid` job. The API keeps AWS's
 * behaviour; the tools that offer redrive (batchctl, the local console) call this first.
 */

/** A redrive refused because another execution of the same state machine is RUNNING. */
export class RedriveOverlapError extends Error {
  readonly executionArn: string;
  readonly running: ExecutionListItem[];

  constructor(executionArn: string, running: ExecutionListItem[]) {
    const names = running.map(
      (execution) =>
        `${execution.name ?? execution.executionArn} (started ${execution.startDate?.toISOString() ?? 'at an unknown time'})`,
    );
    super(
      `not redriving ${executionArn}: ${running.length === 1 ? 'execution' : 'executions'} ${names.join(', ')} of the same job ${running.length === 1 ? 'is' : 'are'} RUNNING, and a redrive resumes after the duplicate-start guard, so both would run at once. Wait for ${running.length === 1 ? 'it' : 'them'} to end or stop ${running.length === 1 ? 'it' : 'them'}, or redrive anyway with --force.`,
    );
    this.name = 'RedriveOverlapError';
    this.executionArn = executionArn;
    this.running = running;
  }
}

/** The RUNNING executions of the state machine that `executionArn` belongs to, other than itself. */
export async function runningExecutionsOfSameStateMachine(
  client: SFNClient,
  executionArn: string,
): Promise<ExecutionListItem[]> {
  const described = await client.send(new DescribeExecutionCommand({ executionArn }));
  const running: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListExecutionsCommand({
        stateMachineArn: described.stateMachineArn,
        statusFilter: 'RUNNING',
        ...(nextToken === undefined ? {} : { nextToken }),
      }),
    );
    running.push(...(page.executions ?? []).filter((execution) => execution.executionArn !== executionArn));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return running;
}

/** Throws {@link RedriveOverlapError} naming the RUNNING executions that a redrive of `executionArn` would overlap. */
export async function assertRedriveDoesNotOverlap(client: SFNClient, executionArn: string): Promise<void> {
  const running = await runningExecutionsOfSameStateMachine(client, executionArn);
  if (running.length > 0) throw new RedriveOverlapError(executionArn, running);
}
