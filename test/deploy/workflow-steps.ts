import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { type ProcessResult, REPO, runProcess } from '../support/processes.ts';

export const DEPLOY_WORKFLOW = path.join(REPO, '.github', 'workflows', 'deploy.yml');

export interface WorkflowStep {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

export interface WorkflowJob {
  name?: string;
  needs?: string | string[];
  'runs-on': string;
  container?: string;
  environment?: { name: string };
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  outputs?: Record<string, string>;
  steps: WorkflowStep[];
}

export interface Workflow {
  on: Record<string, { branches?: string[]; inputs?: Record<string, unknown> } | null>;
  permissions: Record<string, string>;
  jobs: Record<string, WorkflowJob>;
}

export function readDeployWorkflow(): Workflow {
  return parse(readFileSync(DEPLOY_WORKFLOW, 'utf8')) as Workflow;
}

/** The `run` script of the step called `name` in `job`; throws when the workflow has no such step. */
export function stepScript(workflow: Workflow, job: string, name: string): string {
  const step = workflow.jobs[job]?.steps.find((candidate) => candidate.name === name);
  if (step?.run === undefined) throw new Error(`deploy.yml has no run step "${name}" in job ${job}`);
  return step.run;
}

export interface StepRun extends ProcessResult {
  /** What the step appended to $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY. */
  output: string;
  summary: string;
}

/**
 * Runs a workflow step's script as GitHub's runner does for `run:` on Linux
 * (`bash --noprofile --norc -eo pipefail`), with the step's files for outputs and summary.
 */
export async function runStep(
  script: string,
  options: { cwd: string; env: Record<string, string> },
): Promise<StepRun> {
  const files = mkdtempSync(path.join(tmpdir(), 'sfn-batch-step-'));
  const outputFile = path.join(files, 'output');
  const summaryFile = path.join(files, 'summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const result = await runProcess('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: files,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      ...options.env,
    },
  });
  return {
    ...result,
    output: readFileSync(outputFile, 'utf8'),
    summary: readFileSync(summaryFile, 'utf8'),
  };
}

/**
 * A copy of what packaging reads (with node_modules linked), so a packaging run here
 * cannot collide with another suite's in the repository's .serverless/ and dist/.
 */
export function packagingCopy(): string {
  const copy = mkdtempSync(path.join(tmpdir(), 'sfn-batch-package-'));
  for (const entry of [
    'containers',
    'functions',
    'lib',
    'schedules',
    'scripts',
    'serverless',
    'statemachines',
    'package.json',
    'serverless.yml',
    'tsconfig.json',
  ]) {
    cpSync(path.join(REPO, entry), path.join(copy, entry), { recursive: true });
  }
  symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'));
  return copy;
}
