import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSchedules } from '../../lib/schedule/load.ts';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.ts';
import { batchctl, isolatedEnv, NODE, REPO, runProcess } from '../support/processes.ts';

/** A project beside the repository: its own schedules/ and containers/, run with --schedules. */
function makeProject(container: { name: string; files: Record<string, string> }): string {
  const project = mkdtempSync(path.join(tmpdir(), 'sfn-batch-container-'));
  const schedules = path.join(project, 'schedules');
  mkdirSync(schedules);
  copyFileSync(path.join(REPO, 'schedules', '_defaults.yml'), path.join(schedules, '_defaults.yml'));
  writeFileSync(
    path.join(schedules, 'say-hello.yml'),
    `description: Says hello from a container added to containers/.\nschedule: cron(0 3 * * ? *)\ncontainer: ${container.name}\ncommand: [hello, world]\n`,
  );
  const folder = path.join(project, 'containers', container.name);
  mkdirSync(folder, { recursive: true });
  for (const [file, text] of Object.entries(container.files)) writeFileSync(path.join(folder, file), text);
  return project;
}

const HELLO_MAIN = "console.log('hello from a new container:', process.argv.slice(2).join(' '));\n";
const DOCKERFILE = 'FROM node:22-bookworm-slim\n';

describe('a schedule whose container is a new folder under containers/', () => {
  const projects: string[] = [];
  let runtime: LocalRuntime | undefined;

  afterAll(async () => {
    await runtime?.close();
    for (const project of projects) rmSync(project, { recursive: true, force: true });
  });

  it('runs in the local runtime when the folder has a main.ts and a Dockerfile', async () => {
    // Prepare: the jobs as npm start loads them, and the runtime on that project's containers/.
    const project = makeProject({ name: 'hello', files: { 'main.ts': HELLO_MAIN, Dockerfile: DOCKERFILE } });
    projects.push(project);
    const dataDir = path.join(project, 'data');
    const validated = await batchctl(dataDir, ['validate', '--root', project]);
    const { jobs, problems } = await loadSchedules(path.join(project, 'schedules'));
    runtime = await startLocalRuntime({
      jobs,
      dataDir,
      port: 0,
      stage: 'test',
      taskEnvironment: {},
      containersDir: path.join(project, 'containers'),
      warn: () => undefined,
    });
    const client = new SFNClient({
      endpoint: runtime.endpoint,
      region: 'ap-northeast-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });

    // Act
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: runtime.stateMachineArn('say-hello'), input: '{}' }),
    );
    let status = 'RUNNING';
    while (status === 'RUNNING') {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await client.send(new DescribeExecutionCommand({ executionArn }))).status ?? 'UNKNOWN';
    }
    const logs = await fetch(
      `${runtime.endpoint}/_local/logs?executionArn=${encodeURIComponent(executionArn ?? '')}`,
    );

    // Assess
    expect(validated.stdout).toMatch(/^OK: 1 jobs valid/);
    expect(problems).toEqual([]);
    expect(status).toBe('SUCCEEDED');
    expect(await logs.text()).toContain('hello from a new container: hello world');
  }, 60_000);

  it('is refused by validate and npm start alike, with one located error, when main.ts is missing', async () => {
    // Prepare
    const project = makeProject({ name: 'half-done', files: { Dockerfile: DOCKERFILE } });
    projects.push(project);
    const dataDir = path.join(project, 'data');
    const expected =
      'schedules/say-hello.yml:3:12  container: containers/half-done/ is not a complete container: it has no main.ts (the entry point npm start runs)';

    // Act
    const validated = await batchctl(dataDir, ['validate', '--root', project]);
    const started = await runProcess(
      NODE,
      [path.join(REPO, 'local', 'main.ts'), '--schedules', path.join(project, 'schedules')],
      { cwd: REPO, env: isolatedEnv(project, { SFN_BATCH_DATA_DIR: dataDir }) },
    );

    // Assess
    expect(validated.code).toBe(1);
    expect(validated.stdout).toContain(expected);
    expect(started.code).toBe(1);
    expect(started.stderr).toContain(expected);
    expect(started.stderr).not.toMatch(/WorkflowSynthesisError|\n\s+at /);
  });
});
