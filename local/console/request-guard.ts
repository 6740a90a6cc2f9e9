import type { IncomingMessage } from 'node:http';

/**
 * Checks every request to the local endpoint (console pages, job metadata, the Step
 * Functions API) makes before anything else runs. The server binds 127.0.0.1 only, but a
 * web page the developer visits can still aim requests at it; these checks keep such a
 * page from reading or changing anything.
 */

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Content types a cross-site HTML form can send without a CORS preflight. */
const SIMPLE_CONTENT_TYPES = new Set([
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
]);

export interface RefusedRequest {
  status: number;
  message: string;
}

/**
 * Why a request must be refused, or undefined when it may go on:
 * - a `Host` that is not a loopback name with this server's port (DNS rebinding: a
 *   hostile name that resolves to 127.0.0.1 would otherwise be same-origin with us);
 * - an `Origin` from another site (browsers send it on cross-origin fetches and posts);
 * - a POST a plain HTML form could send (no body type, or a "simple" one): every action
 *   here needs `application/json` or the AWS JSON types, which force a CORS preflight
 *   that this server never answers.
 */
export function refusal(request: IncomingMessage, port: number): RefusedRequest | undefined {
  const host = request.headers.host;
  if (host === undefined || !isLoopbackHost(host, port)) {
    return {
      status: 421,
      message: `Refused: Host ${JSON.stringify(host ?? '')} is not this local runtime. Use http://127.0.0.1:${port}/ (the runtime answers only loopback names with its own port).`,
    };
  }
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null' && !isLoopbackOrigin(origin, port)) {
    return { status: 403, message: `Refused: cross-origin request from ${origin}` };
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (type === '' || SIMPLE_CONTENT_TYPES.has(type)) {
      return {
        status: 415,
        message: `Refused: ${request.method} needs a JSON content type (application/json or application/x-amz-json-1.0), got ${JSON.stringify(type)}`,
      };
    }
  }
  return undefined;
}

export function isLoopbackHost(host: string, port: number): boolean {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.trim().toLowerCase());
  if (match === null) return false;
  const [, name, portText] = match;
  return name !== undefined && LOOPBACK_NAMES.has(name) && Number(portText ?? '80') === port;
}

function isLoopbackOrigin(origin: string, port: number): boolean {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' && isLoopbackHost(url.host, port);
  } catch {
    return false;
  }
}

/**
 * Headers on every console response. The CSP allows only this origin's own script,
 * styles and fetches (no inline script, no CDN), and no framing.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
