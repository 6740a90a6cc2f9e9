import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualExecutionName, validateManualInput } from '../../cli/commands/run.ts';
import { createConsoleRoutes } from '../../local/console/routes.ts';
import { makeJob } from '../local-runtime/helpers.ts';

const purge = makeJob('purge-deleted-records', { defaultInput: { retentionDays: 30 } });

describe('console routes', () => {
  let server: Server;
  let base: string;
  let distDir: string;

  beforeAll(async () => {
    distDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-console-dist-'));
    mkdirSync(distDir, { recursive: true });
    writeFileSync(path.join(distDir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(path.join(distDir, 'app.js'), 'export {};');
    const routes = createConsoleRoutes({
      jobs: [purge],
      effective: new Map(),
      stateMachineArn: (job) =>
        `arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-local-${job}`,
      upcoming: () => undefined,
      validateInput: validateManualInput,
      manualExecutionName,
      distDir,
      now: () => new Date('2026-11-30T12:00:00Z'),
    });
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      void routes(request, response, url).then((handled) => {
        if (!handled) response.writeHead(599).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(distDir, { recursive: true, force: true });
  });

  const validate = (body: unknown, type = 'application/json') =>
    fetch(`${base}/_local/console/validate-input`, {
      method: 'POST',
      headers: { 'Content-Type': type },
      body: JSON.stringify(body),
    });

  interface Validation {
    problems: string[];
    input: unknown;
    name: string;
  }
  const validated = async (body: unknown) => (await (await validate(body)).json()) as Validation;

  it('serves the app for every console path and only plain asset names', async () => {
    const page = await fetch(`${base}/console/executions/arn%3Aaws%3Astates%3Ax`);
    const asset = await fetch(`${base}/console/assets/app.js`);
    const traversal = await fetch(`${base}/console/assets/..%2F..%2Fpackage.json`);
    const dotFile = await fetch(`${base}/console/assets/.env`);
    const other = await fetch(`${base}/_local/health`);

    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('<title>console</title>');
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(traversal.status).toBe(404);
    expect(dotFile.status).toBe(404);
    expect(other.status).toBe(599);
  });

  it('validates input by the execution-input rule and suggests a name', async () => {
    const good = await validated({ job: purge.name, input: '{"params": {"retentionDays": 7}}' });
    const typo = await validated({ job: purge.name, input: '{"params": {"retentionDayz": 7}}' });
    const syntax = await validated({ job: purge.name, input: '{"params": ' });

    expect(good).toEqual({
      problems: [],
      input: { trigger: 'manual', params: { retentionDays: 7 } },
      name: 'purge-deleted-records-manual-20261130T120000Z',
    });
    expect(typo.problems[0]).toContain('Did you mean "retentionDays"?');
    expect(typo.input).toBeNull();
    expect(syntax.problems[0]).toMatch(/^The input is not valid JSON: .*Nothing was started\.$/);
  });

  it('refuses validation requests that are not JSON, or name no known job', async () => {
    expect((await validate({ job: purge.name, input: '{}' }, 'text/plain')).status).toBe(415);
    expect((await validate({ job: 'nope', input: '{}' })).status).toBe(404);
    expect((await validate({ job: purge.name })).status).toBe(400);
  });

  it('answers job metadata and refuses calendar windows over 8 days', async () => {
    const jobs = (await (await fetch(`${base}/_local/console/jobs`)).json()) as { jobs: unknown[] };
    const detail = await fetch(`${base}/_local/console/jobs/${purge.name}`);
    const missing = await fetch(`${base}/_local/console/jobs/nope`);
    const malformed = await fetch(`${base}/_local/console/jobs/%E0%A4%A`);
    const wide = await fetch(
      `${base}/_local/console/calendar?from=2026-11-01T00:00:00Z&to=2026-11-20T00:00:00Z`,
    );
    const week = await fetch(
      `${base}/_local/console/calendar?from=2026-11-30T00:00:00Z&to=2026-12-07T00:00:00Z`,
    );
    const post = await fetch(`${base}/_local/console/jobs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
    });

    expect(jobs.jobs).toHaveLength(1);
    expect(((await detail.json()) as { nextRuns: string[] }).nextRuns).toHaveLength(10);
    expect(missing.status).toBe(404);
    expect(malformed.status).toBe(404);
    expect(wide.status).toBe(400);
    expect(((await week.json()) as { runs: unknown[] }).runs).toHaveLength(7);
    expect(post.status).toBe(405);
  });
});
