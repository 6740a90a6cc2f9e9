import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODE = path.join(REPO, 'node_modules', '.bin', 'node');

function batchctl(
  dataDir: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [path.join(REPO, 'cli', 'batchctl.ts'), ...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dataDir, SFN_BATCH_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Slow (the whole runtime in a child process): the local runtime's status change event reaches
// the notify logic, which POSTs to a real webhook server on 127.0.0.1.
describe('npm start failure notifications', () => {
  let dataDir: string;
  let runtime: ChildProcess | undefined;
  let webhook: Server | undefined;

  afterAll(async () => {
    if (runtime && runtime.exitCode === null) runtime.kill('SIGKILL');
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
    let output = '';
    const child = spawn(NODE, [path.join(REPO, 'local', 'main.ts'), '--no-schedule', '--port', '0'], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dataDir,
        SFN_BATCH_DATA_DIR: dataDir,
        SFN_BATCH_SEED_RECORDS: '100',
        SFN_BATCH_FAULTS: '{"capacityUnavailable":1}',
        SLACK_WEBHOOK_URL: `http://127.0.0.1:${port}/services/T0/B0/local`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    runtime = child;
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exit = new Promise((resolve) => child.on('exit', resolve));
    while (!output.includes('Run a job now')) {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // Act
    const started = await batchctl(dataDir, ['run', 'analyze-tables', '--name', 'analyze-tables-notify-me']);
    const stopped = await batchctl(dataDir, ['stop', 'analyze-tables-notify-me']);
    while (posts.length === 0 && child.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGINT');
    await exit;

    // Assess
    expect(started.code).toBe(0);
    expect(stopped.code).toBe(0);
    expect(output).toContain('Fault injection     {"capacityUnavailable":1} from SFN_BATCH_FAULTS');
    const message = JSON.stringify(posts[0]);
    expect(message).toContain('analyze-tables ABORTED');
    expect(message).toContain('StoppedByOperator');
    expect(message).toContain('*Owner*');
    expect(message).toContain('batchctl logs analyze-tables-notify-me');
  }, 240_000);
});
