/**
 * Task states of the local Step Functions service: each one dispatched by its Resource
 * (a Lambda function in-process, `ecs:runTask.sync` to the local ECS, `lambda:invoke`,
 * `aws-sdk:sfn:*` back to the service), with the history events AWS records around it.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { pascalCaseKeysDeep } from '../api/key-case.ts';
import { ApiError } from '../api/validate-request.ts';
import type { EcsEmulator } from '../ecs/run-task.ts';
import type { LambdaInvoker } from '../lambda/invoke.ts';
import type { ExecutionStore } from '../store/execution-store.ts';
import type { StateDefinition } from './definition.ts';
import { TaskStateError } from './errors.ts';
import { describeTaskResource } from './history.ts';
import type { HistoryLinker } from './history-links.ts';
import { compact, toCamelCaseKeys } from './response-shape.ts';

export interface TaskDispatchOptions {
  store: ExecutionStore;
  ecs: EcsEmulator;
  lambda: LambdaInvoker;
  region: string;
  accountId: string;
  /** The service's own API, for `aws-sdk:sfn:*` tasks. */
  call: (operation: string, body: unknown) => Promise<unknown>;
}

/** The execution a task belongs to; history is written only while it is still active. */
export interface TaskRun {
  readonly executionArn: string;
  readonly active: boolean;
  /** Links the task's events to the Map iteration (or execution) it runs in. */
  readonly history: Pick<HistoryLinker, 'claimTask' | 'taskEvent'>;
}

/** The Task state's timing: the local ECS stops its task when the state times out. */
interface TaskTiming {
  stateName: string;
  stateEnteredAt: number;
  timeoutSeconds: number | undefined;
}

/**
 * The two families of task history events: a direct Lambda ARN gives LambdaFunction*
 * events without resource fields, every other resource Task* events that name it.
 */
interface EventFamily {
  prefix: 'LambdaFunction' | 'Task';
  detailsKey: 'lambdaFunction' | 'task';
  /** Fields every Started/Succeeded/Failed detail begins with. */
  identity: Record<string, string>;
  scheduled: Record<string, unknown>;
}

export class TaskDispatcher {
  private readonly options: TaskDispatchOptions;

  constructor(options: TaskDispatchOptions) {
    this.options = options;
  }

  /** One Task state: dispatch by Resource, with AWS's history events around it. */
  async runTaskState(
    run: TaskRun,
    stateName: string,
    state: StateDefinition,
    input: unknown,
  ): Promise<unknown> {
    const startedAt = Date.now();
    // Let the interpreter's StateEntered event reach the history first (it is delivered asynchronously).
    await new Promise((resolve) => setImmediate(resolve));
    // The Map iteration (or the execution) this call belongs to, for previousEventId.
    const thread = run.history.claimTask(stateName);
    const resource = String(state.Resource);
    const timeoutSeconds = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : undefined;
    // After a state timeout the interpreter has already recorded TaskTimedOut; the late failure is not news.
    const timedOut = () =>
      timeoutSeconds !== undefined && Date.now() - startedAt >= timeoutSeconds * 1000 - 20;
    const record = (type: string, details: Record<string, unknown>) => {
      if (run.active) run.history.taskEvent(thread, type, details);
    };
    const described = describeTaskResource(resource);
    const family: EventFamily = described.lambdaFunction
      ? {
          prefix: 'LambdaFunction',
          detailsKey: 'lambdaFunction',
          identity: {},
          scheduled: {
            resource,
            input: JSON.stringify(input),
            inputDetails: { truncated: false },
            timeoutInSeconds: timeoutSeconds,
          },
        }
      : {
          prefix: 'Task',
          detailsKey: 'task',
          identity: { resourceType: described.resourceType, resource: described.resource },
          scheduled: {
            resourceType: described.resourceType,
            resource: described.resource,
            region: this.options.region,
            parameters: JSON.stringify(input),
            timeoutInSeconds: timeoutSeconds,
          },
        };
    const event = (stage: string, details: Record<string, unknown> | undefined) =>
      record(
        `${family.prefix}${stage}`,
        details === undefined ? {} : { [`${family.detailsKey}${stage}EventDetails`]: details },
      );

    event('Scheduled', compact(family.scheduled));
    // AWS's LambdaFunctionStarted carries no details.
    event('Started', described.lambdaFunction ? undefined : family.identity);
    try {
      const output = described.lambdaFunction
        ? await this.options.lambda.invoke(resource, input, timeoutSeconds ?? 900)
        : await this.dispatchIntegration(
            run,
            resource,
            input,
            { stateName, stateEnteredAt: startedAt, timeoutSeconds },
            (submitted) =>
              event('Submitted', {
                ...family.identity,
                output: JSON.stringify(submitted),
                outputDetails: { truncated: false },
              }),
          );
      event('Succeeded', {
        ...family.identity,
        output: JSON.stringify(output),
        outputDetails: { truncated: false },
      });
      return output;
    } catch (error) {
      const failure = asTaskError(error);
      if (!timedOut()) event('Failed', { ...family.identity, error: failure.name, cause: failure.message });
      throw failure;
    }
  }

  private async dispatchIntegration(
    run: TaskRun,
    resource: string,
    input: unknown,
    timing: TaskTiming,
    onSubmitted: (task: Record<string, unknown>) => void,
  ): Promise<unknown> {
    const { timeoutSeconds } = timing;
    const integration = /^arn:aws:states:[^:]*:[^:]*:(.+)$/.exec(resource)?.[1] ?? '';
    if (integration === 'ecs:runTask.sync') {
      return this.options.ecs.runTask(input, { executionArn: run.executionArn, ...timing, onSubmitted });
    }
    if (integration === 'lambda:invoke') {
      const parameters = z
        .object({ FunctionName: z.string(), Payload: z.unknown().optional() })
        .safeParse(input);
      if (!parameters.success) {
        throw new TaskStateError(
          'Lambda.InvalidParameterValueException',
          'lambda:invoke needs Parameters.FunctionName',
        );
      }
      const functionArn = parameters.data.FunctionName.startsWith('arn:')
        ? parameters.data.FunctionName
        : `arn:aws:lambda:${this.options.region}:${this.options.accountId}:function:${parameters.data.FunctionName}`;
      const payload = await this.options.lambda.invoke(
        functionArn,
        parameters.data.Payload ?? {},
        timeoutSeconds ?? 900,
      );
      const requestId = randomUUID();
      return {
        ExecutedVersion: '$LATEST',
        Payload: payload,
        SdkHttpMetadata: { HttpStatusCode: 200 },
        SdkResponseMetadata: { RequestId: requestId },
        StatusCode: 200,
      };
    }
    const sdk = /^aws-sdk:sfn:([a-zA-Z]+)$/.exec(integration);
    if (sdk?.[1] !== undefined) {
      const action = sdk[1];
      const operation = action.charAt(0).toUpperCase() + action.slice(1);
      try {
        return pascalCaseKeysDeep(await this.options.call(operation, toCamelCaseKeys(input)));
      } catch (error) {
        if (error instanceof ApiError) throw new TaskStateError(`Sfn.${error.type}`, error.message);
        throw error;
      }
    }
    throw new TaskStateError(
      'States.Runtime',
      `The local runtime cannot run Resource ${resource}: supported are Lambda function ARNs, arn:aws:states:::lambda:invoke, arn:aws:states:::ecs:runTask.sync and arn:aws:states:::aws-sdk:sfn:*`,
    );
  }
}

function asTaskError(error: unknown): Error {
  if (error instanceof Error) return error;
  return new TaskStateError('States.TaskFailed', String(error));
}
