import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, refusal } from '../../local/console/request-guard.ts';

function requestWith(method: string, headers: Record<string, string>): IncomingMessage {
  return { method, headers } as unknown as IncomingMessage;
}

describe('console request guard', () => {
  it('accepts loopback names with the server port only', () => {
    expect(isLoopbackHost('127.0.0.1:8083', 8083)).toBe(true);
    expect(isLoopbackHost('localhost:8083', 8083)).toBe(true);
    expect(isLoopbackHost('[::1]:8083', 8083)).toBe(true);
    expect(isLoopbackHost('LOCALHOST:8083', 8083)).toBe(true);
    expect(isLoopbackHost('localhost:8084', 8083)).toBe(false);
    expect(isLoopbackHost('localhost', 8083)).toBe(false);
    expect(isLoopbackHost('127.0.0.1.attacker.example:8083', 8083)).toBe(false);
    expect(isLoopbackHost('attacker.example:8083', 8083)).toBe(false);
  });

  it('refuses a rebound Host, a foreign Origin and form-style posts', () => {
    expect(refusal(requestWith('GET', { host: 'attacker.example:8083' }), 8083)?.status).toBe(421);
    expect(refusal(requestWith('GET', {}), 8083)?.status).toBe(421);
    expect(
      refusal(requestWith('GET', { host: '127.0.0.1:8083', origin: 'https://attacker.example' }), 8083)
        ?.status,
    ).toBe(403);
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '',
    ]) {
      expect(
        refusal(requestWith('POST', { host: '127.0.0.1:8083', 'content-type': type }), 8083)?.status,
      ).toBe(415);
    }
  });

  it('lets same-origin pages, the SDKs and the CLI through', () => {
    expect(refusal(requestWith('GET', { host: '127.0.0.1:8083' }), 8083)).toBeUndefined();
    expect(
      refusal(requestWith('GET', { host: 'localhost:8083', origin: 'http://localhost:8083' }), 8083),
    ).toBeUndefined();
    expect(
      refusal(
        requestWith('POST', { host: '127.0.0.1:8083', 'content-type': 'application/x-amz-json-1.0' }),
        8083,
      ),
    ).toBeUndefined();
    expect(
      refusal(requestWith('POST', { host: '127.0.0.1:8083', 'content-type': 'application/json' }), 8083),
    ).toBeUndefined();
  });
});
