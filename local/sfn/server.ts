import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiError } from '../api/validate-request.ts';
import { refusal, SECURITY_HEADERS } from '../console/request-guard.ts';

/** AWS's request size limit for these APIs. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** A larger body is read and dropped up to this size (so the client sees the 413, not a reset it would retry), then the connection is cut. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * How long a client may take to send its headers, and its whole request. Past either, Node
 * answers 408 and closes the connection, so a slow or stalled client (slowloris) cannot hold
 * it for Node's defaults of 60 s and 5 min. Every client here is on this machine: a whole
 * 1 MiB request takes milliseconds.
 */
export interface RequestTimeouts {
  headersMs: number;
  requestMs: number;
}

export const DEFAULT_REQUEST_TIMEOUTS: RequestTimeouts = { headersMs: 10_000, requestMs: 30_000 };

/** One AWS JSON-protocol service on the endpoint, chosen by `X-Amz-Target: <targetPrefix>.<Operation>`. */
export interface ApiTarget {
  targetPrefix: string;
  /** `1.0` (Step Functions) or `1.1` (ECS): the response content type. */
  jsonVersion: string;
  call: (operation: string, body: unknown) => Promise<unknown>;
}

export interface ApiHandlers {
  targets: ApiTarget[];
  /** Extra `GET /_local/...` routes for local tooling; undefined → 404. */
  local: (pathname: string, query: URLSearchParams) => unknown;
  /** Other routes on the same server (the console); resolves true when it answered the request. */
  routes?: (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>;
}

/**
 * The local AWS endpoint: Step Functions (AWS JSON 1.0) and ECS (AWS JSON 1.1) over
 * HTTP. Any SigV4 signature is accepted unchecked (there are no credentials locally);
 * errors use AWS's shape so SDKs and the CLI raise their typed errors. Whatever a
 * client sends gets a 4xx answer; a 500 means a bug in the runtime.
 */
export function createApiServer(
  handlers: ApiHandlers,
  warn: (message: string) => void,
  timeouts: RequestTimeouts = DEFAULT_REQUEST_TIMEOUTS,
): Server {
  const options = {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    // Node checks the two timeouts on this interval (default 30 s, which would let a slow client
    // hold its connection up to 30 s longer than allowed).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, timeouts.headersMs / 4)),
  };
  return createServer(options, (request, response) => {
    void handle(request, response, handlers).catch((error: unknown) => {
      warn(`local AWS API: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!response.headersSent)
        send(response, 500, '1.0', { __type: 'InternalServerError', message: String(error) });
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
      return send(response, 405, '1.0', { message: 'Only GET is served under /_local/' });
    try {
      const result = handlers.local(url.pathname, url.searchParams);
      if (result === undefined)
        return send(response, 404, '1.0', { message: `No local route ${url.pathname}` });
      return send(response, 200, '1.0', result);
    } catch (error) {
      if (error instanceof ApiError) return sendError(response, '1.0', error);
      throw error;
    }
  }
  const targetHeader = request.headers['x-amz-target'];
  const [prefix, operation] = typeof targetHeader === 'string' ? splitTarget(targetHeader) : [];
  const target = handlers.targets.find((candidate) => candidate.targetPrefix === prefix);
  const jsonVersion = target?.jsonVersion ?? '1.0';
  const body = await readBody(request);
  if (body === 'too large') {
    response.setHeader('Connection', 'close');
    return sendError(
      response,
      jsonVersion,
      new ApiError(
        'RequestEntityTooLargeException',
        `Request body exceeds the ${MAX_BODY_BYTES} bytes (1 MiB) limit`,
        413,
      ),
    );
  }
  if (request.method !== 'POST' || target === undefined || operation === undefined) {
    return sendError(
      response,
      jsonVersion,
      new ApiError(
        'UnknownOperationException',
        `Expected POST with X-Amz-Target: <service>.<Operation>, one of ${handlers.targets.map((item) => item.targetPrefix).join(', ')}`,
      ),
    );
  }
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    return sendError(
      response,
      jsonVersion,
      new ApiError('SerializationException', 'Request body is not valid JSON'),
    );
  }
  try {
    const result = await target.call(operation, parsed);
    send(response, 200, jsonVersion, result ?? {});
  } catch (error) {
    if (error instanceof ApiError) return sendError(response, jsonVersion, error);
    throw error;
  }
}

function splitTarget(header: string): [string, string] | [] {
  const dot = header.lastIndexOf('.');
  return dot <= 0 ? [] : [header.slice(0, dot), header.slice(dot + 1)];
}

/** The body, or 'too large' once it passes 1 MiB (the rest is drained, or the socket cut past the drain limit). */
async function readBody(request: IncomingMessage): Promise<Buffer | 'too large'> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_DRAIN_BYTES) {
    request.resume();
    return 'too large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_DRAIN_BYTES) {
      request.destroy();
      return 'too large';
    }
    if (size <= MAX_BODY_BYTES) chunks.push(buffer);
  }
  return size > MAX_BODY_BYTES ? 'too large' : Buffer.concat(chunks);
}

function sendError(response: ServerResponse, jsonVersion: string, error: ApiError): void {
  response.setHeader('x-amzn-ErrorType', error.type);
  send(response, error.statusCode, jsonVersion, { __type: error.type, message: error.message });
}

function send(response: ServerResponse, status: number, jsonVersion: string, body: unknown): void {
  // Lone surrogates (echoed from a request) cannot be encoded as UTF-8: replace them.
  const text = JSON.stringify(body).toWellFormed();
  response.writeHead(status, {
    'Content-Type': `application/x-amz-json-${jsonVersion}`,
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
  });
  response.end(text);
}
