import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.ts';
import type { Definition } from '../../local/sfn/service.ts';
import { makeJob, runtimesPerTest, sfnClient, tempDataDir, waitForStatus } from './helpers.ts';

const STATE_MACHINE = 'arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-test-pass';
const passDefinition: Definition = { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } };
const jobs = [{ job: makeJob('pass'), definition: passDefinition }];

/** Every path under `dir`, relative to it. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

describe('the execution store on disk', () => {
  const startRuntime = runtimesPerTest();
  let runtime: LocalRuntime;

  it('keeps executions with any name AWS accepts (.., ., dots, unicode) in their own folders across a restart', async () => {
    // Prepare
    const dataDir = tempDataDir();
    const names = ['..', '.', '...', '.hidden', 'a..b', '実行-1', "it's(1)=@!+", 'CON', '-', '_'];
    runtime = await startRuntime(jobs, { dataDir });
    const client = sfnClient(runtime.endpoint);
    for (const name of names) {
      const started = await client.send(
        new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name, input: JSON.stringify({ name }) }),
      );
      await waitForStatus(client, started.executionArn ?? '');
    }
    await runtime.close();

    // Act
    runtime = await startRuntime(jobs, { dataDir });
    const restarted = sfnClient(runtime.endpoint);
    const listed = await restarted.send(new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE }));

    // Assess
    expect(listed.executions?.map((execution) => execution.name).sort()).toEqual([...names].sort());
    for (const name of names) {
      const described = await restarted.send(
        new DescribeExecutionCommand({
          executionArn: `${STATE_MACHINE.replace('stateMachine', 'execution')}:${name}`,
        }),
      );
      expect(described).toMatchObject({ name, status: 'SUCCEEDED', input: JSON.stringify({ name }) });
    }
    const executionsDir = path.join(dataDir, 'sfn', 'executions');
    expect(readdirSync(executionsDir)).toEqual(['sfn-batch-test-pass']);
    const folders = readdirSync(path.join(executionsDir, 'sfn-batch-test-pass'));
    expect(folders).toHaveLength(names.length);
    for (const folder of folders) expect(folder).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('sets an execution with a truncated record.json aside, names the file, and starts with the others', async () => {
    // Prepare
    const dataDir = tempDataDir();
    runtime = await startRuntime(jobs, { dataDir });
    const client = sfnClient(runtime.endpoint);
    for (const name of ['intact', 'damaged']) {
      const started = await client.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name }));
      await waitForStatus(client, started.executionArn ?? '');
    }
    await runtime.close();
    const machineDir = path.join(dataDir, 'sfn', 'executions', 'sfn-batch-test-pass');
    const damagedFolder = readdirSync(machineDir).find((folder) => folder.startsWith('damaged-')) ?? '';
    const recordFile = path.join(machineDir, damagedFolder, 'record.json');
    writeFileSync(recordFile, readFileSync(recordFile, 'utf8').slice(0, 40));
    const warnings: string[] = [];

    // Act
    runtime = await startRuntime(jobs, { dataDir, warn: (message) => warnings.push(message) });
    const restarted = sfnClient(runtime.endpoint);

    // Assess
    expect(warnings.join('\n')).toContain(`${recordFile} is damaged`);
    expect(warnings.join('\n')).toContain(path.join(dataDir, 'sfn', 'quarantine'));
    expect(existsSync(path.join(machineDir, damagedFolder))).toBe(false);
    expect(tree(path.join(dataDir, 'sfn', 'quarantine')).some((file) => file.endsWith('record.json'))).toBe(
      true,
    );
    const intact = await restarted.send(
      new DescribeExecutionCommand({
        executionArn: `${STATE_MACHINE.replace('stateMachine', 'execution')}:intact`,
      }),
    );
    expect(intact.status).toBe('SUCCEEDED');
    await expect(
      restarted.send(
        new DescribeExecutionCommand({
          executionArn: `${STATE_MACHINE.replace('stateMachine', 'execution')}:damaged`,
        }),
      ),
    ).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });

  it('deletes the temporary files a killed runtime left mid-write and keeps the files they were replacing', async () => {
    // Prepare: what SIGKILL between writeFileSync and renameSync leaves (found by test/reliability/crash.test.ts).
    const dataDir = tempDataDir();
    runtime = await startRuntime(jobs, { dataDir });
    const client = sfnClient(runtime.endpoint);
    const started = await client.send(
      new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name: 'kept' }),
    );
    await waitForStatus(client, started.executionArn ?? '');
    await runtime.close();
    const machineDir = path.join(dataDir, 'sfn', 'executions', 'sfn-batch-test-pass');
    const executionDir = path.join(machineDir, readdirSync(machineDir)[0] ?? '');
    const leftovers = [
      path.join(dataDir, 'sfn', 'heartbeat.json.4242.tmp'),
      path.join(executionDir, 'record.json.4242.tmp'),
      path.join(executionDir, 'tasks', 'f00d.json.4242.tmp'),
    ];
    for (const file of leftovers) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, '{"half":');
    }

    // Act
    runtime = await startRuntime(jobs, { dataDir });

    // Assess
    for (const file of leftovers) expect(existsSync(file), file).toBe(false);
    expect(tree(path.join(dataDir, 'sfn')).filter((file) => file.endsWith('.tmp'))).toEqual([]);
    const kept = await sfnClient(runtime.endpoint).send(
      new DescribeExecutionCommand({ executionArn: started.executionArn ?? '' }),
    );
    expect(kept.status).toBe('SUCCEEDED');
  });

  it('moves the files of .. and . executions that an older version wrote outside their folders back in', async () => {
    // Prepare: the layout the old folder naming (the execution name itself) produced.
    const dataDir = tempDataDir();
    runtime = await startRuntime(jobs, { dataDir });
    const client = sfnClient(runtime.endpoint);
    for (const name of ['..', '.']) {
      const started = await client.send(new StartExecutionCommand({ stateMachineArn: STATE_MACHINE, name }));
      await waitForStatus(client, started.executionArn ?? '');
    }
    await runtime.close();
    const executionsDir = path.join(dataDir, 'sfn', 'executions');
    const machineDir = path.join(executionsDir, 'sfn-batch-test-pass');
    for (const folder of readdirSync(machineDir)) {
      const record = JSON.parse(readFileSync(path.join(machineDir, folder, 'record.json'), 'utf8')) as {
        name: string;
      };
      const oldPlace = record.name === '..' ? executionsDir : machineDir;
      for (const file of readdirSync(path.join(machineDir, folder))) {
        renameSync(path.join(machineDir, folder, file), path.join(oldPlace, file));
      }
      rmSync(path.join(machineDir, folder), { recursive: true });
    }
    const warnings: string[] = [];

    // Act
    runtime = await startRuntime(jobs, { dataDir, warn: (message) => warnings.push(message) });
    const restarted = sfnClient(runtime.endpoint);

    // Assess
    for (const name of ['..', '.']) {
      const executionArn = `${STATE_MACHINE.replace('stateMachine', 'execution')}:${name}`;
      expect(await restarted.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
        name,
        status: 'SUCCEEDED',
      });
      const history = await restarted.send(new GetExecutionHistoryCommand({ executionArn }));
      expect(history.events?.at(-1)?.type).toBe('ExecutionSucceeded');
    }
    expect(warnings.filter((warning) => warning.includes('an older version stored them'))).toHaveLength(2);
    expect(readdirSync(executionsDir)).toEqual(['sfn-batch-test-pass']);
  });

  it('starts although an older version left stray execution files in the executions folder itself', async () => {
    // Prepare: what a `..` execution left behind before execution folders stopped following names.
    const dataDir = tempDataDir();
    runtime = await startRuntime(jobs, { dataDir });
    await runtime.close();
    writeFileSync(path.join(dataDir, 'sfn', 'executions', 'definition.json'), '{}');
    writeFileSync(path.join(dataDir, 'sfn', 'executions', 'history.jsonl'), '');

    // Act
    runtime = await startRuntime(jobs, { dataDir });

    // Assess
    const listed = await sfnClient(runtime.endpoint).send(
      new ListExecutionsCommand({ stateMachineArn: STATE_MACHINE }),
    );
    expect(listed.executions).toEqual([]);
  });
});
