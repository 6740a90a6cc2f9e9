/** An API error in the AWS JSON 1.0 shape: HTTP 400 with `{"__type": type, "message": ...}`, so SDKs raise typed errors. */
export class SfnApiError extends Error {
  override name = 'SfnApiError';
  readonly type: string;
  readonly statusCode: number;

  constructor(type: string, message: string, statusCode = 400) {
    super(message);
    this.type = type;
    this.statusCode = statusCode;
  }
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
