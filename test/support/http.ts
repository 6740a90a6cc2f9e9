/** Small pieces of HTTP for the tests: the local stand-ins' body reader (webhook, SSM), and a raw client. */
import { type IncomingMessage, request } from 'node:http';
import { connect } from 'node:net';

/** The whole request body as text. */
export async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

/** What `sendRequest` got back; status 0 with `error` when the connection ended without an answer. */
export interface PlainResponse {
  status: number;
  body: string;
  error?: string;
}

/**
 * One HTTP request exactly as given (node:http, which unlike fetch lets a test set Host and
 * send what browsers never would) to `endpoint` + `pathname`.
 */
export function sendRequest(
  endpoint: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<PlainResponse> {
  const url = new URL(endpoint);
  return new Promise((resolve) => {
    const outgoing = request(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'POST',
        path: options.path ?? '/',
        headers: {
          ...(options.body === undefined ? {} : { 'Content-Length': Buffer.byteLength(options.body) }),
          ...options.headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', (error) => resolve({ status: 0, body: '', error: error.message }));
      },
    );
    outgoing.on('error', (error) => resolve({ status: 0, body: '', error: error.message }));
    outgoing.end(options.body);
  });
}

/**
 * A slow client on a raw socket: writes `chunks` one every `intervalMs` (and then, when
 * `dribble` is set, one byte of it every `intervalMs` for ever), and resolves with what the
 * server sent back once it closes the connection, or after `giveUpMs`.
 */
export function slowClient(
  endpoint: string,
  options: { chunks: string[]; dribble?: string; intervalMs: number; giveUpMs: number },
): Promise<{ reply: string; closedByServer: boolean; elapsedMs: number }> {
  const url = new URL(endpoint);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let reply = '';
    let step = 0;
    const timer = setInterval(() => {
      const next = options.chunks[step] ?? options.dribble?.[step % (options.dribble.length || 1)];
      step++;
      if (next !== undefined && socket.writable) socket.write(next);
    }, options.intervalMs);
    const finish = (closedByServer: boolean) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ reply, closedByServer, elapsedMs: Date.now() - started });
    };
    const giveUp = setTimeout(() => finish(false), options.giveUpMs);
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
  });
}
