import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTransientStartFailure, startScheduledExecution } from '../../local/scheduled-start.ts';

type Answer = (request: IncomingMessage, response: ServerResponse) => void;

/** An AWS JSON 1.0 error answer, as the Step Functions API sends one. */
const awsError =
  (status: number, type: string, message: string): Answer =>
  (_request, response) => {
    response.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify({ __type: type, message }));
  };

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:hourly';

/**
 * The errors come from the real SDK client against a small HTTP server that answers each
 * request as told (or never, or drops it), so they have the shape the SDK throws: name, code,
 * $metadata.
 */
describe('which failed starts are retried, as EventBridge Scheduler retries', () => {
  const answers: Answer[] = [];
  let requests = 0;
  const server = createServer((request, response) => {
    requests += 1;
    request.resume();
    const answer = answers.shift();
    answer?.(request, response);
  });
  let endpoint = '';

  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    server.close();
  });

  const client = (options: { endpoint?: string; requestTimeout?: number } = {}) =>
    new SFNClient({
      endpoint: options.endpoint ?? endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      ...(options.requestTimeout
        ? { requestHandler: { requestTimeout: options.requestTimeout, throwOnRequestTimeout: true } }
        : {}),
    });

  /** What the SDK throws for one StartExecution answered by `answer`. */
  async function errorFor(answer: Answer, sdk = client()): Promise<unknown> {
    answers.push(answer);
    return sdk
      .send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'run-1', input: '{}' }))
      .then(
        () => expect.unreachable('StartExecution succeeded'),
        (error: unknown) => error,
      );
  }

  it('retries a refused connection', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');

    const error = await client({ endpoint: `http://127.0.0.1:${port}` })
      .send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE_ARN, name: 'run-1' }))
      .catch((thrown: unknown) => thrown);

    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isTransientStartFailure(error)).toBe(true);
  });

  it('retries a connection closed before the answer (socket hang up)', async () => {
    const error = await errorFor((request) => request.socket.destroy());

    expect(error).toMatchObject({ code: 'ECONNRESET', message: 'socket hang up' });
    expect(isTransientStartFailure(error)).toBe(true);
  });

  it('retries a request that timed out', async () => {
    const error = await errorFor(() => undefined, client({ requestTimeout: 100 }));

    expect(error).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
    expect(isTransientStartFailure(error)).toBe(true);
  });

  it('retries 5xx answers and throttling', async () => {
    const unavailable = await errorFor(awsError(503, 'ServiceUnavailable', 'try later'));
    const internal = await errorFor(awsError(500, 'InternalFailure', 'oops'));
    const throttled = await errorFor(awsError(400, 'ThrottlingException', 'Rate exceeded'));
    const tooMany = await errorFor(awsError(429, 'TooManyRequestsException', 'slow down'));

    expect(unavailable).toMatchObject({ $metadata: { httpStatusCode: 503 } });
    expect(throttled).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    expect([unavailable, internal, throttled, tooMany].map(isTransientStartFailure)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it('does not retry a 4xx answer, an answer the SDK cannot read, or an error of this process', async () => {
    const missing = await errorFor(awsError(400, 'StateMachineDoesNotExist', 'no such state machine'));
    const invalid = await errorFor(awsError(400, 'InvalidExecutionInput', 'not JSON'));
    const unreadable = await errorFor((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' });
      response.end('<html>proxy error page</html>');
    });
    const serialization = (() => {
      try {
        JSON.stringify({ rows: 10n });
      } catch (error) {
        return error;
      }
    })();

    expect(missing).toMatchObject({ name: 'StateMachineDoesNotExist', $metadata: { httpStatusCode: 400 } });
    expect(unreadable).toMatchObject({ $metadata: { httpStatusCode: 200 } });
    expect(serialization).toBeInstanceOf(TypeError);
    expect(
      [
        missing,
        invalid,
        unreadable,
        serialization,
        new TypeError("Cannot read properties of undefined (reading 'arn')"),
        'a string',
      ].map(isTransientStartFailure),
    ).toEqual([false, false, false, false, false, false]);
  });

  it('fails at once with a line that says why when the input cannot be sent', async () => {
    // Prepare
    const lines: string[] = [];
    const before = requests;

    // Act
    const started = startScheduledExecution(
      client(),
      { stateMachineArn: STATE_MACHINE_ARN, name: 'hourly-20261201T0000Z', input: { rows: 10n } },
      { log: (line) => lines.push(line), delayMs: () => 0 },
    );

    // Assess
    await expect(started).rejects.toBeInstanceOf(TypeError);
    expect(requests).toBe(before);
    expect(lines).toEqual([
      expect.stringMatching(
        /^scheduler: starting hourly-20261201T0000Z failed \(TypeError: .*BigInt.*\); not retried: EventBridge Scheduler retries only network errors, timeouts, throttling and 5xx answers$/,
      ),
    ]);
  });
});
