/** Small pieces of the local HTTP stand-ins (webhook, SSM) in test/support. */
import type { IncomingMessage } from 'node:http';

/** The whole request body as text. */
export async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}
