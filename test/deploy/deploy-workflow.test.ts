// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${{ ... }} here is GitHub Actions expression syntax, not a JS template
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionUrl } from '#functions/notify-failure/block-kit.ts';
import type { JobSpec } from '#lib/schedule/job-spec.ts';
import { loadJobSpecs } from '#lib/schedule/load.ts';
import type { LocalRuntime } from '#local/runtime.ts';
import type { Definition } from '#local/sfn/service.ts';
import { sfnClient, startTestRuntime, taskDefinition } from '../local-runtime/helpers.ts';
import { batchctl, REPO } from '../support/processes.ts';
import { DEPLOY_WORKFLOW, readDeployWorkflow, runStep, stepScript } from './workflow-steps.ts';

const workflow = readDeployWorkflow();
const deploySteps = workflow.jobs.deploy?.steps ?? [];
const containers = readdirSync(path.join(REPO, 'containers')).filter((name) =>
  existsSync(path.join(REPO, 'containers', name, 'Dockerfile')),
);

describe('the deploy GitHub Actions workflow', () => {
  it('passes the GitHub workflow schema', () => {
    const state = validateWorkflow(readFileSync(DEPLOY_WORKFLOW, 'utf8'));

    expect(state.errors).toEqual([]);
  });

  it('is rejected by the same check when broken', () => {
    const broken = readFileSync(DEPLOY_WORKFLOW, 'utf8').replace('id-token: write', 'id-token: writ');

    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
  });

  it('runs on pushes to main and by hand with a stage and an optional commit', () => {
    expect(workflow.on.push).toEqual({ branches: ['main'] });
    expect(Object.keys(workflow.on.workflow_dispatch?.inputs ?? {})).toEqual(['stage', 'ref']);
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('deploys only after the CI checks, in the stage’s protected environment, one deploy per stage at a time', () => {
    const checks = workflow.jobs.checks;
    const deploy = workflow.jobs.deploy;

    expect(checks?.steps.map((step) => step.run ?? '')).toContain('.ci/run');
    expect(deploy?.needs).toEqual(['resolve', 'checks']);
    expect(deploy?.environment).toEqual({ name: '${{ needs.resolve.outputs.stage }}' });
    expect(deploy?.concurrency).toEqual({
      group: 'deploy-${{ needs.resolve.outputs.stage }}',
      'cancel-in-progress': false,
    });
  });

  it('reaches AWS through OIDC with the environment’s deploy role and no stored keys', () => {
    const credentials = deploySteps.find((step) =>
      step.uses?.startsWith('aws-actions/configure-aws-credentials'),
    );
    const text = readFileSync(DEPLOY_WORKFLOW, 'utf8');

    expect(workflow.jobs.deploy?.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    expect(credentials?.with).toMatchObject({ 'role-to-assume': '${{ vars.AWS_DEPLOY_ROLE_ARN }}' });
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|secrets\./);
  });

  it('builds every containers/*/Dockerfile with Buildx from the repository root, tagged with the commit, before deploying', () => {
    const builds = deploySteps.filter((step) => step.uses?.startsWith('docker/build-push-action'));
    const order = (name: string) => deploySteps.findIndex((step) => step.name === name);

    expect(containers.sort()).toEqual(['batch-jobs', 'xlsx-converter']);
    expect(deploySteps.some((step) => step.uses?.startsWith('docker/setup-buildx-action'))).toBe(true);
    expect(builds.map((step) => step.with?.file).sort()).toEqual(
      containers.map((name) => `containers/${name}/Dockerfile`),
    );
    for (const build of builds) {
      const name = String(build.with?.file).split('/')[1];
      expect(build.with).toMatchObject({
        context: '.',
        push: true,
        platforms: 'linux/amd64',
        tags: `\${{ steps.ecr.outputs.registry }}/sfn-batch/${name}:\${{ needs.resolve.outputs.sha }}`,
      });
      expect(deploySteps.indexOf(build)).toBeLessThan(order('Deploy'));
    }
    expect(order('Refuse to remove a job that is running')).toBeLessThan(order('Deploy'));
    expect(order('Package')).toBeLessThan(order('Deploy'));
    expect(order('Deploy')).toBeLessThan(order('Smoke test'));
    expect(stepScript(workflow, 'deploy', 'Deploy')).toContain('npx osls deploy --stage "$STAGE"');
    expect(stepScript(workflow, 'deploy', 'Deploy')).toContain('--param "imageTag=$IMAGE_TAG"');
  });

  it('never puts an input or variable expression into shell text (they go through env)', () => {
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps) expect(step.run ?? '', step.name).not.toContain('${{');
    }
  });

  it('stages a build context that has everything each Dockerfile copies', () => {
    // Prepare: the context Buildx sends, staged by .dockerignore's allow-list.
    const context = mkdtempSync(path.join(tmpdir(), 'sfn-batch-context-'));
    try {
      const patterns = readFileSync(path.join(REPO, '.dockerignore'), 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'));
      expect(patterns[0]).toBe('*');
      const excludedSuffixes = patterns
        .filter((pattern) => pattern.startsWith('**/*'))
        .map((pattern) => pattern.slice('**/*'.length));
      for (const included of patterns.filter((pattern) => pattern.startsWith('!'))) {
        const entry = included.slice(1).replace(/\/$/, '');
        cpSync(path.join(REPO, entry), path.join(context, entry), {
          recursive: true,
          filter: (source) => !excludedSuffixes.some((suffix) => source.endsWith(suffix)),
        });
      }

      // Act + Assess
      for (const name of containers) {
        const dockerfile = readFileSync(path.join(REPO, 'containers', name, 'Dockerfile'), 'utf8');
        const sources = [...dockerfile.matchAll(/^COPY\s+(?!--from)(.+)\s+\S+\s*$/gm)].flatMap((match) =>
          (match[1] ?? '').trim().split(/\s+/),
        );
        expect(sources.length, name).toBeGreaterThan(0);
        for (const source of sources)
          expect(existsSync(path.join(context, source)), `${name}: ${source}`).toBe(true);
        expect(existsSync(path.join(context, 'containers', name, 'main.ts')), name).toBe(true);
      }
      expect(existsSync(path.join(context, 'test'))).toBe(false);
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
  });
});

describe('the "Resolve the stage and the commit to deploy" step', () => {
  const script = stepScript(workflow, 'resolve', 'Resolve the stage and the commit to deploy');
  let repository: string;
  const commits: Record<string, string> = {};

  beforeAll(() => {
    repository = mkdtempSync(path.join(tmpdir(), 'sfn-batch-resolve-'));
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: repository,
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@e',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@e',
        },
      }).trim();
    git('init', '--quiet', '--initial-branch', 'main');
    git('commit', '--quiet', '--allow-empty', '-m', 'older');
    commits.older = git('rev-parse', 'HEAD');
    git('commit', '--quiet', '--allow-empty', '-m', 'latest');
    commits.latest = git('rev-parse', 'HEAD');
    git('update-ref', 'refs/remotes/origin/main', 'HEAD');
    git('checkout', '--quiet', '-b', 'unreviewed');
    git('commit', '--quiet', '--allow-empty', '-m', 'not merged');
    commits.unreviewed = git('rev-parse', 'HEAD');
  });

  afterAll(() => rmSync(repository, { recursive: true, force: true }));

  const run = (env: Record<string, string>) =>
    runStep(script, {
      cwd: repository,
      env: { GITHUB_SHA: commits.latest ?? '', INPUT_STAGE: '', INPUT_REF: '', ...env },
    });

  it('deploys the pushed commit to prod on a push', async () => {
    const result = await run({});

    expect(result.code).toBe(0);
    expect(result.output).toBe(`stage=prod\nsha=${commits.latest}\n`);
  });

  it('deploys an older commit of main to the chosen stage (a rollback)', async () => {
    const result = await run({ INPUT_STAGE: 'staging', INPUT_REF: (commits.older ?? '').slice(0, 10) });

    expect(result.code).toBe(0);
    expect(result.output).toBe(`stage=staging\nsha=${commits.older}\n`);
    expect(result.summary).toContain(`Deploying \`${commits.older}\` to stage \`staging\``);
  });

  it('refuses a commit that is not on main', async () => {
    const result = await run({ INPUT_REF: commits.unreviewed ?? '' });

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`::error::${commits.unreviewed} is not on main`);
    expect(result.output).toBe('');
  });

  it('refuses a stage name that is not a valid sfn-batch stage, or an unknown ref', async () => {
    const badStage = await run({ INPUT_STAGE: 'Prod; rm -rf /' });
    const badRef = await run({ INPUT_REF: 'no-such-ref' });

    expect(badStage.code).toBe(1);
    expect(badStage.stdout).toContain('stage must be 1-12 lowercase letters or digits');
    expect(badRef.code).toBe(1);
    expect(badRef.stdout).toContain('"no-such-ref" is not a commit of this repository');
  });
});

