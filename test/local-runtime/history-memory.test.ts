// The execution store keeps a history in memory only while its execution runs: found by the
// month-in-minutes scenario (docs/reliability.md), where ~10,000 finished executions' histories
// grew the runtime's RSS by ~17 MB a simulated day.
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { type ExecutionRecord, ExecutionStore } from '../../local/store/execution-store.ts';
import {
  makeJob,
  runtimesPerTest,
  sfnClient,
  taskDefinition,
  tempDataDir,
  waitForStatus,
} from './helpers.ts';

const STATE_MACHINE = 'arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-test-pass';

function runningRecord(name: string): ExecutionRecord {
  return {
    executionArn: `${STATE_MACHINE.replace('stateMachine', 'execution')}:${name}`,
    stateMachineArn: STATE_MACHINE,
    job: 'pass',
    name,
    status: 'RUNNING',
    startDate: '2026-11-30T00:00:00.000Z',
    input: '{}',
    redriveCount: 0,
    runtimePid: process.pid,
    updatedAt: '2026-11-30T00:00:00.000Z',
  };
}

describe('execution history in the store', () => {
  it('reads a finished execution history from history.jsonl instead of keeping it in memory', () => {
    // Prepare
    const store = new ExecutionStore(tempDataDir());
    const record = runningRecord('finished');
    store.create(record, 'sfn-batch-test-pass', { StartAt: 'Done', States: {} });
    store.appendHistory(record.executionArn, 'ExecutionStarted', {});
    store.update({ ...record, status: 'SUCCEEDED', stopDate: '2026-11-30T00:00:01.000Z' });
    store.appendHistory(record.executionArn, 'ExecutionSucceeded', {});
    const machineDir = path.join(store.root, 'executions', 'sfn-batch-test-pass');
    const historyFile = path.join(machineDir, readdirSync(machineDir)[0] ?? '', 'history.jsonl');

    // Act: a line written to the file by hand shows where history() reads from.
    appendFileSync(
      historyFile,
      `${JSON.stringify({ timestamp: 1, type: 'Marker', id: 3, previousEventId: 2 })}\n`,
    );

    // Assess
    expect(store.history(record.executionArn).map((event) => [event.id, event.type])).toEqual([
      [1, 'ExecutionStarted'],
      [2, 'ExecutionSucceeded'],
      [3, 'Marker'],
    ]);
  });

  it('numbers events on after a redrive makes a finished execution RUNNING again', () => {
    // Prepare
    const store = new ExecutionStore(tempDataDir());
    const record = runningRecord('redriven');
    store.create(record, 'sfn-batch-test-pass', { StartAt: 'Done', States: {} });
    store.appendHistory(record.executionArn, 'ExecutionStarted', {});
    store.update({ ...record, status: 'FAILED' });
    store.appendHistory(record.executionArn, 'ExecutionFailed', {});

    // Act
    store.update({ ...record, status: 'RUNNING', redriveCount: 1 });
    store.appendHistory(record.executionArn, 'ExecutionRedriven', {});

    // Assess
    expect(store.history(record.executionArn).map((event) => `${event.id}:${event.type}`)).toEqual([
      '1:ExecutionStarted',
      '2:ExecutionFailed',
      '3:ExecutionRedriven',
    ]);
  });
});

