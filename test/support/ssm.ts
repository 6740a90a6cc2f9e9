/**
 * A stand-in for SSM Parameter Store's GetParameter on 127.0.0.1, for tests that run
 * deployed code unchanged: the code reads its secrets from SSM as on AWS, and
 * `AWS_ENDPOINT_URL_SSM` (read by the AWS SDK itself) points it here.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './http.ts';

export interface TestSsm {
  /** What a process needs to reach this server through the SDK's own settings. */
  environment: Record<string, string>;
  /** Names asked for, in order. */
  readonly requests: string[];
  /** Every request, in order: its X-Amz-Target and JSON body. */
  readonly calls: { target: string; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

/** Serves `parameters` (name → value) as SecureStrings over the AWS JSON 1.1 protocol. */
export async function startTestSsm(parameters: Record<string, string>): Promise<TestSsm> {
  const requests: string[] = [];
  const calls: TestSsm['calls'] = [];
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    calls.push({ target: String(request.headers['x-amz-target']), body: jsonObject(body) });
    const reply = (status: number, payload: unknown) =>
      response
        .writeHead(status, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify(payload));
    if (request.headers['x-amz-target'] !== 'AmazonSSM.GetParameter') {
      reply(400, { __type: 'UnknownOperationException', message: `${request.headers['x-amz-target']}` });
      return;
    }
    const { Name: name } = JSON.parse(body) as { Name: string };
    requests.push(name);
    const value = parameters[name];
    if (value === undefined) {
      reply(400, { __type: 'ParameterNotFound', message: `Parameter ${name} not found.` });
      return;
    }
    reply(200, { Parameter: { Name: name, Type: 'SecureString', Value: value, Version: 1 } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    environment: { AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${port}` },
    requests,
    calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** `text` as a JSON object, or `{}` when it is not one (recorded, never fatal to the stand-in). */
function jsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
