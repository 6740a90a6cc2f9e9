import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from './run-batchctl.ts';

const WORKFLOW = path.join(REPO, '.github', 'workflows', 'pull-request.yml');

describe('the pull-request GitHub Actions workflow', () => {
  it('passes the GitHub workflow schema', async () => {
    // Act
    const state = validateWorkflow(await readFile(WORKFLOW, 'utf8'));

    // Assess
    expect(state.errors).toEqual([]);
  });

  it('is rejected by the same check when broken', async () => {
    // Prepare: a typo in a permission level, which GitHub would refuse.
    const broken = (await readFile(WORKFLOW, 'utf8')).replace('contents: read', 'contents: reed');

    // Act
    const state = validateWorkflow(broken);

    // Assess
    expect(state.errors.length).toBeGreaterThan(0);
  });

  it('runs the tests and the schedule diff against the base branch, with least privilege', async () => {
    // Act
    const workflow = parse(await readFile(WORKFLOW, 'utf8')) as {
      on: Record<string, unknown>;
      permissions: Record<string, string>;
      jobs: Record<string, { steps: { run?: string; uses?: string; with?: Record<string, unknown> }[] }>;
    };

    // Assess
    expect(Object.keys(workflow.on)).toEqual(['pull_request']);
    expect(workflow.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    expect(steps.find((step) => step.uses?.startsWith('actions/checkout'))?.with).toMatchObject({
      'fetch-depth': 0,
    });
    expect(steps.find((step) => step.uses?.startsWith('actions/setup-node'))?.with).toMatchObject({
      'node-version': 22,
    });
    const commands = steps.map((step) => step.run ?? '').join('\n');
    expect(commands).toContain('npm ci');
    expect(commands).toContain('npm test');
    expect(commands).toContain(`batchctl -- diff --base "origin/\${BASE_REF}"`);
    expect(steps.some((step) => step.uses?.startsWith('actions/github-script'))).toBe(true);
  });
});
