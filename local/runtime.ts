import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { stateMachineTagList } from '../lib/contracts/state-machine-tags.ts';
import { acquireFolderLock } from '../lib/db/folder-lock.ts';
import { type JobSpec, SERVICE_NAME } from '../lib/schedule/job-spec.ts';
import { REPO_ROOT } from '../lib/schedule/load.ts';
import { CONTAINERS, scanContainerFolders } from '../lib/workflows/containers.ts';
import {
  lambdaFunctionName,
  stateMachineArn,
  stateMachineArnPrefix,
  stateMachineName,
} from '../lib/workflows/names.ts';
import { localSynthesisContext, synthesizeDefinition } from '../lib/workflows/synthesize.ts';
import { callJsonApi, checkJsonApiRequest, type JsonApiService } from './api/json-api.ts';
import { ECS_MODEL, ecsApiService } from './ecs/ecs-api.ts';
import { type FaultInjectionConfig, FaultPicker } from './ecs/faults.ts';
import { EcsEmulator } from './ecs/run-task.ts';
import { localTaskDefinitions } from './ecs/task-definitions.ts';
import { stoppedTaskRetentionMs } from './ecs/task-registry.ts';
import { LambdaInvoker } from './lambda/invoke.ts';
import { notifyDelivery } from './notify/deliver.ts';
import {
  STEP_FUNCTIONS_ERRORS_BY_SHAPE,
  STEP_FUNCTIONS_MODEL,
  STEP_FUNCTIONS_RULES,
} from './sfn/api-rules.ts';
import { SfnApiError } from './sfn/errors.ts';
import { type ApiHandlers, createApiServer, type RequestTimeouts } from './sfn/server.ts';
import {
  type Definition,
  type ExecutionEvent,
  type StateMachineEntry,
  StepFunctionsService,
  type TimingOverrides,
  unsupportedFeatures,
} from './sfn/service.ts';
import { jobWithScaledRetry, scalePauses } from './sfn/time-scale.ts';
import { ExecutionStore } from './store/execution-store.ts';

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
 *   their leftover task processes are killed. Their stopDate is the last instant that
 *   process was known alive (a heartbeat every 5 s in sfn/heartbeat.json), not the restart.
 */

/** Powertools level of the in-process Lambdas when POWERTOOLS_LOG_LEVEL is not set. */
export const LOCAL_LAMBDA_LOG_LEVEL = 'WARN';

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
  /**
   * Deliver the status-change events the notify rules match to the real notify Lambda
   * (`functions/notify-failure/handler.ts`), as EventBridge does. Default: on when the
   * Lambdas are the repository's own (no `functionsDir`).
   */
  notifyLambda?: boolean;
  /** Pauses before the retries of a failed notify invocation (default 1 s, 2 s: Lambda's two async retries). */
  notifyRetryDelaysMs?: readonly number[];
  /** What the notify Lambda returned for a delivered event (for the terminal). */
  onNotification?: (result: unknown) => void;
  /** Definitions by job name instead of synthesising them from the templates (tests). */
  definitions?: Record<string, Definition>;
  /** Shorter Wait states and Retry pauses (tests, demos). */
  timing?: TimingOverrides;
  /**
   * Multiplies every pause of the synthesised definitions (Retry intervals with their backoff
   * and jitter, Wait states, the jobs' retry.interval) by this factor; see sfn/time-scale.ts.
   */
  timeScale?: number;
  /**
   * How many times as fast as real time the runtime's clock runs (`npm start --speed`; default 1).
   * The scheduler's clock follows it; so does how long the local ECS keeps stopped tasks listed
   * (an hour of that clock, at least a real minute). Execution dates stay real.
   */
  clockSpeed?: number;
  /** Where `<container>/main.ts` and `<function>/handler.ts` live (default: the repository's containers/ and functions/). */
  containersDir?: string;
  functionsDir?: string;
  /** How often the runtime records that it is alive (default 5000 ms): after a crash, the stop date of the executions it ran. */
  heartbeatIntervalMs?: number;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
  /** More routes on the same server, tried before the API (the console: local/console/routes.ts). */
  routes?: ApiHandlers['routes'];
  /** Limits on slow clients (default DEFAULT_REQUEST_TIMEOUTS in sfn/server.ts). */
  requestTimeouts?: RequestTimeouts;
  /** Path of the console on this endpoint: the notify Lambda links executions to `<endpoint><consolePath>/executions/<arn>` (SFN_BATCH_CONSOLE_URL). */
  consolePath?: string;
}

