import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { refusal, SECURITY_HEADERS } from '../console/request-guard.ts';
import { SfnApiError } from './errors.ts';

const MAX_BODY_BYTES = 1024 * 1024;

export interface ApiHandlers {
  /** An AWS JSON 1.0 operation (`X-Amz-Target: AWSStepFunctions.<operation>`). */
  call: (operation: string, body: unknown) => Promise<unknown>;
  /** Extra `GET /_local/...` routes for local tooling; undefined → 404. */
  local: (pathname: string, query: URLSearchParams) => unknown;
  /** Other routes on the same server (the console); resolves true when it answered the request. */
  routes?: (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>;
}

/**
 * The Step Functions endpoint: AWS JSON 1.0 over HTTP. Any SigV4 signature is
 * accepted unchecked (there are no credentials locally); errors use AWS's shape so
 * SDKs and the CLI raise their typed errors.
 */
export function createApiServer(handlers: ApiHandlers, warn: (message: string) => void): Server {
  return createServer((request, response) => {
    void handle(request, response, handlers).catch((error: unknown) => {
      warn(
        `local Step Functions API: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      if (!response.headersSent)
        send(response, 500, { __type: 'InternalServerError', message: String(error) });
    });
  });
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  handlers: ApiHandlers,
): Promise<void> {
  // Every route, the API included: DNS rebinding, cross-site posts (see request-guard.ts).
  const refused = refusal(request, request.socket.localPort ?? 0);
  if (refused !== undefined) {
    request.resume();
    const text = JSON.stringify({ __type: 'AccessDeniedException', message: refused.message });
    response.writeHead(refused.status, {
      ...SECURITY_HEADERS,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      Connection: 'close',
    });
    response.end(text);
    return;
  }
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (handlers.routes !== undefined && (await handlers.routes(request, response, url))) return;
  if (url.pathname.startsWith('/_local/')) {
    if (request.method !== 'GET')
      return send(response, 405, { message: 'Only GET is served under /_local/' });
    try {
      const result = handlers.local(url.pathname, url.searchParams);
      if (result === undefined) return send(response, 404, { message: `No local route ${url.pathname}` });
      return send(response, 200, result);
    } catch (error) {
      if (error instanceof SfnApiError)
        return send(response, error.statusCode, { __type: error.type, message: error.message });
      throw error;
    }
  }
  const target = request.headers['x-amz-target'];
  const operation =
    typeof target === 'string' && target.startsWith('AWSStepFunctions.') ? target.slice(17) : undefined;
  const raw = await readBody(request);
  if (request.method !== 'POST' || operation === undefined) {
    return sendError(
      response,
      new SfnApiError(
        'UnknownOperationException',
        'Expected POST with X-Amz-Target: AWSStepFunctions.<Operation>',
      ),
    );
  }
  let body: unknown;
  try {
    body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
  } catch {
    return sendError(response, new SfnApiError('SerializationException', 'Request body is not valid JSON'));
  }
  try {
    const result = await handlers.call(operation, body);
    send(response, 200, result ?? {});
  } catch (error) {
    if (error instanceof SfnApiError) return sendError(response, error);
    throw error;
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new SfnApiError('ValidationException', 'Request body exceeds 1 MiB');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function sendError(response: ServerResponse, error: SfnApiError): void {
  response.setHeader('x-amzn-ErrorType', error.type);
  send(response, error.statusCode, { __type: error.type, message: error.message });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
  });
  response.end(text);
}
