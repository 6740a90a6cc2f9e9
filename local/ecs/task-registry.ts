/**
 * The one record of the local ECS tasks: the `ecs:runTask.sync` dispatch registers
 * each task here, and the ECS API (ListTasks, DescribeTasks, StopTask) reads and stops
 * the same objects. Stopped tasks stay listed for an hour, as ECS keeps them visible
 * for at least an hour after they stop.
 */
export const STOPPED_TASK_RETENTION_MS = 60 * 60 * 1000;
/**
 * The shortest retention on a fast clock (`npm start --speed`), in real time: a minute, so a
 * person or a script still sees a task stop.
 */
const MIN_RETENTION_MS = 60 * 1000;

/**
 * The real milliseconds a stopped task stays listed when the runtime's clock runs `speed` times
 * as fast as real time: an hour of that clock, at least a minute. At `--speed 2000` a real hour
 * is 83 simulated days; keeping every task of it made an accelerated month's memory grow with
 * every task it ran (about 2.5 KB a task, docs/reliability.md), which no month on ECS does.
 */
export function stoppedTaskRetentionMs(speed = 1): number {
  return Math.max(MIN_RETENTION_MS, STOPPED_TASK_RETENTION_MS / speed);
}
/**
 * How often registering a task also forgets the tasks past their retention. Without it only an
 * ECS API call forgot them, so an npm start that nobody asked for its tasks kept every task it
 * ever ran (found by the month-in-minutes scenario, docs/reliability.md).
 */
const PRUNE_INTERVAL_MS = 60 * 1000;

/** What the registry needs of a task (implemented by run-task.ts). */
export interface RegisteredTask {
  readonly taskArn: string;
  readonly clusterArn: string;
  /** Task definition family (`sfn-batch-local-batch-jobs`). */
  readonly family: string;
  readonly startedBy: string;
  /** The Step Functions execution the task belongs to. */
  readonly executionArn: string;
  /** Epoch ms when the task reached STOPPED, undefined before. */
  readonly stoppedAtMs: number | undefined;
  /** The task as DescribeTasks shows it, PascalCase as Step Functions passes it on (timestamps in epoch ms). */
  describe(): Record<string, unknown>;
  /** Requests a stop (SIGTERM, then SIGKILL after the stop timeout); resolves when the task is gone. */
  stop(stopCode: string, reason: string): Promise<void>;
}

export class TaskRegistry {
  private readonly tasks = new Map<string, RegisteredTask>();
  private readonly now: () => number;
  private readonly retentionMs: number;
  private prunedAt: number;

  /** `retentionMs`: how long stopped tasks stay listed (default an hour, see stoppedTaskRetentionMs). */
  constructor(now: () => number = Date.now, retentionMs = STOPPED_TASK_RETENTION_MS) {
    this.now = now;
    this.retentionMs = retentionMs;
    this.prunedAt = now();
  }

  /** How many tasks the registry holds, including stopped ones past their retention not yet forgotten. */
  get size(): number {
    return this.tasks.size;
  }

  add(task: RegisteredTask): void {
    if (this.now() - this.prunedAt >= Math.min(PRUNE_INTERVAL_MS, this.retentionMs)) this.prune();
    this.tasks.set(task.taskArn, task);
  }

  /**
   * Called when a task's run is over: a stopped task is kept for its retention as its final
   * description only, not as the task object with its RunTask parameters and abort controller
   * (an accelerated month kept every task of the last simulated hour whole, docs/reliability.md).
   */
  settle(task: RegisteredTask): void {
    if (task.stoppedAtMs === undefined || this.tasks.get(task.taskArn) !== task) return;
    this.tasks.set(task.taskArn, stoppedTask(task));
  }

  /** Every task still visible: running ones and those stopped within the retention, oldest first. */
  all(): RegisteredTask[] {
    this.prune();
    return [...this.tasks.values()];
  }

  private prune(): void {
    const now = this.now();
    this.prunedAt = now;
    for (const [arn, task] of this.tasks) {
      if (task.stoppedAtMs !== undefined && now - task.stoppedAtMs > this.retentionMs) this.tasks.delete(arn);
    }
  }

  running(): RegisteredTask[] {
    return this.all().filter((task) => task.stoppedAtMs === undefined);
  }

  /** A task by ARN, or by ID within a cluster (ECS accepts both). */
  find(taskArnOrId: string, clusterArn?: string): RegisteredTask | undefined {
    const byArn = this.tasks.get(taskArnOrId);
    if (byArn !== undefined) return byArn;
    return this.all().find(
      (task) =>
        task.taskArn.endsWith(`/${taskArnOrId}`) &&
        (clusterArn === undefined || task.clusterArn === clusterArn),
    );
  }

  ofExecution(executionArn: string): RegisteredTask[] {
    return this.all().filter((task) => task.executionArn === executionArn);
  }
}

/** A stopped task as the registry keeps it: what ListTasks, DescribeTasks and StopTask read. */
export function stoppedTask(task: RegisteredTask): RegisteredTask {
  // As one JSON string: a description is ~30 strings in ~10 objects and arrays, and an hour of
  // an accelerated month keeps ~1,000 of them.
  const description = JSON.stringify(task.describe());
  const { taskArn, clusterArn, family, startedBy, executionArn, stoppedAtMs } = task;
  return {
    taskArn,
    clusterArn,
    family,
    startedBy,
    executionArn,
    stoppedAtMs,
    // A new object per call, as the task's own describe() returns.
    describe: () => JSON.parse(description) as Record<string, unknown>,
    // Stopping a stopped task changes nothing, as in ECS.
    stop: async () => undefined,
  };
}
