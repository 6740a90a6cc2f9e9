/**
 * The read-only operations of the local Step Functions API, answered from the durable
 * execution store and the deployed state machines: DescribeExecution, ListExecutions,
 * GetExecutionHistory, ListStateMachines, DescribeStateMachine(ForExecution) and
 * ListTagsForResource, shaped as AWS returns them.
 */
import type { ExecutionStore, ExecutionSummary } from '../store/execution-store.ts';
import { SfnApiError } from './errors.ts';
import { redriveStatus } from './execution-outcome.ts';
import {
  type HistoryRequest,
  type ListExecutionsRequest,
  lookupExecution,
  lookupExecutionSummary,
  lookupStateMachine,
  type Pagination,
  pageSize,
  paginate,
  readListingToken,
  requireArnShape,
  writeListingToken,
} from './requests.ts';
import { compact, epochSeconds, withoutExecutionData } from './response-shape.ts';
import type { StateMachineEntry } from './service.ts';

const TAGGABLE_ARN = /^arn:aws:states:[a-z0-9-]+:\d{12}:(stateMachine|activity):[^:]+$/;

function optionalEpochSeconds(iso: string | undefined): number | undefined {
  return iso === undefined ? undefined : epochSeconds(iso);
}

/** An execution as ListExecutions lists it (DescribeExecution adds to it). */
function executionListItem(record: ExecutionSummary): Record<string, unknown> {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    stopDate: optionalEpochSeconds(record.stopDate),
    redriveCount: record.redriveCount,
    redriveDate: optionalEpochSeconds(record.redriveDate),
  };
}

/** What DescribeStateMachine and DescribeStateMachineForExecution both return. */
function stateMachineDescription(machine: StateMachineEntry): Record<string, unknown> {
  return {
    stateMachineArn: machine.arn,
    name: machine.name,
    definition: JSON.stringify(machine.definition, null, 2),
    roleArn: machine.roleArn,
    loggingConfiguration: { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: { enabled: false },
  };
}

export class ExecutionQueries {
  private readonly store: ExecutionStore;
  private readonly machines: ReadonlyMap<string, StateMachineEntry>;

  constructor(store: ExecutionStore, machines: ReadonlyMap<string, StateMachineEntry>) {
    this.store = store;
    this.machines = machines;
  }

  describeExecution(executionArn: string): unknown {
    const record = lookupExecution(this.store, executionArn);
    const redrive = redriveStatus(record);
    return compact({
      ...executionListItem(record),
      input: record.input,
      inputDetails: { included: true },
      output: record.output,
      outputDetails: record.output === undefined ? undefined : { included: true },
      error: record.error,
      cause: record.cause,
      redriveStatus: redrive.status,
      redriveStatusReason: redrive.reason,
    });
  }

  listExecutions(request: ListExecutionsRequest): unknown {
    if (request.stateMachineArn === undefined) {
      throw new SfnApiError('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
    }
    const machine = lookupStateMachine(this.machines, request.stateMachineArn);
    const scope = `ListExecutions:${machine.arn}:${request.statusFilter ?? ''}:${request.redriveFilter ?? ''}`;
    const size = pageSize(request);
    const after = request.nextToken === undefined ? undefined : readListingToken(request.nextToken, scope);
    const items: ExecutionSummary[] = [];
    let more = false;
    // PENDING_REDRIVE is never a stored status (a local redrive starts at once): it lists nothing.
    if (request.statusFilter !== 'PENDING_REDRIVE') {
      const status = request.statusFilter;
      // The store's newest-first index: a page reads its own executions, not the whole store.
      for (const record of this.store.newestFirst(machine.arn, {
        ...(status === undefined ? {} : { status }),
        ...(after === undefined ? {} : { after }),
      })) {
        if (request.redriveFilter === 'REDRIVEN' && record.redriveCount === 0) continue;
        if (request.redriveFilter === 'NOT_REDRIVEN' && record.redriveCount > 0) continue;
        if (items.length === size) {
          more = true;
          break;
        }
        items.push(record);
      }
    }
    const last = items.at(-1);
    return compact({
      executions: items.map((record) => compact(executionListItem(record))),
      nextToken: more && last !== undefined ? writeListingToken(last, scope) : undefined,
    });
  }

  getExecutionHistory(request: HistoryRequest): unknown {
    lookupExecutionSummary(this.store, request.executionArn);
    const all = this.store.history(request.executionArn);
    const ordered = request.reverseOrder === true ? [...all].reverse() : all;
    const page = paginate(
      ordered,
      request,
      `GetExecutionHistory:${request.executionArn}:${request.reverseOrder === true}`,
    );
    const events =
      request.includeExecutionData === false
        ? page.items.map((event) => withoutExecutionData(event))
        : page.items;
    return compact({ events, nextToken: page.nextToken });
  }

  listStateMachines(request: Pagination): unknown {
    const machines = [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
    const page = paginate(machines, request, 'ListStateMachines');
    return compact({
      stateMachines: page.items.map((machine) => ({
        stateMachineArn: machine.arn,
        name: machine.name,
        type: 'STANDARD',
        creationDate: machine.creationDate.getTime() / 1000,
      })),
      nextToken: page.nextToken,
    });
  }

  describeStateMachine(stateMachineArn: string): unknown {
    const machine = lookupStateMachine(this.machines, stateMachineArn);
    return {
      ...stateMachineDescription(machine),
      status: 'ACTIVE',
      type: 'STANDARD',
      creationDate: machine.creationDate.getTime() / 1000,
    };
  }

  describeStateMachineForExecution(executionArn: string): unknown {
    const record = lookupExecutionSummary(this.store, executionArn);
    const machine = lookupStateMachine(this.machines, record.stateMachineArn);
    // Exactly DescribeStateMachineForExecutionOutput: no status/type/creationDate, updateDate required.
    return { ...stateMachineDescription(machine), updateDate: machine.creationDate.getTime() / 1000 };
  }

  listTagsForResource(resourceArn: string): unknown {
    // ListTagsForResource lists InvalidArn and ResourceNotFound, not StateMachineDoesNotExist.
    requireArnShape(resourceArn, TAGGABLE_ARN);
    const machine = this.machines.get(resourceArn);
    if (machine === undefined)
      throw new SfnApiError('ResourceNotFound', `Resource not found: '${resourceArn}'`);
    return { tags: machine.tags };
  }
}