describe('execution data in the store', () => {
  it('keeps a finished execution input and output out of memory and reads them from record.json', () => {
    // Prepare
    const store = new ExecutionStore(tempDataDir());
    const record = runningRecord('data');
    store.create(record, 'sfn-batch-test-pass', { StartAt: 'Done', States: {} });
    store.update({
      ...record,
      status: 'FAILED',
      stopDate: '2026-11-30T00:00:01.000Z',
      output: '{"result":1}',
      error: 'States.TaskFailed',
      cause: 'x'.repeat(1000),
      resumeFrom: { state: 'Run', input: { step: 1 } },
    });
    const machineDir = path.join(store.root, 'executions', 'sfn-batch-test-pass');
    const recordFile = path.join(machineDir, readdirSync(machineDir)[0] ?? '', 'record.json');

    // Act: an input written to the file by hand shows where get() reads from.
    const onDisk = JSON.parse(readFileSync(recordFile, 'utf8')) as ExecutionRecord;
    writeFileSync(recordFile, JSON.stringify({ ...onDisk, input: '{"edited":true}' }));
    const listed = [...store.newestFirst(STATE_MACHINE)];
    const described = store.get(record.executionArn);

    // Assess
    expect(listed.map((item) => [item.name, item.status, item.error])).toEqual([
      ['data', 'FAILED', 'States.TaskFailed'],
    ]);
    expect(listed[0]).not.toHaveProperty('input');
    expect(listed[0]).not.toHaveProperty('output');
    expect(listed[0]).not.toHaveProperty('cause');
    expect(store.all()[0]).not.toHaveProperty('input');
    expect(described).toMatchObject({
      input: '{"edited":true}',
      output: '{"result":1}',
      cause: 'x'.repeat(1000),
      resumeFrom: { state: 'Run', input: { step: 1 } },
    });
  });

  it('keeps a RUNNING execution whole in memory, also after a new store reads the folder', () => {
    // Prepare
    const dataDir = tempDataDir();
    const record = runningRecord('running');
    new ExecutionStore(dataDir).create(record, 'sfn-batch-test-pass', { StartAt: 'Done', States: {} });

    // Act
    const reopened = new ExecutionStore(dataDir);

    // Assess
    expect([...reopened.newestFirst(STATE_MACHINE)][0]).toMatchObject({ name: 'running', input: '{}' });
    expect(reopened.get(record.executionArn)?.input).toBe('{}');
  });

  it('reads a finished execution data from disk after a new store reads the folder', () => {
    // Prepare
    const dataDir = tempDataDir();
    const record = runningRecord('reopened');
    const store = new ExecutionStore(dataDir);
    store.create(record, 'sfn-batch-test-pass', { StartAt: 'Done', States: {} });
    store.update({ ...record, status: 'SUCCEEDED', output: '{"ok":true}' });

    // Act
    const reopened = new ExecutionStore(dataDir);

    // Assess
    expect(reopened.all()[0]).not.toHaveProperty('output');
    expect(reopened.get(record.executionArn)).toMatchObject({ input: '{}', output: '{"ok":true}' });
  });
});

describe('resume points in the store', () => {
  const startRuntime = runtimesPerTest();

  it('drops the resume point of a SUCCEEDED execution (never redrivable) and keeps a FAILED one’s', async () => {
    // Prepare
    const dataDir = tempDataDir();
    const runtime = await startRuntime(
      [{ job: makeJob('run-task'), definition: taskDefinition({ timeoutSeconds: 30 }) }],
      {
        dataDir,
      },
    );
    const client = sfnClient(runtime.endpoint);
    const run = async (command: string[]) => {
      const { executionArn = '' } = await client.send(
        new StartExecutionCommand({
          stateMachineArn: runtime.stateMachineArn('run-task'),
          input: JSON.stringify({ command }),
        }),
      );
      return (await waitForStatus(client, executionArn)).status;
    };

    // Act
    const statuses = [await run(['succeed']), await run(['exit', '3'])];

    // Assess: read back the records as written to disk.
    const records = readdirSync(path.join(dataDir, 'sfn', 'executions'), { recursive: true })
      .map(String)
      .filter((file) => file.endsWith('record.json'))
      .map(
        (file) =>
          JSON.parse(readFileSync(path.join(dataDir, 'sfn', 'executions', file), 'utf8')) as ExecutionRecord,
      );
    expect(statuses).toEqual(['SUCCEEDED', 'FAILED']);
    expect(records.map((record) => [record.status, record.resumeFrom?.state]).sort()).toEqual([
      ['FAILED', 'Run job task'],
      ['SUCCEEDED', undefined],
    ]);
  });
});

describe('requests that need no execution data', () => {
  const startRuntime = runtimesPerTest();

  it('answers GetExecutionHistory, StopExecution and a repeated StartExecution of a finished execution without reading its record.json', async () => {
    // Prepare: a finished execution whose record.json can no longer be read.
    const dataDir = tempDataDir();
    const runtime = await startRuntime(
      [{ job: makeJob('run-task'), definition: taskDefinition({ timeoutSeconds: 30 }) }],
      { dataDir },
    );
    const client = sfnClient(runtime.endpoint);
    const start = new StartExecutionCommand({
      stateMachineArn: runtime.stateMachineArn('run-task'),
      name: 'finished-run',
      input: JSON.stringify({ command: ['succeed'] }),
    });
    const { executionArn = '' } = await client.send(start);
    await waitForStatus(client, executionArn);
    const recordFile = readdirSync(path.join(dataDir, 'sfn', 'executions'), { recursive: true })
      .map(String)
      .find((file) => file.endsWith('record.json'));
    writeFileSync(path.join(dataDir, 'sfn', 'executions', recordFile ?? ''), '{');

    // Act
    const history = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    const stopped = await client.send(new StopExecutionCommand({ executionArn }));
    const restarted = client.send(start);

    // Assess: the summary in memory answers them; DescribeExecution needs the file and says so.
    expect(history.events?.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(stopped.stopDate).toBeInstanceOf(Date);
    await expect(restarted).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await expect(client.send(new DescribeExecutionCommand({ executionArn }))).rejects.toThrow('record.json');
  });
});
