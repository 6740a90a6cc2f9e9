import type { ApiModel } from './api-model.ts';
import {
  ApiError,
  findViolations,
  modelledRequest,
  type Violation,
  validationMessage,
} from './validate-request.ts';

/**
 * A constraint the API reference documents but the model cannot express (a name's
 * characters, members that exclude each other). One table per service, checked after
 * the model's own constraints; each rule answers with an error its operation lists.
 */
export interface DocumentedRule {
  operations: readonly string[];
  /** An error when the request breaks the rule, else undefined. */
  check: (body: Record<string, unknown>, operation: string) => ApiError | undefined;
}

/** One AWS JSON-protocol service served by the local endpoint. */
export interface JsonApiService {
  model: ApiModel;
  /**
   * The error for a broken model constraint of a member with a dedicated error, by the
   * member's shape (`Arn` → `InvalidArn`), used where the operation lists that error.
   */
  errorsByShape: Record<string, string>;
  /** The service's generic validation errors, most preferred first: the first one the operation lists, else the first (an error common to all actions). */
  validationErrors: readonly string[];
  rules: readonly DocumentedRule[];
  call: (operation: string, body: Record<string, unknown>) => Promise<unknown>;
}

/**
 * Validates a request against the model and the documented rules, then runs it.
 * Every error is one the operation's model lists (or the service's validation error,
 * which AWS's API reference lists among the errors common to all actions).
 */
export async function callJsonApi(
  service: JsonApiService,
  operation: string,
  body: unknown,
): Promise<unknown> {
  return service.call(operation, checkJsonApiRequest(service, operation, body));
}

/** The request as the operation receives it (null members dropped), or the ApiError AWS would answer. */
export function checkJsonApiRequest(
  service: Pick<JsonApiService, 'model' | 'errorsByShape' | 'validationErrors' | 'rules'>,
  operation: string,
  body: unknown,
): Record<string, unknown> {
  const definition = service.model.operations[operation];
  if (definition === undefined) {
    throw new ApiError(
      'UnknownOperationException',
      `The local ${service.model.metadata.serviceId} API does not implement ${operation}. Implemented: ${Object.keys(service.model.operations).join(', ')}.`,
    );
  }
  const violations = findViolations(service.model, operation, body);
  if (violations.length > 0) {
    throw new ApiError(
      errorForViolations(service, definition.errors, violations),
      validationMessage(violations),
    );
  }
  const request = modelledRequest(service.model, operation, body);
  for (const rule of service.rules) {
    if (!rule.operations.includes(operation)) continue;
    const error = rule.check(request, operation);
    if (error !== undefined) throw error;
  }
  return request;
}

function errorForViolations(
  service: Pick<JsonApiService, 'errorsByShape' | 'validationErrors'>,
  listed: string[],
  violations: Violation[],
): string {
  const generic = service.validationErrors.find((error) => listed.includes(error));
  // A missing member is a plain validation error where the operation has one.
  if (generic !== undefined && violations.every((violation) => violation.kind === 'required')) return generic;
  // A member with its own error (an ARN → InvalidArn, a name → InvalidName) gets it where the operation lists it.
  for (const violation of violations) {
    const specific = service.errorsByShape[violation.shape];
    if (specific !== undefined && listed.includes(specific)) return specific;
  }
  return generic ?? service.validationErrors[0] ?? 'ValidationException';
}
