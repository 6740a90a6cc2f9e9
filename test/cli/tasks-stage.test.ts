import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { register as registerStopTask } from '../../cli/commands/stop-task.ts';
import { register as registerTasks } from '../../cli/commands/tasks.ts';

const CLUSTER = 'sfn-batch-prod';
const arn = (id: string) => `arn:aws:ecs:ap-northeast-1:123456789012:task/${CLUSTER}/${id}`;
const input = (job: string, execution: string) =>
  JSON.stringify({
    job,
    executionArn: `arn:aws:states:ap-northeast-1:123456789012:execution:sfn-batch-prod-${job}:${execution}`,
    scheduledTime: '2026-11-30T00:00:00.000Z',
    params: {},
  });

function fargateTask(id: string, job: string, execution: string, stopped: boolean): Task {
  return {
    taskArn: arn(id),
    clusterArn: `arn:aws:ecs:ap-northeast-1:123456789012:cluster/${CLUSTER}`,
    lastStatus: stopped ? 'STOPPED' : 'RUNNING',
    desiredStatus: stopped ? 'STOPPED' : 'RUNNING',
    createdAt: new Date('2026-11-30T10:00:00Z'),
    startedAt: new Date('2026-11-30T10:00:30Z'),
    ...(stopped
      ? {
          stoppedAt: new Date('2026-11-30T10:05:30Z'),
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
        }
      : {}),
    containers: [{ name: 'batch-jobs', ...(stopped ? { exitCode: 3 } : {}) }],
    overrides: {
      containerOverrides: [
        { name: 'batch-jobs', environment: [{ name: 'SFN_BATCH_INPUT', value: input(job, execution) }] },
      ],
    },
    tags: [{ key: 'job', value: job }],
  };
}

const TASKS: Record<string, Task> = {
  [arn('aaa')]: fargateTask('aaa', 'refresh-search-index', 'refresh-search-index-20261130T1000Z', false),
  [arn('bbb')]: fargateTask('bbb', 'analyze-tables', 'analyze-tables-20261130T1000Z', true),
  [arn('ccc')]: fargateTask('ccc', 'analyze-tables', 'analyze-tables-manual-1', true),
};

/** ECS as the SDK sees it, mocked at `send`: ListTasks pages (one ARN per page), DescribeTasks, StopTask. */
function mockEcs() {
  return vi.spyOn(ECSClient.prototype, 'send').mockImplementation(async (command: unknown) => {
    if (command instanceof ListTasksCommand) {
      const wanted = command.input.desiredStatus === 'STOPPED' ? ['bbb', 'ccc'] : ['aaa'];
      const index = Number(command.input.nextToken ?? '0');
      const next = index + 1 < wanted.length ? String(index + 1) : undefined;
      return { taskArns: [arn(wanted[index] ?? '')], ...(next ? { nextToken: next } : {}) };
    }
    if (command instanceof DescribeTasksCommand) {
      return { tasks: (command.input.tasks ?? []).map((task) => TASKS[task]), failures: [] };
    }
    if (command instanceof StopTaskCommand) {
      return { task: { ...TASKS[arn(String(command.input.task))], desiredStatus: 'STOPPED' } };
    }
    throw new Error(`unexpected command ${String(command)}`);
  });
}

async function run(args: string[]): Promise<string> {
  const program = new Command('batchctl').exitOverride();
  registerTasks(program);
  registerStopTask(program);
  const output: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(['node', 'batchctl', ...args]);
  } finally {
    write.mockRestore();
  }
  return output.join('');
}

describe('batchctl tasks / stop-task --stage (ECS mocked at send)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("lists the stage cluster's running and stopped tasks with job, execution, exit code and stop reason", async () => {
    const send = mockEcs();
    const output = await run(['tasks', '--stage', 'prod']);
    const commands = send.mock.calls.map(
      ([command]) => command as unknown as { input: Record<string, unknown> },
    );
    expect(commands.every((command) => command.input.cluster === CLUSTER)).toBe(true);
    const describeCall = commands.find((command) => Array.isArray(command.input.tasks));
    expect(describeCall?.input).toMatchObject({
      include: ['TAGS'],
      tasks: [arn('aaa'), arn('bbb'), arn('ccc')],
    });
    const lines = output.trim().split('\n');
    expect(lines[0]).toMatch(
      /^STATUS\s+JOB\s+EXECUTION\s+STARTED\s+DURATION\s+EXIT\s+STOP CODE\s+REASON\s+TASK$/,
    );
    expect(output).toMatch(/RUNNING\s+refresh-search-index\s+refresh-search-index-20261130T1000Z\s.*\saaa/);
    expect(output).toMatch(
      /STOPPED\s+analyze-tables\s+analyze-tables-20261130T1000Z\s.*5m 0s\s+3\s+EssentialContainerExited\s+Essential container in task exited\s+bbb/,
    );
  });

  it('filters by --job', async () => {
    mockEcs();
    const output = await run(['tasks', '--stage', 'prod', '--job', 'refresh-search-index']);
    expect(output).toContain('aaa');
    expect(output).not.toContain('bbb');
  });

  it('stops a task in the stage cluster with the given reason', async () => {
    const send = mockEcs();
    const output = await run(['stop-task', 'aaa', '--stage', 'prod', '--reason', 'stuck on a lock']);
    const [command] = send.mock.calls.map(([sent]) => sent);
    expect(command).toBeInstanceOf(StopTaskCommand);
    expect((command as StopTaskCommand).input).toEqual({
      cluster: CLUSTER,
      task: 'aaa',
      reason: 'stuck on a lock',
    });
    expect(output).toContain(
      'stopping aaa (job refresh-search-index, execution refresh-search-index-20261130T1000Z)',
    );
  });
});
