import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobSpec } from '../lib/schedule/job-spec.ts';
import { stateMachineName } from '../lib/workflows/names.ts';
import { localSynthesisContext, synthesizeDefinition } from '../lib/workflows/synthesize.ts';
import { type FaultInjectionConfig, FaultPicker } from './ecs/faults.ts';
import { EcsEmulator } from './ecs/run-task.ts';
import { LambdaInvoker } from './lambda/invoke.ts';
import { SfnApiError } from './sfn/errors.ts';
import { type ApiHandlers, createApiServer } from './sfn/server.ts';
import {
  type Definition,
  type ExecutionEvent,
  type StateMachineEntry,
  StepFunctionsService,
  type TimingOverrides,
  unsupportedFeatures,
} from './sfn/service.ts';
import { ExecutionStore, writeAtomically } from './store/execution-store.ts';

export type { ExecutionEvent, FaultInjectionConfig, TimingOverrides };

/*
 * How the local runtime differs from AWS, on purpose or because of the interpreter
 * (aws-local-stepfunctions 3.x):
 * - Redrive restarts from the last top-level Task/Map/Parallel state the execution
 *   entered, with that state's input (also when the failure was routed to a Fail state
 *   by a Catch, so a redrive reruns the job). A Map is rerun as a whole, not only its
 *   failed iterations; the export converter is idempotent per target.
 * - Over maxConcurrentTasks, tasks wait in PROVISIONING instead of failing; the state's
 *   timeout runs meanwhile, as for a PENDING task on AWS.
 * - HeartbeatSeconds is ignored; TimeoutSecondsPath times the state out but cannot stop
 *   the container (its value is not visible to the dispatcher); an in-process Lambda
 *   keeps running after its state timed out. JSONata, variables (Assign) and Distributed
 *   Map are refused at start.
 * - One runtime per data directory (a lock file): executions left RUNNING by a process
 *   that died are closed as ABORTED (error LocalRuntimeStopped) at the next start, and
 *   their leftover task processes are killed.
 */

export interface LocalRuntimeOptions {
  jobs: JobSpec[];
  /** Durable state: executions, history, task logs under `<dataDir>/sfn/`. */
  dataDir: string;
  host?: '127.0.0.1';
  /** 0 → ephemeral. */
  port?: number;
  /** Defaults 'local', 'ap-northeast-1', '000000000000'. */
  stage?: string;
  region?: string;
  accountId?: string;
  /** Passed to every container child process (DATABASE_URL, storage env, LOG_LEVEL …), plus AWS_ENDPOINT_URL_SFN pointing at this runtime. */
  taskEnvironment: Record<string, string>;
  /** Applied to process.env for the in-process Lambdas (AWS_ENDPOINT_URL_SFN is set to this runtime). */
  lambdaEnvironment?: Record<string, string>;
  /** Stand-in for account/cluster capacity (default 8). Tasks over it wait in PROVISIONING. */
  maxConcurrentTasks?: number;
  /** SIGTERM → SIGKILL grace (ECS default 30). */
  stopTimeoutSeconds?: number;
  faults?: FaultInjectionConfig;
  onExecutionEvent?: (event: ExecutionEvent) => void;
  /** EventBridge "Step Functions Execution Status Change" event for every terminal status. Errors are logged only. */
  onStatusChangeEvent?: (event: unknown) => Promise<void>;
  /** Definitions by job name instead of synthesising them from the templates (tests). */
  definitions?: Record<string, Definition>;
  /** Shorter Wait states and Retry pauses (tests, demos). */
  timing?: TimingOverrides;
  /** Where `<container>/main.ts` and `<function>/handler.ts` live (default: the repository's containers/ and functions/). */
  containersDir?: string;
  functionsDir?: string;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
  /** More routes on the same server, tried before the API (the console: local/console/routes.ts). */
  routes?: ApiHandlers['routes'];
}

