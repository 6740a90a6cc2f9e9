import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateManualInput } from '../../cli/commands/run.ts';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import { loadJobSpecs } from '../../lib/schedule/load.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.ts';
import { writeRuntimeFile } from '../../local/runtime-file.ts';
import { startedTask, taskDefinition } from '../local-runtime/helpers.ts';
import { batchctl, isolatedEnv, NODE, REPO, spawnWithOutput } from '../support/processes.ts';

// The local runtime suite's test container: `succeed`, `exit <code>`, `sleep <ms>`.
const TEST_CONTAINERS = path.join(REPO, 'test', 'local-runtime', 'fixtures', 'containers');

const SUCCEEDING = 'aggregate-record-stats-daily';
const FAILING = 'analyze-tables';
const SLOW = 'refresh-search-index';

// Spawns batchctl as a child process per call (about a second each): it proves the real CLI end to end.
describe('batchctl run, ps, stop, redrive and logs against a local runtime', () => {
  let runtime: LocalRuntime;
  let dataDir: string;
  let client: SFNClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-cli-ops-'));
    const catalogue = await loadJobSpecs();
    const pick = (name: string): JobSpec => {
      const job = catalogue.find((candidate) => candidate.name === name);
      if (!job) throw new Error(`schedules/${name}.yml is missing; the suite uses it`);
      return job;
    };
    runtime = await startLocalRuntime({
      jobs: [pick(SUCCEEDING), pick(FAILING), pick(SLOW)],
      definitions: {
        [SUCCEEDING]: taskDefinition({ command: ['succeed'], timeoutSeconds: 120 }),
        [FAILING]: taskDefinition({ command: ['exit', '3'], timeoutSeconds: 120 }),
        [SLOW]: taskDefinition({ command: ['sleep', '600000'], timeoutSeconds: 120 }),
      },
      dataDir: path.join(dataDir, 'runtime'),
      port: 0,
      stage: 'test',
      taskEnvironment: {},
      containersDir: TEST_CONTAINERS,
      stopTimeoutSeconds: 1,
      warn: () => undefined,
    });
    await writeRuntimeFile(dataDir, {
      endpoint: runtime.endpoint,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stage: 'test',
    });
    client = new SFNClient({
      endpoint: runtime.endpoint,
      region: 'ap-northeast-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });

  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function executionCount(job: string): Promise<number> {
    const listed = await client.send(
      new ListExecutionsCommand({ stateMachineArn: runtime.stateMachineArn(job) }),
    );
    return listed.executions?.length ?? 0;
  }

  it('runs a job and waits for SUCCEEDED', async () => {
    // Act
    const result = await batchctl(dataDir, ['run', SUCCEEDING, '--wait']);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`${SUCCEEDING}-manual-\\d{8}T\\d{6}Z: SUCCEEDED after`));
    expect(result.code).toBe(0);
  });

  it('exits non-zero with the error when the waited run fails', async () => {
    // Act
    const result = await batchctl(dataDir, ['run', FAILING, '--wait', '--name', 'analyze-tables-fails']);

    // Assess
    expect(result.stdout).toContain('analyze-tables-fails: FAILED');
    expect(result.stdout).toContain('error: States.TaskFailed');
    expect(result.code).toBe(1);
  });

  it('refuses an input with an unknown parameter and starts nothing', async () => {
    // Prepare
    const before = await executionCount(SUCCEEDING);

    // Act
    const result = await batchctl(dataDir, [
      'run',
      SUCCEEDING,
      '--input',
      '{"params":{"granularity":"weekly"},"scheduledTime":"yesterday"}',
    ]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`input refused for ${SUCCEEDING}; nothing was started`);
    expect(result.stderr).toContain('params.granularity is not a parameter');
    expect(result.stderr).toContain('scheduledTime must be an ISO 8601 instant');
    expect(await executionCount(SUCCEEDING)).toBe(before);
  });

  it('reads the input from a file given with @', async () => {
    // Prepare
    const file = path.join(dataDir, 'input.json');
    writeFileSync(file, '{"scheduledTime":"2026-11-01T00:00:00+09:00"}');

    // Act
    const result = await batchctl(dataDir, [
      'run',
      SUCCEEDING,
      '--input',
      `@${file}`,
      '--name',
      'from-file',
      '--wait',
    ]);

    // Assess
    expect(result.code).toBe(0);
    const described = await client.send(
      new DescribeExecutionCommand({
        executionArn: `${runtime.stateMachineArn(SUCCEEDING).replace(':stateMachine:', ':execution:')}:from-file`,
      }),
    );
    expect(JSON.parse(described.input ?? '{}')).toEqual({
      trigger: 'manual',
      scheduledTime: '2026-10-31T15:00:00.000Z',
    });
  });

  it('lists a running execution, stops it by name prefix, and redrives it', async () => {
    // Prepare
    const started = await batchctl(dataDir, ['run', SLOW, '--name', 'refresh-search-index-slow-run']);

    // Act
    const running = await batchctl(dataDir, ['ps', '--job', SLOW]);
    const stopped = await batchctl(dataDir, ['stop', 'refresh-search-index-slow']);
    const listed = await batchctl(dataDir, ['ps', '--all']);
    const redriven = await batchctl(dataDir, ['redrive', 'refresh-search-index-slow-run']);
    const stopAgain = await batchctl(dataDir, ['stop', 'refresh-search-index-slow-run']);

    // Assess
    expect(started.code).toBe(0);
    // STARTED names the zone in its header and gives each start its UTC offset.
    expect(running.stdout).toMatch(/^STATUS\s+JOB\s+STARTED \([\w/+-]+\)\s+DURATION\s+EXECUTION\n/);
    expect(running.stdout).toMatch(
      /RUNNING\s+refresh-search-index\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{2}:\d{2}\s+\S+.*refresh-search-index-slow-run/,
    );
    expect(stopped.stdout).toMatch(/^stopped arn:aws:states:.*:refresh-search-index-slow-run/);
    expect(listed.stdout).toMatch(/ABORTED\s+refresh-search-index/);
    expect(listed.stdout).toMatch(/SUCCEEDED\s+aggregate-record-stats-daily/);
    expect(redriven.code).toBe(0);
    expect(redriven.stdout).toContain('redriven arn:aws:states:');
    expect(stopAgain.code).toBe(0);
  });

  it('says that a finished execution had already ended, with its status, and exits 1', async () => {
    // Prepare
    await batchctl(dataDir, ['run', SUCCEEDING, '--name', 'finished-before-stop', '--wait']);

    // Act
    const result = await batchctl(dataDir, ['stop', 'finished-before-stop']);

    // Assess
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^batchctl: finished-before-stop had already ended: SUCCEEDED at \d{4}-\d{2}-\d{2}T[\d:.]+Z; nothing was stopped\n$/,
    );
    expect(result.code).toBe(1);
  });

  it("prints a task's output", async () => {
    // Act
    const result = await batchctl(dataDir, ['logs', 'analyze-tables-fails']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"message":"task started"');
    expect(result.stdout).toContain('err | a line on stderr');
    expect(result.stdout).toContain('=== stopped');
    expect(result.stdout).toContain('exit code 3');
  });

  it('follows the output of a running task until its execution ends', async () => {
    // Prepare
    await batchctl(dataDir, ['run', SLOW, '--name', 'refresh-search-index-followed']);

    // Act
    const following = batchctl(dataDir, ['logs', 'refresh-search-index-followed', '--follow']);
    const executionArn = `${runtime.stateMachineArn(SLOW).replace(':stateMachine:', ':execution:')}:refresh-search-index-followed`;
    // Stop only once the task has printed something, so there is output to follow.
    expect(await startedTask(runtime.endpoint, executionArn, 25_000)).toBeDefined();
    await batchctl(dataDir, ['stop', 'refresh-search-index-followed']);
    const result = await following;

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"command":"sleep"');
    expect(result.stdout).toContain('stopping on SIGTERM');
    expect(result.stdout).toMatch(/=== stopped .*exit code 143/);
  });

  it('follows the newest execution of a job given by its job name', async () => {
    // Prepare: an older finished run, then the newest one, still running.
    await batchctl(dataDir, ['run', SLOW, '--name', 'refresh-search-index-newest']);
    const executionArn = `${runtime.stateMachineArn(SLOW).replace(':stateMachine:', ':execution:')}:refresh-search-index-newest`;

    // Act: stop the run only once the follower has printed its header, so the header
    // shows the run as the follower found it (RUNNING) however slow the machine is.
    const following = spawnWithOutput(
      'batchctl logs --follow',
      NODE,
      [path.join(REPO, 'cli', 'batchctl.ts'), 'logs', SLOW, '--follow'],
      {
        cwd: REPO,
        env: isolatedEnv(dataDir, { SFN_BATCH_DATA_DIR: dataDir }),
      },
    );
    await following.waitForOutput('=== refresh-search-index-newest', 60_000);
    expect(await startedTask(runtime.endpoint, executionArn, 25_000)).toBeDefined();
    await batchctl(dataDir, ['stop', 'refresh-search-index-newest']);
    const code = await following.exit;

    // Assess (stdout and stderr interleaved: nothing but the logs)
    expect(code).toBe(0);
    expect(following.output).toMatch(
      /^=== refresh-search-index-newest \(RUNNING\), the newest execution of refresh-search-index\n/,
    );
    expect(following.output).toMatch(/=== stopped .*exit code 143/);
  });

  it('says which executions an ambiguous prefix matches', async () => {
    // Act
    const result = await batchctl(dataDir, ['stop', 'a']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/"a" matches \d+ executions/);
  });

  it('suggests the job meant when ps --job has a typo', async () => {
    // Act
    const result = await batchctl(dataDir, ['ps', '--job', 'refresh-serch-index']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown job "refresh-serch-index" in the local runtime at');
    expect(result.stderr).toContain('Did you mean "refresh-search-index"?');
  });

  it('tells the user to start the runtime when none is running', async () => {
    // Prepare
    const empty = mkdtempSync(path.join(tmpdir(), 'sfn-batch-cli-ops-empty-'));

    // Act
    const result = await batchctl(empty, ['ps']);
    rmSync(empty, { recursive: true, force: true });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no local runtime is running');
    expect(result.stderr).toContain('npm start');
  });
});

describe('manual input validation', () => {
  const job = {
    name: 'export-x',
    sourceFile: 'schedules/export-x.yml',
    defaultInput: { limit: 10, workspaces: [] },
  } as unknown as JobSpec;

  it('accepts known params with the default value type', () => {
    expect(validateManualInput(job, { params: { limit: 5 } })).toEqual({
      input: { trigger: 'manual', params: { limit: 5 } },
      problems: [],
    });
  });

  it('refuses a wrong value type and suggests the closest parameter name', () => {
    // Act
    const { problems } = validateManualInput(job, {
      params: { limit: '5', workspace: ['w1'] },
      trigge: 'manual',
    });

    // Assess
    expect(problems).toEqual([
      'unknown input key "trigge"; allowed keys are scheduledTime, trigger, params (and Comment, which is ignored). Did you mean "trigger"?',
      'params.limit must be a number like its default 10, got "5"',
      'params.workspace is not a parameter of export-x; it accepts limit, workspaces (input: in schedules/export-x.yml). Did you mean "workspaces"?',
    ]);
  });

  it('refuses an input that is not an object', () => {
    expect(validateManualInput(job, [1]).problems).toEqual([
      'the input must be a JSON object such as {"params": {}}, got array',
    ]);
  });
});
