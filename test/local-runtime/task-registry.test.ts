// The local ECS keeps stopped tasks visible for an hour, as ECS does, and then forgets them even
// when no ECS API call lists them: found by the month-in-minutes scenario (docs/reliability.md),
// where an npm start that nobody asked for its tasks kept every task it had run.
import { describe, expect, it } from 'vitest';
import {
  type RegisteredTask,
  STOPPED_TASK_RETENTION_MS,
  stoppedTaskRetentionMs,
  TaskRegistry,
} from '../../local/ecs/task-registry.ts';

function task(id: string, stoppedAtMs: number | undefined): RegisteredTask {
  return {
    taskArn: `arn:aws:ecs:ap-northeast-1:000000000000:task/sfn-batch-test/${id}`,
    clusterArn: 'arn:aws:ecs:ap-northeast-1:000000000000:cluster/sfn-batch-test',
    family: 'sfn-batch-test-batch-jobs',
    startedBy: 'AWS Step Functions',
    executionArn: `arn:aws:states:ap-northeast-1:000000000000:execution:sfn-batch-test-job:${id}`,
    stoppedAtMs,
    describe: () => ({ TaskArn: id }),
    stop: async () => undefined,
  };
}

describe('local ECS task registry', () => {
  it('forgets a task an hour after it stopped when the next task starts, with no ECS API call', () => {
    // Prepare
    let now = 1_000_000;
    const registry = new TaskRegistry(() => now);
    registry.add(task('stopped-long-ago', now));
    registry.add(task('still-running', undefined));

    // Act
    now += STOPPED_TASK_RETENTION_MS + 1;
    registry.add(task('new', undefined));

    // Assess
    expect(registry.size).toBe(2);
    expect(registry.all().map((entry) => entry.describe().TaskArn)).toEqual(['still-running', 'new']);
  });

  it('keeps a stopped task listed within the hour', () => {
    // Prepare
    let now = 1_000_000;
    const registry = new TaskRegistry(() => now);
    registry.add(task('stopped-recently', now));

    // Act
    now += STOPPED_TASK_RETENTION_MS - 1;
    registry.add(task('new', undefined));

    // Assess
    expect(registry.size).toBe(2);
    expect(registry.find(task('stopped-recently', 0).taskArn)?.describe().TaskArn).toBe('stopped-recently');
  });
});

describe('stopped-task retention on a fast clock (npm start --speed)', () => {
  it('is an hour of the clock, but never under a real minute', () => {
    // Act, Assess
    expect(stoppedTaskRetentionMs()).toBe(STOPPED_TASK_RETENTION_MS);
    expect(stoppedTaskRetentionMs(1)).toBe(60 * 60 * 1000);
    expect(stoppedTaskRetentionMs(30)).toBe(2 * 60 * 1000);
    expect(stoppedTaskRetentionMs(2000)).toBe(60 * 1000);
    expect(stoppedTaskRetentionMs(10_000)).toBe(60 * 1000);
  });

  it('forgets a stopped task after the retention it was given', () => {
    // Prepare
    let now = 1_000_000;
    const registry = new TaskRegistry(() => now, stoppedTaskRetentionMs(2000));
    registry.add(task('stopped', now));

    // Act
    now += 60 * 1000 - 1;
    const within = registry.all().map((entry) => entry.describe().TaskArn);
    now += 2;
    registry.add(task('new', undefined));

    // Assess
    expect(within).toEqual(['stopped']);
    expect(registry.all().map((entry) => entry.describe().TaskArn)).toEqual(['new']);
  });
});

describe('stopped tasks in the local ECS task registry', () => {
  it('keeps a stopped task as its final description, not the task object', () => {
    // Prepare: a task object holding more than ECS shows (as LocalTask holds its RunTask parameters).
    const registry = new TaskRegistry(() => 1_000_000);
    const stopped = { ...task('stopped', 1_000_000), parameters: { Overrides: { big: 'x'.repeat(1000) } } };
    const running = task('running', undefined);
    registry.add(stopped);
    registry.add(running);

    // Act
    registry.settle(stopped);
    registry.settle(running);

    // Assess
    const kept = registry.find(stopped.taskArn);
    expect(kept).not.toBe(stopped);
    expect(kept).not.toHaveProperty('parameters');
    expect(kept).toMatchObject({ taskArn: stopped.taskArn, stoppedAtMs: 1_000_000, family: stopped.family });
    expect(kept?.describe()).toEqual({ TaskArn: 'stopped' });
    expect(registry.find(running.taskArn)).toBe(running);
    expect(registry.all().map((entry) => entry.describe().TaskArn)).toEqual(['stopped', 'running']);
  });
});