export interface LocalRuntime {
  endpoint: string;
  stateMachineArn(job: string): string;
  /** Stops running tasks as ECS would (SIGTERM, then SIGKILL) and records their executions ABORTED. */
  close(): Promise<void>;
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const openDataDirs = new Set<string>();

/** Starts the local Step Functions API (and its ECS/Lambda stand-ins) on 127.0.0.1. */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const stage = options.stage ?? 'local';
  const region = options.region ?? 'ap-northeast-1';
  const accountId = options.accountId ?? '000000000000';
  const warn = options.warn ?? ((message: string) => process.stderr.write(`[local runtime] ${message}\n`));
  const dataDir = path.resolve(options.dataDir);
  const lockFile = acquireLock(dataDir);
  try {
    const store = new ExecutionStore(dataDir);
    const stateMachines = options.jobs.map((job): StateMachineEntry => {
      const name = stateMachineName(stage, job.name);
      const definition =
        options.definitions?.[job.name] ??
        (synthesizeDefinition(job, localSynthesisContext(stage, region, accountId)) as Definition);
      const unsupported = unsupportedFeatures(definition);
      if (unsupported.length > 0) {
        throw new Error(
          `${job.sourceFile}: the ${job.workflow} workflow uses what the local interpreter (aws-local-stepfunctions) cannot run: ${unsupported.join('; ')}`,
        );
      }
      const tags = [
        { key: 'team', value: job.owner.team },
        { key: 'slack-channel', value: job.owner.slackChannel },
        ...(job.runbookUrl === undefined ? [] : [{ key: 'runbook', value: job.runbookUrl }]),
        { key: 'job', value: job.name },
      ];
      return {
        arn: `arn:aws:states:${region}:${accountId}:stateMachine:${name}`,
        name,
        job,
        definition,
        creationDate: new Date(),
        roleArn: `arn:aws:iam::${accountId}:role/${name}-role`,
        tags,
      };
    });
    const nodeBinary = existsSync(path.join(REPO_ROOT, 'node_modules/.bin/node'))
      ? path.join(REPO_ROOT, 'node_modules/.bin/node')
      : process.execPath;
    // The runtime's own copy: the endpoint (known after listen) is added below, and
    // every task process gets it, so job code can call the local Step Functions API.
    const taskEnvironment: Record<string, string> = { ...options.taskEnvironment };
    const ecs = new EcsEmulator({
      store,
      region,
      accountId,
      repoRoot: REPO_ROOT,
      containersDir: options.containersDir ?? path.join(REPO_ROOT, 'containers'),
      nodeBinary,
      taskEnvironment,
      maxConcurrentTasks: options.maxConcurrentTasks ?? 8,
      stopTimeoutSeconds: options.stopTimeoutSeconds ?? 30,
      faults: new FaultPicker(options.faults),
    });
    const lambdaEnvironment: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      // The guard Lambda's SDK client needs some credentials; the local API ignores them.
      ...(process.env.AWS_ACCESS_KEY_ID === undefined
        ? { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' }
        : {}),
      ...options.lambdaEnvironment,
    };
    const lambda = new LambdaInvoker({
      functionsDir: options.functionsDir ?? path.join(REPO_ROOT, 'functions'),
      stage,
      environment: lambdaEnvironment,
    });
    const service = new StepFunctionsService({
      store,
      ecs,
      lambda,
      region,
      accountId,
      stateMachines,
      ...(options.timing === undefined ? {} : { timing: options.timing }),
      ...(options.onExecutionEvent === undefined ? {} : { onExecutionEvent: options.onExecutionEvent }),
      ...(options.onStatusChangeEvent === undefined
        ? {}
        : { onStatusChangeEvent: options.onStatusChangeEvent }),
      warn,
    });

    const server = createApiServer(
      {
        ...(options.routes === undefined ? {} : { routes: options.routes }),
        call: (operation, body) => service.call(operation, body),
        local: (pathname, query) => {
          if (pathname === '/_local/health') {
            return { status: 'ok', pid: process.pid, stage, runningTasks: ecs.runningTaskCount };
          }
          if (pathname === '/_local/logs') {
            const executionArn = query.get('executionArn');
            if (executionArn === null)
              throw new SfnApiError('ValidationException', 'executionArn query parameter is required');
            if (store.get(executionArn) === undefined) {
              throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
            }
            return {
              tasks: store.tasks(executionArn).map((task) => ({
                taskArn: task.taskArn,
                container: task.container,
                command: task.command,
                cpu: task.cpu,
                memory: task.memory,
                startedAt: task.startedAt ?? null,
                stoppedAt: task.stoppedAt ?? null,
                exitCode: task.exitCode ?? null,
                stopCode: task.stopCode ?? null,
                stoppedReason: task.stoppedReason ?? null,
                lines: task.lines,
              })),
            };
          }
          return undefined;
        },
      },
      warn,
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const endpoint = `http://127.0.0.1:${port}`;
    lambdaEnvironment.AWS_ENDPOINT_URL_SFN = endpoint;
    taskEnvironment.AWS_ENDPOINT_URL_SFN = endpoint;
    // After listen: listeners of the ABORTED status changes may call the API back.
    service.recoverInterruptedExecutions();

    let closing: Promise<void> | undefined;
    return {
      endpoint,
      stateMachineArn: (job) =>
        `arn:aws:states:${region}:${accountId}:stateMachine:${stateMachineName(stage, job)}`,
      close: () => {
        closing ??= (async () => {
          await service.close();
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
          releaseLock(dataDir, lockFile);
        })();
        return closing;
      },
    };
  } catch (error) {
    releaseLock(dataDir, lockFile);
    throw error;
  }
}

/** One runtime per data folder: two would each close the other's executions as interrupted. */
function acquireLock(dataDir: string): string {
  const lockFile = path.join(dataDir, 'sfn', 'runtime.lock');
  if (openDataDirs.has(dataDir)) {
    throw new Error(`A local runtime in this process already uses ${dataDir}; close it first`);
  }
  if (existsSync(lockFile)) {
    const holder = Number.parseInt(readFileSync(lockFile, 'utf8').split('\n')[0] ?? '', 10);
    if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
      throw new Error(
        `Another local runtime (pid ${holder}) uses ${dataDir} (lock ${lockFile}); stop it, or start with another data directory`,
      );
    }
  }
  mkdirSync(path.dirname(lockFile), { recursive: true });
  writeAtomically(lockFile, `${process.pid}\n${new Date().toISOString()}\n`);
  openDataDirs.add(dataDir);
  return lockFile;
}

function releaseLock(dataDir: string, lockFile: string): void {
  openDataDirs.delete(dataDir);
  rmSync(lockFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
