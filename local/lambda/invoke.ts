import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WORKFLOW_LAMBDAS, workflowLambdaKey } from '../../lib/workflows/names.ts';
import { TaskStateError } from '../sfn/errors.ts';

export interface LambdaInvokerOptions {
  /** Folder holding `<functionName>/handler.ts`. */
  functionsDir: string;
  stage: string;
  /** Applied to `process.env` before a handler module loads and before each call (handlers read config at load). */
  environment: Record<string, string>;
}

type Handler = (event: unknown, context: LambdaContext) => unknown;

export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis: () => number;
  done: () => void;
  fail: () => void;
  succeed: () => void;
}

/**
 * Invokes the Lambda handlers of `functions/` in-process, as the local stand-in for
 * Lambda. A thrown error surfaces as Step Functions does for Lambda: Error = the
 * error's `name`, Cause = `{"errorType","errorMessage","trace"}` as JSON.
 */
export class LambdaInvoker {
  private readonly options: LambdaInvokerOptions;
  private readonly handlers = new Map<string, Promise<Handler>>();

  constructor(options: LambdaInvokerOptions) {
    this.options = options;
  }

  /**
   * Resolves `arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]` to a handler file:
   * a workflow Lambda (`sfn-batch-<stage>-<key>`) to its folder in WORKFLOW_LAMBDAS, any
   * other name to the folder of that name.
   */
  private handlerFile(functionArn: string): { functionName: string; file: string } {
    const match = /^arn:aws:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/.exec(functionArn);
    const functionName = match?.[1] ?? functionArn;
    const key = workflowLambdaKey(this.options.stage, functionName);
    const folder = key === undefined ? functionName : WORKFLOW_LAMBDAS[key].folder;
    return { functionName, file: path.join(this.options.functionsDir, folder, 'handler.ts') };
  }

  async invoke(functionArn: string, event: unknown, timeoutSeconds: number): Promise<unknown> {
    const { functionName, file } = this.handlerFile(functionArn);
    if (!existsSync(file)) {
      throw new TaskStateError(
        'Lambda.ResourceNotFoundException',
        `Function not found: ${functionArn} (the local runtime looked for ${file}; workflow Lambdas are listed in lib/workflows/names.ts)`,
      );
    }
    Object.assign(process.env, this.options.environment);
    let loading = this.handlers.get(file);
    if (loading === undefined) {
      // One module instance per environment: handlers build their clients from process.env at load,
      // so a second runtime in the same process (another port) must not reuse the first one's clients.
      const instance = createHash('sha256')
        .update(JSON.stringify(this.options.environment))
        .digest('hex')
        .slice(0, 12);
      loading = import(`${pathToFileURL(file).href}?environment=${instance}`).then(
        (module: { handler?: unknown }) => {
          if (typeof module.handler !== 'function') {
            throw new TaskStateError(
              'Lambda.ResourceNotFoundException',
              `${file} does not export a handler function (export const handler = ...)`,
            );
          }
          return module.handler as Handler;
        },
      );
      this.handlers.set(file, loading);
    }
    const handler = await loading;
    const deadline = Date.now() + timeoutSeconds * 1000;
    const requestId = randomUUID();
    const context: LambdaContext = {
      awsRequestId: requestId,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: functionArn,
      memoryLimitInMB: '128',
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    try {
      // Round-trip through JSON like the Lambda service does, so handlers never share objects with the interpreter.
      const result = await handler(JSON.parse(JSON.stringify(event ?? null)), context);
      return result === undefined ? null : JSON.parse(JSON.stringify(result));
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      const trace = error instanceof Error ? (error.stack ?? '').split('\n') : [];
      throw new TaskStateError(name, JSON.stringify({ errorType: name, errorMessage: message, trace }));
    }
  }
}
