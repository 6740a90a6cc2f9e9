import { ApiError } from '../api/validate-request.ts';

/** A Step Functions API error (AWS JSON 1.0): HTTP 400 with `{"__type": type, "message": ...}`, so SDKs raise typed errors. */
export class SfnApiError extends ApiError {
  override name = 'SfnApiError';
}

/**
 * An error a Task state fails with. Step Functions matches Retry/Catch on `name`
 * (the interpreter compares `error.name`), and the message becomes the Cause.
 */
export class TaskStateError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}
