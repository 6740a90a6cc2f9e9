import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import {
  containerOverridesLength,
  MAX_CONTAINER_OVERRIDES_CHARACTERS,
} from '../../lib/contracts/task-input-limits.ts';
import { TaskStateError } from '../sfn/errors.ts';
import type { ExecutionStore, TaskLogLine, TaskMeta } from '../store/execution-store.ts';
import type { FaultPicker, RunningFault } from './faults.ts';
import { ImageEnvironmentError, imageEnvironmentOf } from './image-environment.ts';
import { type RegisteredTask, TaskRegistry } from './task-registry.ts';

const keyValueSchema = z.object({ Name: z.string(), Value: z.string() });
const containerOverrideSchema = z
  .object({
    Name: z.string(),
    Command: z.array(z.string()).optional(),
    Environment: z.array(keyValueSchema).optional(),
    Cpu: z.union([z.number(), z.string()]).optional(),
    Memory: z.union([z.number(), z.string()]).optional(),
  })
  .passthrough();
const runTaskParametersSchema = z
  .object({
    Cluster: z.string().optional(),
    TaskDefinition: z.string(),
    LaunchType: z.string().optional(),
    CapacityProviderStrategy: z.array(z.object({ CapacityProvider: z.string() }).passthrough()).optional(),
    Group: z.string().optional(),
    StartedBy: z.string().optional(),
    Tags: z.array(z.object({ Key: z.string(), Value: z.string() })).optional(),
    Overrides: z
      .object({
        Cpu: z.union([z.number(), z.string()]).optional(),
        Memory: z.union([z.number(), z.string()]).optional(),
        ContainerOverrides: z.array(containerOverrideSchema).optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();
type RunTaskParameters = z.infer<typeof runTaskParametersSchema>;

export interface EcsEmulatorOptions {
  store: ExecutionStore;
  region: string;
  accountId: string;
  /** Working directory of every container process (the repository root). */
  repoRoot: string;
  /** Folder holding `<container>/main.ts` entrypoints. */
  containersDir: string;
  nodeBinary: string;
  taskEnvironment: Record<string, string>;
  maxConcurrentTasks: number;
  stopTimeoutSeconds: number;
  faults: FaultPicker;
  /** How long stopped tasks stay listed, in real ms (default an hour; see stoppedTaskRetentionMs). */
  stoppedTaskRetentionMs?: number;
}

export interface RunTaskContext {
  executionArn: string;
  /** The Task state's TimeoutSeconds: the task is stopped when it elapses. */
  timeoutSeconds: number | undefined;
  /** Called once RunTask has "returned" (task PROVISIONING), for the TaskSubmitted history event. */
  onSubmitted: (task: Record<string, unknown>) => void;
  /** The Task state that runs the task, and when it was entered (its timeout counts from then). */
  stateName?: string;
  stateEnteredAt?: number;
}

/** The state's timeout fires in the interpreter and here within a few milliseconds of each other. */
const TIMEOUT_TOLERANCE_MS = 50;

/** Why a task was stopped from outside (ECS StopTask or an interruption). */
interface StopRequest {
  stopCode: string;
  reason: string;
}

type JsonRecord = Record<string, unknown>;

/**
 * Local stand-in for ECS/Fargate under `arn:aws:states:::ecs:runTask.sync`: each task is
 * the container's entrypoint run as a child process in its own process group.
 *
 * Over `maxConcurrentTasks`, tasks queue in PROVISIONING (as capacity-provider tasks
 * do) rather than fail; the state's timeout keeps running while they wait, as on AWS.
 */
export class EcsEmulator {
  private readonly options: EcsEmulatorOptions;
  private readonly tasks = new Set<LocalTask>();
  /** The ECS API's view: the same task objects, kept an hour after they stop. */
  readonly registry: TaskRegistry;
  private readonly slots: Semaphore;

  constructor(options: EcsEmulatorOptions) {
    this.options = options;
    this.registry = new TaskRegistry(Date.now, options.stoppedTaskRetentionMs);
    this.slots = new Semaphore(options.maxConcurrentTasks);
  }

  get runningTaskCount(): number {
    return this.tasks.size;
  }

  /** Runs one task to its end, with the output and errors of `ecs:runTask.sync`. */
  async runTask(rawParameters: unknown, context: RunTaskContext): Promise<JsonRecord> {
    const parsed = runTaskParametersSchema.safeParse(rawParameters);
    if (!parsed.success) {
      throw new TaskStateError(
        'ECS.InvalidParameterException',
        `RunTask parameters are not valid: ${z.prettifyError(parsed.error)}`,
      );
    }
    const parameters = parsed.data;
    const overridesLength = containerOverridesLength(parameters.Overrides?.ContainerOverrides ?? []);
    if (overridesLength > MAX_CONTAINER_OVERRIDES_CHARACTERS) {
      // As ECS answers RunTask (an input that large would also not fit in a process environment).
      throw new TaskStateError(
        'ECS.InvalidParameterException',
        `Container Overrides length must be at most ${MAX_CONTAINER_OVERRIDES_CHARACTERS} (got ${overridesLength}) (Service: AmazonECS; Status Code: 400; Error Code: InvalidParameterException; Request ID: ${randomUUID()}; Proxy: null)`,
      );
    }
    const containerOverride = parameters.Overrides?.ContainerOverrides?.[0];
    const family = taskDefinitionFamily(parameters.TaskDefinition);
    const container = containerOverride?.Name ?? family;
    const entrypoint = path.join(this.options.containersDir, container, 'main.ts');
    if (!existsSync(entrypoint)) {
      throw new TaskStateError(
        'ECS.InvalidParameterException',
        `Container ${container} of task definition ${parameters.TaskDefinition} has no entrypoint: ${entrypoint} does not exist. Name the container folder under containers/ in Overrides.ContainerOverrides[0].Name.`,
      );
    }

    let imageEnvironment: Record<string, string>;
    try {
      imageEnvironment = imageEnvironmentOf(path.join(path.dirname(entrypoint), 'Dockerfile'));
    } catch (error) {
      if (!(error instanceof ImageEnvironmentError)) throw error;
      throw new TaskStateError('ECS.ClientException', error.message);
    }

    const fault = this.options.faults.pickStartFault();
    if (fault?.kind === 'runTaskError') throw new TaskStateError(fault.error, fault.message);

    const task = new LocalTask(
      this.options,
      parameters,
      container,
      entrypoint,
      imageEnvironment,
      context.executionArn,
    );
    this.tasks.add(task);
    this.registry.add(task);
    try {
      context.onSubmitted(task.describe());
      const timeoutSeconds = context.timeoutSeconds;
      if (timeoutSeconds !== undefined) {
        task.timeout = {
          deadline: (context.stateEnteredAt ?? Date.now()) + timeoutSeconds * 1000,
          request: {
            stopCode: 'UserInitiated',
            // As ECS shows a stop by Step Functions: who stopped it, why, and after how long.
            reason: `Task stopped by AWS Step Functions: the state ${context.stateName === undefined ? '' : `"${context.stateName}" `}of execution ${context.executionArn} timed out after ${timeoutSeconds} seconds (States.Timeout)`,
          },
        };
      }
      const timeout =
        task.timeout === undefined
          ? undefined
          : setTimeout(
              () => {
                if (task.timeout !== undefined)
                  void task.stop(task.timeout.request.stopCode, task.timeout.request.reason);
              },
              Math.max(0, task.timeout.deadline - Date.now()),
            );
      try {
        const acquired = await this.slots.acquire(task.stopped);
        if (!acquired) return task.finishWithoutProcess();
        try {
          if (fault?.kind === 'taskFailedToStart') {
            await sleep(25);
            return task.finishWithoutProcess({ stopCode: fault.stopCode, reason: fault.reason });
          }
          // Only Spot capacity is reclaimed mid-run.
          return await task.run(task.isSpot ? this.options.faults.pickRunningFault() : undefined);
        } finally {
          this.slots.release();
        }
      } finally {
        if (timeout !== undefined) clearTimeout(timeout);
      }
    } finally {
      this.tasks.delete(task);
      this.registry.settle(task);
    }
  }

  /** Stops every task of an execution (StopExecution, runtime shutdown) and waits until their processes are gone. */
  async stopTasksOf(executionArn: string, reason: string): Promise<void> {
    const stopping = [...this.tasks]
      .filter((task) => task.executionArn === executionArn)
      .map((task) => {
        // An execution that ends because this task's state timed out: the timeout is the reason.
        const timedOut =
          task.timeout !== undefined && Date.now() >= task.timeout.deadline - TIMEOUT_TOLERANCE_MS;
        return task.timeout !== undefined && timedOut
          ? task.stop(task.timeout.request.stopCode, task.timeout.request.reason)
          : task.stop('UserInitiated', reason);
      });
    await Promise.all(stopping);
  }
}

/** One task: PROVISIONING (maybe queued) → RUNNING (a process group) → STOPPED. */
class LocalTask implements RegisteredTask {
  readonly executionArn: string;
  readonly isSpot: boolean;
  /** When the Task state's TimeoutSeconds elapses, and the stop it causes. */
  timeout: { deadline: number; request: StopRequest } | undefined;
  private readonly options: EcsEmulatorOptions;
  private readonly parameters: RunTaskParameters;
  private readonly container: string;
  private readonly entrypoint: string;
  /** The ENV of the container's Dockerfile (image-environment.ts), read when RunTask checked it. */
  private readonly imageEnvironment: Record<string, string>;
  private readonly taskId = randomBytes(16).toString('hex');
  readonly taskArn: string;
  readonly clusterArn: string;
  private readonly createdAt = Date.now();
  private startedAt: number | undefined;
  private stoppingAt: number | undefined;
  private stoppedAt: number | undefined;
  private exitCode: number | undefined;
  private lastStatus = 'PROVISIONING';
  private stopRequest: StopRequest | undefined;
  /** The task's process while it runs; dropped once it has exited (see `run`). */
  private child: ChildProcess | undefined;
  private pid: number | undefined;
  private exited: Promise<void> | undefined;
  private readonly stopController = new AbortController();
  private readonly meta: TaskMeta;

  constructor(
    options: EcsEmulatorOptions,
    parameters: RunTaskParameters,
    container: string,
    entrypoint: string,
    imageEnvironment: Record<string, string>,
    executionArn: string,
  ) {
    this.options = options;
    this.parameters = parameters;
    this.container = container;
    this.entrypoint = entrypoint;
    this.imageEnvironment = imageEnvironment;
    this.executionArn = executionArn;
    const cluster = parameters.Cluster ?? 'default';
    const clusterName = cluster.startsWith('arn:') ? (cluster.split('/').pop() ?? cluster) : cluster;
    this.clusterArn = cluster.startsWith('arn:')
      ? cluster
      : `arn:aws:ecs:${options.region}:${options.accountId}:cluster/${clusterName}`;
    this.taskArn = `arn:aws:ecs:${options.region}:${options.accountId}:task/${clusterName}/${this.taskId}`;
    this.isSpot = (parameters.CapacityProviderStrategy ?? []).some(
      (item) => item.CapacityProvider === 'FARGATE_SPOT',
    );
    this.meta = {
      taskArn: this.taskArn,
      container,
      command: this.command,
      cpu: this.cpu,
      memory: this.memory,
      createdAt: new Date(this.createdAt).toISOString(),
    };
    this.persist();
  }

  get stopped(): AbortSignal {
    return this.stopController.signal;
  }

  get stoppedAtMs(): number | undefined {
    return this.lastStatus === 'STOPPED' ? this.stoppedAt : undefined;
  }

  get family(): string {
    return taskDefinitionFamily(this.parameters.TaskDefinition);
  }

  /** RunTask's startedBy; Step Functions' runTask.sync sets "AWS Step Functions" unless the state passes one. */
  get startedBy(): string {
    return this.parameters.StartedBy ?? 'AWS Step Functions';
  }

  private get command(): string[] {
    return this.parameters.Overrides?.ContainerOverrides?.[0]?.Command ?? [];
  }

  private get cpu(): string | undefined {
    const value = this.parameters.Overrides?.Cpu ?? this.parameters.Overrides?.ContainerOverrides?.[0]?.Cpu;
    return value === undefined ? undefined : String(value);
  }

  private get memory(): string | undefined {
    const value =
      this.parameters.Overrides?.Memory ?? this.parameters.Overrides?.ContainerOverrides?.[0]?.Memory;
    return value === undefined ? undefined : String(value);
  }

  /** Requests a stop; resolves when the process group is gone (or at once if none was started). */
  async stop(stopCode: string, reason: string): Promise<void> {
    if (this.stopRequest === undefined && this.stoppedAt === undefined) {
      this.stopRequest = { stopCode, reason };
      this.stoppingAt = Date.now();
      this.stopController.abort();
      const child = this.child;
      if (child?.pid !== undefined && this.exitCode === undefined) {
        this.lastStatus = 'STOPPING';
        signalTaskProcesses(this.taskId, child.pid, 'SIGTERM');
        const pid = child.pid;
        const kill = setTimeout(
          () => signalTaskProcesses(this.taskId, pid, 'SIGKILL'),
          this.options.stopTimeoutSeconds * 1000,
        );
        void this.exited?.then(() => clearTimeout(kill));
      }
    }
    await this.exited;
  }

  /** Ends a task that never got a process: a start failure, or stopped while queued. */
  finishWithoutProcess(failure?: StopRequest): never {
    const request = failure ??
      this.stopRequest ?? { stopCode: 'UserInitiated', reason: 'Task stopped before it started' };
    this.stopRequest = request;
    this.stoppedAt = Date.now();
    this.lastStatus = 'STOPPED';
    this.meta.stoppedAt = new Date(this.stoppedAt).toISOString();
    this.meta.stopCode = request.stopCode;
    this.meta.stoppedReason = request.reason;
    this.persist();
    throw new TaskStateError('States.TaskFailed', JSON.stringify(this.describe()));
  }

  async run(runningFault: RunningFault | undefined): Promise<JsonRecord> {
    if (this.stopRequest !== undefined) this.finishWithoutProcess();
    const overrideEnvironment = Object.fromEntries(
      (this.parameters.Overrides?.ContainerOverrides?.[0]?.Environment ?? []).map((item) => [
        item.Name,
        item.Value,
      ]),
    );
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AWS_REGION: this.options.region,
      AWS_DEFAULT_REGION: this.options.region,
      AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE',
      // As on Fargate: the image's ENV, then the task definition's environment, then the overrides.
      ...this.imageEnvironment,
      ...this.options.taskEnvironment,
      ...overrideEnvironment,
      // Inherited by every descendant, also one that leaves the process group with setsid.
      [TASK_MARKER]: this.taskId,
    };
    const child = spawn(this.options.nodeBinary, [this.entrypoint, ...this.command], {
      cwd: this.options.repoRoot,
      env,
      // Own process group, so a stop reaches grandchildren too, as stopping a container does.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const { promise: exited, resolve: markExited } = Promise.withResolvers<void>();
    this.exited = exited;
    let spawnError: Error | undefined;
    const stdout = new LineCollector('stdout', (lines) => this.log(lines));
    const stderr = new LineCollector('stderr', (lines) => this.log(lines));
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    const closed = new Promise<void>((resolve) => {
      child.on('close', () => resolve());
      child.on('error', (error) => {
        spawnError = error;
        resolve();
      });
    });
    child.on('exit', (code, signal) => {
      this.exitCode = code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
      // The container is gone once its essential process exits: nothing it started may outlive it.
      if (child.pid !== undefined) signalTaskProcesses(this.taskId, child.pid, 'SIGKILL');
    });
    this.pid = child.pid;
    if (child.pid !== undefined) {
      this.startedAt = Date.now();
      this.lastStatus = 'RUNNING';
      this.meta.pid = child.pid;
      this.meta.startedAt = new Date(this.startedAt).toISOString();
      this.persist();
    }
    const faultTimer =
      runningFault === undefined
        ? undefined
        : setTimeout(() => void this.stop(runningFault.stopCode, runningFault.reason), runningFault.afterMs);
    await closed;
    if (faultTimer !== undefined) clearTimeout(faultTimer);
    stdout.flush();
    stderr.flush();
    // A stopped task stays listed for an hour (task-registry.ts): it keeps its description, not
    // the process object with its closed pipes and their buffers.
    this.child = undefined;
    this.stoppedAt = Date.now();
    this.lastStatus = 'STOPPED';
    markExited();
    if (spawnError !== undefined && this.exitCode === undefined) {
      this.stopRequest = {
        stopCode: 'TaskFailedToStart',
        reason: `CannotStartContainerError: ${spawnError.message}`,
      };
    }
    const stop = this.stopRequest ?? {
      stopCode: 'EssentialContainerExited',
      reason: 'Essential container in task exited',
    };
    this.meta.stoppedAt = new Date(this.stoppedAt).toISOString();
    this.meta.exitCode = this.exitCode;
    this.meta.stopCode = stop.stopCode;
    this.meta.stoppedReason = stop.reason;
    this.persist();
    const description = this.describe();
    if (this.stopRequest === undefined && this.exitCode === 0) return description;
    throw new TaskStateError('States.TaskFailed', JSON.stringify(description));
  }

  /** The task as `DescribeTasks` shows it, PascalCase as Step Functions passes it on. */
  describe(): JsonRecord {
    const family = taskDefinitionFamily(this.parameters.TaskDefinition);
    const taskDefinitionArn = this.parameters.TaskDefinition.startsWith('arn:')
      ? this.parameters.TaskDefinition
      : `arn:aws:ecs:${this.options.region}:${this.options.accountId}:task-definition/${this.parameters.TaskDefinition.includes(':') ? this.parameters.TaskDefinition : `${family}:1`}`;
    const stopped = this.lastStatus === 'STOPPED';
    const stop = this.stopRequest ?? {
      stopCode: 'EssentialContainerExited',
      reason: 'Essential container in task exited',
    };
    const capacityProvider = this.parameters.CapacityProviderStrategy?.[0]?.CapacityProvider;
    const description: JsonRecord = {
      Attachments: [],
      Attributes: [{ Name: 'ecs.cpu-architecture', Value: 'x86_64' }],
      AvailabilityZone: `${this.options.region}a`,
      ...(capacityProvider === undefined ? {} : { CapacityProviderName: capacityProvider }),
      ClusterArn: this.clusterArn,
      Connectivity: this.startedAt === undefined ? undefined : 'CONNECTED',
      Containers: [
        {
          ContainerArn: `arn:aws:ecs:${this.options.region}:${this.options.accountId}:container/${this.taskId}/${randomUUID()}`,
          ExitCode: this.exitCode,
          Image: `${this.container}:local`,
          LastStatus: this.lastStatus,
          Name: this.container,
          NetworkBindings: [],
          NetworkInterfaces: [],
          ...(stopped && this.exitCode === undefined ? { Reason: stop.reason } : {}),
          RuntimeId: this.pid === undefined ? undefined : `${this.taskId}-${this.pid}`,
          TaskArn: this.taskArn,
        },
      ],
      Cpu: this.cpu,
      CreatedAt: this.createdAt,
      DesiredStatus: stopped || this.stopRequest !== undefined ? 'STOPPED' : 'RUNNING',
      EnableExecuteCommand: false,
      EphemeralStorage: { SizeInGiB: 20 },
      ExecutionStoppedAt: stopped ? this.stoppedAt : undefined,
      Group: this.parameters.Group ?? `family:${family}`,
      HealthStatus: 'UNKNOWN',
      LastStatus: this.lastStatus,
      LaunchType: this.parameters.LaunchType ?? 'FARGATE',
      Memory: this.memory,
      Overrides: {
        ContainerOverrides: this.parameters.Overrides?.ContainerOverrides ?? [],
        InferenceAcceleratorOverrides: [],
      },
      PlatformFamily: 'Linux',
      PlatformVersion: '1.4.0',
      PullStartedAt: this.startedAt,
      PullStoppedAt: this.startedAt,
      StartedAt: this.startedAt,
      StartedBy: this.startedBy,
      StopCode: stopped ? stop.stopCode : undefined,
      StoppedAt: stopped ? this.stoppedAt : undefined,
      StoppedReason: stopped ? stop.reason : undefined,
      StoppingAt: stopped ? (this.stoppingAt ?? this.stoppedAt) : this.stoppingAt,
      Tags: this.parameters.Tags ?? [],
      TaskArn: this.taskArn,
      TaskDefinitionArn: taskDefinitionArn,
      Version: stopped ? 3 : 1,
    };
    // JSON has no undefined: drop absent fields as the ECS API omits them.
    return JSON.parse(JSON.stringify(description)) as JsonRecord;
  }

  private log(lines: TaskLogLine[]): void {
    this.options.store.appendTaskLog(this.executionArn, this.taskId, lines);
  }

  private persist(): void {
    this.options.store.writeTask(this.executionArn, this.taskId, this.meta);
  }
}

function taskDefinitionFamily(taskDefinition: string): string {
  const name = taskDefinition.startsWith('arn:')
    ? (taskDefinition.split('/').pop() ?? taskDefinition)
    : taskDefinition;
  return name.split(':')[0] ?? name;
}

/** Environment variable that marks every process of one local task with its task id. */
const TASK_MARKER = 'SFN_BATCH_LOCAL_TASK_ID';

/**
 * Signals everything a task started, as stopping a Fargate task ends every process in it:
 * the task's process group, every descendant by parent pid (also those that moved to a
 * session of their own with setsid), and every process that still carries the task's
 * marker in its environment (a setsid daemon whose parent has exited and that now hangs
 * from init). What escapes all three (a process that clears its environment and whose
 * parent exited, or another user's process) is named in the README.
 */
export function signalTaskProcesses(
  taskId: string,
  rootPid: number | undefined,
  signal: NodeJS.Signals,
): void {
  const table = processTable();
  const targets = new Set([
    ...(rootPid === undefined ? [] : descendantsOf(rootPid, table)),
    ...processesMarkedWith(taskId, table),
  ]);
  if (rootPid !== undefined) signalGroup(rootPid, signal);
  // Members of the group got the group's signal: a second SIGTERM would cut short a
  // graceful shutdown that treats it as "force quit" (the hung-job reliability scenario).
  const inGroup = new Set(table.flatMap((entry) => (entry.pgrp === rootPid ? [entry.pid] : [])));
  for (const pid of targets) {
    if (inGroup.has(pid)) continue;
    try {
      process.kill(pid, signal);
    } catch {
      // Gone meanwhile.
    }
  }
}

/** Live pids in /proc with their parent pids (Linux; empty elsewhere). */
function processTable(): Array<{ pid: number; ppid: number; pgrp: number }> {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields 4 and 5 (ppid, pgrp) follow the command name, which is in parentheses and may hold spaces.
      const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [{ pid: Number(entry), ppid: Number(ppid), pgrp: Number(pgrp) }];
    } catch {
      return [];
    }
  });
}

function descendantsOf(rootPid: number, table: ReturnType<typeof processTable>): number[] {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of table) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const found: number[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const next = children.get(queue.shift() ?? -1) ?? [];
    for (const pid of next) {
      if (pid === process.pid || found.includes(pid)) continue;
      found.push(pid);
      queue.push(pid);
    }
  }
  return found;
}

function processesMarkedWith(taskId: string, table: ReturnType<typeof processTable>): number[] {
  const marker = `${TASK_MARKER}=${taskId}`;
  return table.flatMap(({ pid }) => {
    if (pid === process.pid) return [];
    try {
      const environment = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      return environment.includes(marker) ? [pid] : [];
    } catch {
      return [];
    }
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Splits a stream into timestamped lines and hands them on in batches. */
class LineCollector {
  private readonly stream: 'stdout' | 'stderr';
  private readonly emit: (lines: TaskLogLine[]) => void;
  private pending = '';

  constructor(stream: 'stdout' | 'stderr', emit: (lines: TaskLogLine[]) => void) {
    this.stream = stream;
    this.emit = emit;
  }

  push(chunk: Buffer): void {
    const parts = (this.pending + chunk.toString('utf8')).split('\n');
    this.pending = parts.pop() ?? '';
    const at = new Date().toISOString();
    this.emit(parts.map((text) => ({ stream: this.stream, at, text })));
  }

  flush(): void {
    if (this.pending !== '')
      this.emit([{ stream: this.stream, at: new Date().toISOString(), text: this.pending }]);
    this.pending = '';
  }
}

/** Counting semaphore with a FIFO queue; a waiter gives up when its task is stopped. */
class Semaphore {
  private available: number;
  private readonly waiters: Array<{ grant: () => void }> = [];

  constructor(size: number) {
    this.available = Math.max(1, size);
  }

  acquire(cancel: AbortSignal): Promise<boolean> {
    if (cancel.aborted) return Promise.resolve(false);
    if (this.available > 0) {
      this.available -= 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter = { grant: () => resolve(true) };
      this.waiters.push(waiter);
      cancel.addEventListener('abort', () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) {
          this.waiters.splice(index, 1);
          resolve(false);
        }
      });
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next === undefined) this.available += 1;
    else next.grant();
  }
}
