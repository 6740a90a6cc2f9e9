/**
 * The one record of the local ECS tasks: the `ecs:runTask.sync` dispatch registers
 * each task here, and the ECS API (ListTasks, DescribeTasks, StopTask) reads and stops
 * the same objects. Stopped tasks stay listed for an hour, as ECS keeps them visible
 * for at least an hour after they stop.
 */
export const STOPPED_TASK_RETENTION_MS = 60 * 60 * 1000;

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

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  add(task: RegisteredTask): void {
    this.tasks.set(task.taskArn, task);
  }

  /** Every task still visible: running ones and those stopped within the retention, oldest first. */
  all(): RegisteredTask[] {
    const now = this.now();
    for (const [arn, task] of this.tasks) {
      if (task.stoppedAtMs !== undefined && now - task.stoppedAtMs > STOPPED_TASK_RETENTION_MS)
        this.tasks.delete(arn);
    }
    return [...this.tasks.values()];
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
