import { request } from 'node:http';

export interface RawResponse {
  status: number;
  type: string | undefined;
  message: string | undefined;
  body: Record<string, unknown>;
}

/** One AWS JSON-protocol call over plain HTTP: for what SDKs refuse to send. */
export function rawCall(
  endpoint: string,
  target: string,
  body: string | Buffer,
  jsonVersion = '1.0',
): Promise<RawResponse> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/',
        headers: {
          'Content-Type': `application/x-amz-json-${jsonVersion}`,
          'X-Amz-Target': target,
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {
            parsed = { text };
          }
          resolve({
            status: response.statusCode ?? 0,
            type: typeof parsed.__type === 'string' ? parsed.__type : undefined,
            message: typeof parsed.message === 'string' ? parsed.message : undefined,
            body: parsed,
          });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
