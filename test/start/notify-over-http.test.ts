import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchctl, type OutputProcess, startNpmStart } from '../support/processes.ts';

// Slow (the whole runtime in a child process): the local runtime's status change event reaches
// the notify logic, which POSTs to a real webhook server on 127.0.0.1.
describe('npm start failure notifications', () => {
  let dataDir: string;
  let runtime: OutputProcess | undefined;
  let webhook: Server | undefined;

  afterAll(async () => {
    if (runtime && runtime.child.exitCode === null) runtime.child.kill('SIGKILL');
    webhook?.closeAllConnections();
    await new Promise((resolve) => webhook?.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('posts an ABORTED execution to the Slack webhook with job, status and owner', async () => {
    // Prepare: every RunTask fails with a capacity error, so the run waits in its retries until stopped.
    const posts: unknown[] = [];
    webhook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        posts.push(JSON.parse(body));
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => webhook?.listen(0, '127.0.0.1', resolve));
    const { port } = webhook.address() as AddressInfo;
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-notify-'));
    runtime = startNpmStart(dataDir, ['--no-schedule', '--port', '0'], {
      SFN_BATCH_SEED_RECORDS: '100',
      SFN_BATCH_FAULTS: '{"capacityUnavailable":1}',
      SLACK_WEBHOOK_URL: `http://127.0.0.1:${port}/services/T0/B0/local`,
    });
    await runtime.waitForOutput('Run a job now');

    // Act
    const started = await batchctl(dataDir, ['run', 'analyze-tables', '--name', 'analyze-tables-notify-me']);
    const stopped = await batchctl(dataDir, ['stop', 'analyze-tables-notify-me']);
    await runtime.waitWhileRunning(() => posts.length > 0);
    runtime.child.kill('SIGINT');
    await runtime.exit;

    // Assess
    expect(started.code).toBe(0);
    expect(stopped.code).toBe(0);
    expect(runtime.output).toContain('Fault injection     {"capacityUnavailable":1} from SFN_BATCH_FAULTS');
    const message = JSON.stringify(posts[0]);
    expect(message).toContain('analyze-tables ABORTED');
    expect(message).toContain('StoppedByOperator');
    expect(message).toContain('*Owner*');
    expect(message).toContain('batchctl logs analyze-tables-notify-me');
  }, 240_000);
});
