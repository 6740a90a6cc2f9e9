/** A stand-in for a Slack incoming webhook, for the notification tests. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './http.ts';

export interface WebhookServer {
  /** Every JSON body POSTed so far, in arrival order. */
  readonly posts: unknown[];
  /** The URL of `path` on this server, e.g. `/services/T0/B0/x`. */
  url(path: string): string;
  close(): Promise<void>;
}

/** Starts a webhook on 127.0.0.1 (a free port) that answers 200 `ok` and records each POSTed JSON body. */
export async function startWebhookServer(): Promise<WebhookServer> {
  const posts: unknown[] = [];
  const server = createServer(async (request, response) => {
    posts.push(JSON.parse(await readBody(request)));
    response.writeHead(200).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    posts,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