// The steps that talk to AWS run here against the local runtime: the same script with
// `--stage "$STAGE"` swapped for `--endpoint-url` (the only change).
describe('the deploy-check and smoke steps against the local runtime', () => {
  const SMOKE_JOB = 'analyze-tables';
  const FAILING_JOB = 'aggregate-record-stats-daily';
  const REMOVED_JOB = 'refresh-search-index';
  let runtime: LocalRuntime;
  let project: string;

  const againstLocal = (script: string) => {
    expect(script).toContain('--stage "$STAGE"');
    return script.replace('--stage "$STAGE"', '--endpoint-url "$ENDPOINT"');
  };

  function withCommand(command: string[]): Definition {
    const definition = structuredClone(taskDefinition({ timeoutSeconds: 600 })) as unknown as {
      States: Record<
        string,
        { Parameters: { Overrides: { ContainerOverrides: Record<string, unknown>[] } } }
      >;
    };
    const [override] = definition.States['Run job task']?.Parameters.Overrides.ContainerOverrides ?? [];
    if (override) {
      delete override['Command.$'];
      override.Command = command;
    }
    return definition as unknown as Definition;
  }

  beforeAll(async () => {
    const specs = await loadJobSpecs();
    const pick = (name: string): JobSpec => {
      const job = specs.find((candidate) => candidate.name === name);
      if (!job) throw new Error(`schedules/${name}.yml is missing; the suite uses it`);
      return job;
    };
    runtime = await startTestRuntime(
      [
        { job: pick(SMOKE_JOB), definition: withCommand(['succeed']) },
        { job: pick(FAILING_JOB), definition: withCommand(['exit', '3']) },
        { job: pick(REMOVED_JOB), definition: withCommand(['sleep', '600000']) },
      ],
      { region: 'eu-west-1' },
    );
    // The project as the deploy sees it after REMOVED_JOB's file was deleted in a pull request.
    project = mkdtempSync(path.join(tmpdir(), 'sfn-batch-removal-'));
    mkdirSync(path.join(project, 'schedules'));
    mkdirSync(path.join(project, 'bin'));
    for (const file of ['_defaults.yml', `${SMOKE_JOB}.yml`, `${FAILING_JOB}.yml`]) {
      cpSync(path.join(REPO, 'schedules', file), path.join(project, 'schedules', file));
    }
    symlinkSync(path.join(REPO, 'bin', 'batchctl'), path.join(project, 'bin', 'batchctl'));
  });

  afterAll(async () => {
    await runtime?.close();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('smoke test: runs the job, waits for SUCCEEDED and links the execution’s console page in the summary', async () => {
    const result = await runStep(againstLocal(stepScript(workflow, 'deploy', 'Smoke test')), {
      cwd: REPO,
      env: { STAGE: 'test', SMOKE_JOB, ENDPOINT: runtime.endpoint },
    });
    const arn = /arn:aws:states:eu-west-1:\d+:execution:sfn-batch-test-analyze-tables:\S+/.exec(
      result.stdout,
    )?.[0];

    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(arn).toBeDefined();
    expect(result.summary).toContain('### Smoke test passed: `analyze-tables` SUCCEEDED');
    // The same console URL as the failure alerts' (one contract for links).
    expect(result.summary).toContain(
      `[${arn}](${executionUrl(arn ?? '', { kind: 'aws', region: 'eu-west-1', taskLogGroup: undefined })})`,
    );
  });

  it('smoke test: fails the workflow and says how to roll back when the run does not succeed', async () => {
    const result = await runStep(againstLocal(stepScript(workflow, 'deploy', 'Smoke test')), {
      cwd: REPO,
      env: { STAGE: 'test', SMOKE_JOB: FAILING_JOB, ENDPOINT: runtime.endpoint },
    });

    expect(result.code).toBe(1);
    expect(result.summary).toContain(`### Smoke test failed: \`${FAILING_JOB}\``);
    expect(result.summary).toContain('with an earlier SHA of main as `ref`');
    expect(result.summary).toContain('FAILED');
  });

  it('deploy check: passes when nothing is removed, and when a removed job is not running', async () => {
    const nothingRemoved = await runStep(
      againstLocal(stepScript(workflow, 'deploy', 'Refuse to remove a job that is running')),
      { cwd: REPO, env: { STAGE: 'test', ENDPOINT: runtime.endpoint } },
    );
    const idleRemoval = await runStep(
      againstLocal(stepScript(workflow, 'deploy', 'Refuse to remove a job that is running')),
      { cwd: project, env: { STAGE: 'test', ENDPOINT: runtime.endpoint } },
    );

    expect(nothingRemoved.code, nothingRemoved.stderr).toBe(0);
    expect(nothingRemoved.stdout).toContain('the deploy removes no state machine');
    expect(idleRemoval.code, idleRemoval.stderr).toBe(0);
    expect(idleRemoval.stdout).toContain(
      'removes sfn-batch-test-refresh-search-index: no running executions',
    );
  });

  it('deploy check: refuses when schedule files are invalid, since what the deploy removes is then unknown', async () => {
    const result = await batchctl(tmpdir(), [
      '--root',
      path.join(REPO, 'test', 'schedule', 'fixtures', 'broken'),
      'deploy-check',
      '--endpoint-url',
      runtime.endpoint,
    ]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'schedules/ has invalid files, so what the deploy would remove is unknown',
    );
    expect(result.stderr).toContain('many-mistakes.yml:2:11');
  });

  it('deploy check: refuses a deploy that removes a job whose execution is running, naming it', async () => {
    // Prepare
    await sfnClient(runtime.endpoint).send(
      new StartExecutionCommand({
        stateMachineArn: runtime.stateMachineArn(REMOVED_JOB),
        name: 'still-running',
        input: '{}',
      }),
    );

    // Act
    const result = await runStep(
      againstLocal(stepScript(workflow, 'deploy', 'Refuse to remove a job that is running')),
      { cwd: project, env: { STAGE: 'test', ENDPOINT: runtime.endpoint } },
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('removes sfn-batch-test-refresh-search-index: 1 RUNNING: still-running');
    expect(result.stderr).toContain(
      'refusing to deploy: it would delete sfn-batch-test-refresh-search-index',
    );
    expect(result.stderr).toContain('batchctl stop still-running');
  });
});

// A real failed deploy needs AWS. Here `npx` (osls) and `aws` are two-line stubs on PATH,
// so what runs is the step's own handling: the exit code and what the summary tells the team.
describe('the Deploy step’s report of a failed deploy', () => {
  let stubs: string;

  beforeAll(() => {
    stubs = mkdtempSync(path.join(tmpdir(), 'sfn-batch-stubs-'));
    writeFileSync(path.join(stubs, 'npx'), '#!/bin/sh\necho "npx $*"\nexit "$NPX_EXIT"\n', { mode: 0o755 });
    writeFileSync(
      path.join(stubs, 'aws'),
      '#!/bin/sh\ncase "$*" in *"cloudformation describe-stacks --stack-name sfn-batch-prod "*) echo "$STACK_STATUS" ;; *) exit 254 ;; esac\n',
      {
        mode: 0o755,
      },
    );
  });

  afterAll(() => rmSync(stubs, { recursive: true, force: true }));

  const deploy = (npxExit: number, stackStatus: string, extra: Record<string, string> = {}) =>
    runStep(stepScript(workflow, 'deploy', 'Deploy'), {
      cwd: REPO,
      env: {
        PATH: `${stubs}:${process.env.PATH ?? ''}`,
        NPX_EXIT: String(npxExit),
        STACK_STATUS: stackStatus,
        STAGE: 'prod',
        AWS_REGION: 'eu-west-1',
        IMAGE_TAG: 'abc123',
        SUBNET_IDS: 'subnet-0a,subnet-0b',
        SECURITY_GROUP_IDS: 'sg-0a',
        ASSIGN_PUBLIC_IP: 'DISABLED',
        ...extra,
      },
    });

  it('deploys the packaged stack with the image tag and reports success', async () => {
    const result = await deploy(0, 'UPDATE_COMPLETE');
    const withAlarmTopic = await deploy(0, 'UPDATE_COMPLETE', {
      ALARM_TOPIC_ARN: 'arn:aws:sns:eu-west-1:1:oncall',
    });

    expect(result.stdout).not.toContain('alarmTopicArn');
    expect(withAlarmTopic.stdout).toContain('--param alarmTopicArn=arn:aws:sns:eu-west-1:1:oncall');

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'npx osls deploy --stage prod --region eu-west-1 --package .serverless --param imageTag=abc123 --param subnetIds=subnet-0a,subnet-0b',
    );
    expect(result.summary).toBe('Deployed `abc123` to `sfn-batch-prod`.\n');
  });

  it('says that CloudFormation rolled back to the previous deployment, and fails', async () => {
    const result = await deploy(1, 'UPDATE_ROLLBACK_COMPLETE');

    expect(result.code).toBe(1);
    expect(result.summary).toContain('Stack status: `UPDATE_ROLLBACK_COMPLETE`.');
    expect(result.summary).toContain('### Deploy of `abc123` to `sfn-batch-prod` failed');
    expect(result.summary).toContain(
      'CloudFormation rolled sfn-batch-prod back: the previous deployment is still in place and running.',
    );
  });

  it('says what to do when the rollback itself failed, or the first deploy failed', async () => {
    const rollbackFailed = await deploy(1, 'UPDATE_ROLLBACK_FAILED');
    const firstDeploy = await deploy(1, 'ROLLBACK_COMPLETE');
    const beforeCloudFormation = await deploy(1, 'UPDATE_COMPLETE');

    expect(rollbackFailed.summary).toContain(
      'aws cloudformation continue-update-rollback --stack-name sfn-batch-prod',
    );
    expect(firstDeploy.summary).toContain(
      'delete the stack (aws cloudformation delete-stack --stack-name sfn-batch-prod)',
    );
    expect(beforeCloudFormation.summary).toContain('the previous deployment is untouched');
    for (const result of [rollbackFailed, firstDeploy, beforeCloudFormation]) expect(result.code).toBe(1);
  });
});

describe('the "Find images already in ECR" step', () => {
  it('marks a container whose SHA tag is already in ECR, so a rollback does not rebuild (aws stubbed)', async () => {
    // Prepare: an `aws` stub that knows one image, batch-jobs:abc123.
    const stubs = mkdtempSync(path.join(tmpdir(), 'sfn-batch-stubs-'));
    writeFileSync(
      path.join(stubs, 'aws'),
      '#!/bin/sh\ncase "$*" in "ecr describe-images --repository-name sfn-batch/batch-jobs --image-ids imageTag=abc123") exit 0 ;; *) exit 254 ;; esac\n',
      { mode: 0o755 },
    );
    try {
      // Act
      const result = await runStep(stepScript(workflow, 'deploy', 'Find images already in ECR'), {
        cwd: REPO,
        env: { PATH: `${stubs}:${process.env.PATH ?? ''}`, IMAGE_TAG: 'abc123' },
      });

      // Assess
      expect(result.code).toBe(0);
      expect(result.output).toBe('batch_jobs=true\nxlsx_converter=false\n');
    } finally {
      rmSync(stubs, { recursive: true, force: true });
    }
  });

  it('lists every container the workflow builds', () => {
    const script = stepScript(workflow, 'deploy', 'Find images already in ECR');

    expect(/for container in ([a-z -]+);/.exec(script)?.[1]?.split(' ').sort()).toEqual(containers.sort());
  });
});

describe('the "Check the environment\'s settings" step', () => {
  const script = stepScript(workflow, 'deploy', "Check the environment's settings");

  it('names every missing environment variable and the environment to set it in', async () => {
    const result = await runStep(script, {
      cwd: REPO,
      env: {
        STAGE: 'prod',
        AWS_DEPLOY_ROLE_ARN: 'arn:aws:iam::111122223333:role/x',
        AWS_REGION: '',
        SUBNET_IDS: '',
        SECURITY_GROUP_IDS: 'sg-0a',
      },
    });

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '::error::set the variables AWS_REGION SUBNET_IDS in the GitHub environment "prod"',
    );
  });

  it('passes when every setting is there', async () => {
    const result = await runStep(script, {
      cwd: REPO,
      env: {
        STAGE: 'prod',
        AWS_DEPLOY_ROLE_ARN: 'arn:aws:iam::111122223333:role/x',
        AWS_REGION: 'eu-west-1',
        SUBNET_IDS: 'subnet-0a',
        SECURITY_GROUP_IDS: 'sg-0a',
      },
    });

    expect(result.code).toBe(0);
  });
});
