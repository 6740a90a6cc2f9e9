import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ecsTasksOf,
  executionTasks,
  stopTask,
  type TaskLog,
  withEcsStatus,
} from '../../local/console/ui/api.ts';
import {
  makeJob,
  taskDefinition,
  useTestRuntime,
  waitForStatus,
  waitUntil,
} from '../local-runtime/helpers.ts';

const RECORD: TaskLog = {
  taskArn: 'arn:aws:ecs:ap-northeast-1:000000000000:task/sfn-batch-test/0123',
  container: 'batch-jobs',
  command: ['purge'],
  startedAt: '2026-11-01T00:00:01.000Z',
  stoppedAt: '2026-11-01T00:00:09.000Z',
  exitCode: 1,
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  lines: [],
};

describe('console task status: ECS API first, the runtime task record as fallback', () => {
  it('takes status, exit code, reason and times from the ECS task, and keeps the record without one', () => {
    // Act
    const fromEcs = withEcsStatus(RECORD, {
      taskArn: RECORD.taskArn,
      lastStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      startedAt: 1_793_491_200,
      stoppedAt: 1_793_491_205.5,
      containers: [{ exitCode: 143 }],
    });
    const fromRecord = withEcsStatus(RECORD, undefined);
    const unendedRecord = withEcsStatus({ ...RECORD, stoppedAt: null, exitCode: null }, undefined);

    // Assess
    expect(fromEcs).toMatchObject({
      source: 'ecs',
      lastStatus: 'STOPPED',
      exitCode: 143,
      stopCode: 'UserInitiated',
      stoppedReason: null,
      startedAt: '2026-11-01T00:00:00.000Z',
      stoppedAt: '2026-11-01T00:00:05.500Z',
    });
    expect(fromRecord).toEqual({ ...RECORD, source: 'record', lastStatus: 'STOPPED' });
    expect(unendedRecord.lastStatus).toBe('UNKNOWN');
  });
});

// The console's browser code against a real runtime (fetch aimed at its endpoint).
describe('console task status against the local ECS API', () => {
  const local = useTestRuntime([
    { job: makeJob('run-task'), definition: taskDefinition({ timeoutSeconds: 60 }) },
  ]);

  beforeAll(() => {
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', (input: string, init?: RequestInit) =>
      realFetch(new URL(input, local.runtime.endpoint), init),
    );
  });

  afterAll(() => {
    vi.unstubAllGlobals();
  });

  it('matches tasks to their execution by SFN_BATCH_INPUT, and shows a stop with exit 143', async () => {
    // Prepare: two sleeping tasks; the workflow passes the execution input as SFN_BATCH_INPUT.
    const sfn = local.sfn;
    const stateMachineArn = local.runtime.stateMachineArn('run-task');
    const arnOf = (name: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    for (const name of ['mine', 'other']) {
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn,
          name,
          input: JSON.stringify({ command: ['sleep', '60000'], executionArn: arnOf(name) }),
        }),
      );
    }
    let mine: Awaited<ReturnType<typeof executionTasks>> = [];
    let other: Awaited<ReturnType<typeof executionTasks>> = [];
    await waitUntil(() => {
      void executionTasks(arnOf('mine')).then((tasks) => {
        mine = tasks;
      });
      void executionTasks(arnOf('other')).then((tasks) => {
        other = tasks;
      });
      return mine[0]?.lastStatus === 'RUNNING' && other[0]?.lastStatus === 'RUNNING';
    });
    const [task] = mine;
    const otherArn = other[0]?.taskArn ?? '';
    const unknownArn = `${task?.taskArn.replace(/\/[^/]+$/, '')}/${'f'.repeat(32)}`;

    // Act
    const matched = await ecsTasksOf(arnOf('mine'), [task?.taskArn ?? '', otherArn, unknownArn]);
    await stopTask(task?.taskArn ?? '', 'Task stopped from the local console');
    const ended = await waitForStatus(sfn, arnOf('mine'));
    const [stopped] = await executionTasks(arnOf('mine'));

    // Assess
    expect([...matched.keys()]).toEqual([task?.taskArn]);
    expect(ended.status).toBe('FAILED');
    expect(task?.source).toBe('ecs');
    expect(stopped).toMatchObject({
      source: 'ecs',
      lastStatus: 'STOPPED',
      exitCode: 143,
      stopCode: 'UserInitiated',
      stoppedReason: 'Task stopped from the local console',
    });
    await stopTask(otherArn, 'test over');
  }, 30_000);
});