export interface LocalRuntime {
  endpoint: string;
  stateMachineArn(job: string): string;
  /** Stops running tasks as ECS would (SIGTERM, then SIGKILL) and records their executions ABORTED. */
  close(): Promise<void>;
}

/** Starts the local Step Functions API (and its ECS/Lambda stand-ins) on 127.0.0.1. */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const stage = options.stage ?? 'local';
  const region = options.region ?? 'ap-northeast-1';
  const accountId = options.accountId ?? '000000000000';
  const warn = options.warn ?? ((message: string) => process.stderr.write(`[local runtime] ${message}\n`));
  const dataDir = path.resolve(options.dataDir);
  const releaseLock = acquireLock(dataDir);
  try {
    const store = new ExecutionStore(dataDir, { warn });
    const containersDir = options.containersDir ?? path.join(REPO_ROOT, 'containers');
    // Every complete folder in the containers directory gets a task definition, as on AWS.
    const containers = [...new Set([...CONTAINERS, ...scanContainerFolders(containersDir).containers])];
    const synthesisContext = localSynthesisContext(stage, region, accountId, containers);
    const stateMachines = options.jobs.map((job): StateMachineEntry => {
      const name = stateMachineName(stage, job.name);
      const scale = options.timeScale;
      const definition =
        options.definitions?.[job.name] ??
        (scale === undefined
          ? (synthesizeDefinition(job, synthesisContext) as Definition)
          : scalePauses(
              synthesizeDefinition(jobWithScaledRetry(job, scale), synthesisContext) as Definition,
              scale,
            ));
      const unsupported = unsupportedFeatures(definition);
      if (unsupported.length > 0) {
        throw new Error(
          `${job.sourceFile}: the ${job.workflow} workflow uses what the local interpreter (aws-local-stepfunctions) cannot run: ${unsupported.join('; ')}`,
        );
      }
      const tags = stateMachineTagList(job, stage);
      return {
        arn: stateMachineArn(region, accountId, stage, job.name),
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
      containersDir,
      nodeBinary,
      taskEnvironment,
      maxConcurrentTasks: options.maxConcurrentTasks ?? 8,
      stopTimeoutSeconds: options.stopTimeoutSeconds ?? 30,
      faults: new FaultPicker(options.faults),
      stoppedTaskRetentionMs: stoppedTaskRetentionMs(options.clockSpeed),
    });
    const lambdaEnvironment: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      // The in-process Lambdas log to this process's stdout (a terminal, a test run): WARN and
      // ERROR only, unless the user sets a level. Containers log into their task's log view.
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? LOCAL_LAMBDA_LOG_LEVEL,
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
    const statusChangeListeners: ((event: unknown) => Promise<void>)[] = [];
    const notifications =
      (options.notifyLambda ?? options.functionsDir === undefined)
        ? notifyDelivery({
            lambda,
            functionArn: `arn:aws:lambda:${region}:${accountId}:function:${lambdaFunctionName(stage, 'notifyFailure')}`,
            stateMachineArnPrefix: stateMachineArnPrefix(region, accountId, stage),
            dataDir,
            ...(options.notifyRetryDelaysMs === undefined
              ? {}
              : { retryDelaysMs: options.notifyRetryDelaysMs }),
            warn,
            ...(options.onNotification === undefined ? {} : { onDelivered: options.onNotification }),
          })
        : undefined;
    if (notifications !== undefined) statusChangeListeners.push(notifications.deliver);
    if (options.onStatusChangeEvent !== undefined) statusChangeListeners.push(options.onStatusChangeEvent);
    const service = new StepFunctionsService({
      store,
      ecs,
      lambda,
      region,
      accountId,
      stateMachines,
      ...(options.timing === undefined ? {} : { timing: options.timing }),
      ...(options.onExecutionEvent === undefined ? {} : { onExecutionEvent: options.onExecutionEvent }),
      ...(statusChangeListeners.length === 0
        ? {}
        : {
            onStatusChangeEvent: async (event: unknown) => {
              await Promise.all(statusChangeListeners.map((listener) => listener(event)));
            },
          }),
      // Late-bound: stepFunctionsApi below wraps this service.
      checkRequest: (operation, body) => checkJsonApiRequest(stepFunctionsApi, operation, body),
      warn,
    });

    const stepFunctionsApi: JsonApiService = {
      model: STEP_FUNCTIONS_MODEL,
      errorsByShape: STEP_FUNCTIONS_ERRORS_BY_SHAPE,
      validationErrors: ['ValidationException'],
      rules: STEP_FUNCTIONS_RULES,
      call: (operation, body) => service.call(operation, body),
    };
    const ecsApi = ecsApiService({
      registry: ecs.registry,
      taskDefinitions: localTaskDefinitions(stage, region, accountId),
      clusterArn: `arn:aws:ecs:${region}:${accountId}:cluster/${SERVICE_NAME}-${stage}`,
      region,
      accountId,
    });
    const server = createApiServer(
      {
        ...(options.routes === undefined ? {} : { routes: options.routes }),
        targets: [
          {
            targetPrefix: STEP_FUNCTIONS_MODEL.metadata.targetPrefix,
            jsonVersion: STEP_FUNCTIONS_MODEL.metadata.jsonVersion,
            call: (operation, body) => callJsonApi(stepFunctionsApi, operation, body),
          },
          {
            targetPrefix: ECS_MODEL.metadata.targetPrefix,
            jsonVersion: ECS_MODEL.metadata.jsonVersion,
            call: (operation, body) => callJsonApi(ecsApi, operation, body),
          },
        ],
        local: (pathname, query) => {
          if (pathname === '/_local/health') {
            const health = {
              status: 'ok',
              pid: process.pid,
              stage,
              runningTasks: ecs.runningTaskCount,
              eventLoopDelay: eventLoopDelay.summary(),
            };
            // ?resetEventLoopDelay=1 starts a new measurement window after this answer.
            if (query.get('resetEventLoopDelay') === '1') eventLoopDelay.reset();
            return health;
          }
          if (pathname === '/_local/logs') {
            const executionArn = query.get('executionArn');
            if (executionArn === null)
              throw new SfnApiError('ValidationException', 'executionArn query parameter is required');
            if (!store.has(executionArn)) {
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
      options.requestTimeouts,
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const endpoint = `http://127.0.0.1:${port}`;
    lambdaEnvironment.AWS_ENDPOINT_URL_SFN = endpoint;
    if (options.consolePath !== undefined)
      lambdaEnvironment.SFN_BATCH_CONSOLE_URL = `${endpoint}${options.consolePath}`;
    taskEnvironment.AWS_ENDPOINT_URL_SFN = endpoint;
    // After listen: listeners of the ABORTED status changes may call the API back.
    service.recoverInterruptedExecutions();
    service.startHeartbeat(options.heartbeatIntervalMs ?? 5000);
    // Started last: a start that fails before (port in use, say) leaves no sampling timer behind.
    const eventLoopDelay = eventLoopDelayMonitor();

    let closing: Promise<void> | undefined;
    return {
      endpoint,
      stateMachineArn: (job) => stateMachineArn(region, accountId, stage, job),
      close: () => {
        closing ??= (async () => {
          notifications?.stopRetrying();
          eventLoopDelay.stop();
          await service.close();
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
          releaseLock();
        })();
        return closing;
      },
    };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

/**
 * How late this process's timers run (Wait states, Retry pauses, task timeouts, the scheduler
 * all wait on this one event loop), for GET /_local/health. Anything synchronous in the
 * process (a spawn's fork, a large JSON parse) shows here.
 */
function eventLoopDelayMonitor() {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let since = new Date();
  // The histogram holds the intervals between the 10 ms timer's runs: lateness is what exceeds 10 ms.
  const milliseconds = (nanoseconds: number) => Math.max(0, Math.round((nanoseconds - 10e6) / 1e4) / 100);
  return {
    /** Lateness of a 10 ms timer since the last reset: percentiles and maximum in ms. */
    summary: () => ({
      since: since.toISOString(),
      samples: histogram.count,
      p50Ms: milliseconds(histogram.count > 0 ? histogram.percentile(50) : 0),
      p99Ms: milliseconds(histogram.count > 0 ? histogram.percentile(99) : 0),
      maxMs: milliseconds(histogram.count > 0 ? histogram.max : 0),
    }),
    reset: () => {
      histogram.reset();
      since = new Date();
    },
    stop: () => histogram.disable(),
  };
}

/** One runtime per data folder: two would each close the other's executions as interrupted. */
function acquireLock(dataDir: string): () => void {
  const storeDir = path.join(dataDir, 'sfn');
  mkdirSync(storeDir, { recursive: true });
  return acquireFolderLock(storeDir, path.join(storeDir, 'runtime.lock'));
}
