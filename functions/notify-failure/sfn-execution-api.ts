/**
 * The Step Functions calls the notifier makes (DescribeExecution, GetExecutionHistory,
 * ListTagsForResource, ListExecutions with every page), behind a small interface so the
 * notify logic can be tested with a fake, and its adapter over the SDK client.
 */
import {
  DescribeExecutionCommand,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListTagsForResourceCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { TASK_FAILURE_EVENT_TYPES } from '../../lib/contracts/history-events.ts';

/** Details of one execution as the API reports them. */
export interface ExecutionDetails {
  status: string;
  startDate: Date | undefined;
  stopDate: Date | undefined;
  error: string | undefined;
  cause: string | undefined;
  output: string | undefined;
}

/** The few Step Functions calls the notifier needs; {@link sfnExecutionApi} adapts the SDK client. */
export interface ExecutionApi {
  describeExecution(executionArn: string): Promise<ExecutionDetails>;
  /** Name of the state whose failure ended the execution, from the history, if any. */
  failedStateName(executionArn: string): Promise<string | undefined>;
  stateMachineTags(stateMachineArn: string): Promise<Record<string, string>>;
  /** Executions of a state machine, newest first, every page (ListExecutions with nextToken); `status` filters, undefined lists every status. */
  executionsNewestFirst(stateMachineArn: string, status?: string): AsyncIterable<ExecutionSummary>;
}

/** One row of ListExecutions. */
export interface ExecutionSummary {
  executionArn: string;
  startDate: Date;
}

// A failed Map iteration counts too: the state to report is the Map around it.
const TASK_FAILURE_EVENTS: ReadonlySet<string> = new Set([...TASK_FAILURE_EVENT_TYPES, 'MapIterationFailed']);

/** Adapts the SDK client to {@link ExecutionApi}. `pageSize` is ListExecutions' maxResults (AWS allows up to 1,000). */
export function sfnExecutionApi(client: SFNClient, pageSize = 1000): ExecutionApi {
  return {
    async describeExecution(executionArn) {
      const result = await client.send(new DescribeExecutionCommand({ executionArn }));
      return {
        status: result.status ?? 'UNKNOWN',
        startDate: result.startDate,
        stopDate: result.stopDate,
        error: result.error,
        cause: result.cause,
        output: result.output,
      };
    },
    async failedStateName(executionArn) {
      const history = await client.send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 50 }),
      );
      const events = history.events ?? [];
      // Newest first. A failed task is usually caught and routed to a Fail state, so the
      // state to report is the one around the last task failure, not the last state entered.
      const taskFailure = events.findIndex((event) => TASK_FAILURE_EVENTS.has(event.type ?? ''));
      const entered = events
        .slice(Math.max(0, taskFailure))
        .find((event) => event.stateEnteredEventDetails?.name !== undefined);
      return entered?.stateEnteredEventDetails?.name;
    },
    async stateMachineTags(stateMachineArn) {
      const result = await client.send(new ListTagsForResourceCommand({ resourceArn: stateMachineArn }));
      const tags: Record<string, string> = {};
      for (const tag of result.tags ?? []) if (tag.key && tag.value !== undefined) tags[tag.key] = tag.value;
      return tags;
    },
    async *executionsNewestFirst(stateMachineArn, status) {
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new ListExecutionsCommand({
            stateMachineArn,
            ...(status === undefined ? {} : { statusFilter: status as ExecutionStatus }),
            maxResults: pageSize,
            nextToken,
          }),
        );
        for (const execution of page.executions ?? []) {
          if (execution.executionArn && execution.startDate) {
            yield { executionArn: execution.executionArn, startDate: new Date(execution.startDate) };
          }
        }
        nextToken = page.nextToken;
      } while (nextToken);
    },
  };
}
