import { executionNameProblem } from '../../lib/contracts/execution-names.ts';
import { MAX_EXECUTION_INPUT_BYTES } from '../../lib/contracts/task-input-limits.ts';
import { loadApiModel } from '../api/api-model.ts';
import type { DocumentedRule, JsonApiService } from '../api/json-api.ts';
import { ApiError } from '../api/validate-request.ts';

/** The committed Step Functions model subset (local/api/models/stepfunctions.json). */
export const STEP_FUNCTIONS_MODEL = loadApiModel('stepfunctions');

/** Members whose broken constraint has its own error code (where the operation lists it). */
export const STEP_FUNCTIONS_ERRORS_BY_SHAPE: JsonApiService['errorsByShape'] = {
  Arn: 'InvalidArn',
  LongArn: 'InvalidArn',
  Name: 'InvalidName',
  SensitiveData: 'InvalidExecutionInput',
  PageToken: 'InvalidToken',
  ListExecutionsPageToken: 'InvalidToken',
};

/** AWS execution name rules; throws InvalidName. */
export function validateExecutionName(name: string): void {
  const problem = executionNameProblem(name);
  if (problem !== undefined) {
    throw new ApiError('InvalidName', `Invalid Name: '${name.toWellFormed()}' (${problem})`);
  }
}

/**
 * Constraints the API reference documents beyond the model. Distributed Map is not
 * run locally (refused at start), so no Map Run exists and every well-formed Map Run
 * ARN is a missing resource.
 */
export const STEP_FUNCTIONS_RULES: readonly DocumentedRule[] = [
  {
    operations: ['StartExecution'],
    check: (body) => {
      if (typeof body.name !== 'string') return undefined;
      const problem = executionNameProblem(body.name);
      return problem === undefined
        ? undefined
        : new ApiError('InvalidName', `Invalid Name: '${body.name.toWellFormed()}' (${problem})`);
    },
  },
  {
    operations: ['StartExecution'],
    check: (body) => {
      if (typeof body.input !== 'string') return undefined;
      const bytes = Buffer.byteLength(body.input);
      if (bytes > MAX_EXECUTION_INPUT_BYTES) {
        return new ApiError(
          'InvalidExecutionInput',
          `Input of ${bytes} bytes exceeds the ${MAX_EXECUTION_INPUT_BYTES} bytes quota`,
        );
      }
      try {
        JSON.parse(body.input);
        return undefined;
      } catch (error) {
        return new ApiError(
          'InvalidExecutionInput',
          `Invalid State Machine Execution Input: '${error instanceof Error ? error.message : String(error)}'`,
        );
      }
    },
  },
  {
    operations: ['ListExecutions'],
    check: (body) => {
      const byMachine = body.stateMachineArn !== undefined;
      const byMapRun = body.mapRunArn !== undefined;
      if (byMachine === byMapRun) {
        return new ApiError(
          'ValidationException',
          byMachine
            ? 'Specify either a stateMachineArn or a mapRunArn, not both'
            : 'Must provide a StateMachine ARN or MapRun ARN',
        );
      }
      if (byMachine && body.statusFilter === 'PENDING_REDRIVE') {
        return new ApiError(
          'ValidationException',
          'The PENDING_REDRIVE statusFilter needs a mapRunArn; it cannot be used with a stateMachineArn',
        );
      }
      if (byMapRun) {
        const arn = String(body.mapRunArn);
        if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:mapRun:[^:]+\/[^:]+:[^:]+$/.test(arn)) {
          return new ApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
        }
        return new ApiError('ResourceNotFound', `Resource not found: '${arn}'`);
      }
      return undefined;
    },
  },
];
