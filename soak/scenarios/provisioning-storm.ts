/**
 * Reliability scenario "provisioning storm" (issue 12, docs/reliability.md): the month-start
 * burst with 30% of task starts failing, spread over every provisioning-failure kind
 * (SFN_BATCH_FAULTS), and more rounds of the due task jobs for a countable sample. Checks that
 * every execution ends; that histories show bounded retries with the template's backoff; that no
 * export target is lost or converted twice (a failed export's unconverted targets stay pending and
 * a redrive converts them once); that Slack posts go out for the FAILED executions and no others;
 * and compares the runs that exhausted their retries with what the retry settings predict.
 *
 * Pauses run at SFN_BATCH_TIME_SCALE 1/30 (local/sfn/time-scale.ts): 30 s retry pauses take 1 s,
 * the RunTask Retry's 10 s × 2^n takes 0.33 s × 2^n, with backoff and jitter unchanged.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  type DescribeExecutionCommandOutput,
  DescribeStateMachineCommand,
  type HistoryEvent,
  RedriveExecutionCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  PROVISIONING_FAILURES,
  type ProvisioningFailureName,
} from '../../lib/contracts/provisioning-failures.ts';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import { loadScheduleCatalogue } from '../../lib/schedule/load.ts';
import { retryWaitSeconds } from '../../lib/workflows/synthesize.ts';
import { jobWithScaledRetry } from '../../local/sfn/time-scale.ts';
import { startWebhookServer } from '../../test/support/webhook.ts';
import {
  BURST_SIZES,
  type Burst,
  eventsByIteration,
  executionHistory,
  exportedFiles,
  loggedTasks,
  MONTH_START,
  removeBurst,
  startBurst,
  waitForEnd,
} from '../month-start.ts';
import type { Scenario } from '../scenario.ts';
import { stopAndCheckExport } from './month-start-burst.ts';

const TIME_SCALE = 1 / 30;
/** Share of task starts that fail, spread evenly over the kinds drawn at a task start. */
const FAULT_SHARE = 0.3;
/**
 * Extra sequential rounds of the due task jobs, for a sample of task start sequences worth
 * counting. Few at full size: meter-usage-daily and -monthly took about 20 minutes each over
 * 1.4 million records on the embedded database (2026-11-30, load 25), so a round lasts as long.
 */
const ROUNDS = { quick: 2, full: 3 } as const;
/**
 * Back-to-back runs of two cheap task jobs of the catalogue that the burst does not run, one
 * on-demand and one on Spot (its own interruptions), next to the rounds, so
 * a full run draws enough task starts to meet every kind: each of the six start kinds has a share
 * of 0.05 per RunTask try, so 18 sequences (the first full run, 2026-11-30) left four kinds unseen;
 * about 250 tries leave a given kind unseen with probability 0.95^250 < 3e-6.
 */
const LOOPS = { quick: 2, full: 90 } as const;
const LOOP_JOBS = ['escalate-corrective-actions', 'cleanup-expired-exports'] as const;
/** Redrives allowed for an export that failed (the faults stay on). */
const MAX_REDRIVES = 4;
/** Timer and event-loop slack allowed on a pause measured from the history, under a loaded machine. */
const TOLERANCE_S = 2;

const START_KINDS = (Object.keys(PROVISIONING_FAILURES) as ProvisioningFailureName[]).filter((name) => {
  const kind = PROVISIONING_FAILURES[name];
  return kind.surface === 'runtask-error' || kind.injected.phase === 'start';
});
const RUNTASK_ERROR_SHARE =
  (FAULT_SHARE / START_KINDS.length) *
  START_KINDS.filter((name) => PROVISIONING_FAILURES[name].surface === 'runtask-error').length;
const STOPPED_START_SHARE = FAULT_SHARE - RUNTASK_ERROR_SHARE;

/** Every kind gets a share; spotInterruption is drawn only for Spot tasks, the others at each start. */
function faultSettings(): Record<string, number> {
  return {
    ...Object.fromEntries(
      (Object.keys(PROVISIONING_FAILURES) as ProvisioningFailureName[]).map((name) => [
        name,
        Number((START_KINDS.includes(name) ? FAULT_SHARE / START_KINDS.length : FAULT_SHARE).toFixed(6)),
      ]),
    ),
    seed: 12,
  };
}

interface Retrier {
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}

/** The Retry of the task state that runs the container, from the definition the runtime runs. */
function taskRetrier(definition: unknown, stateName: string): Retrier {
  const find = (states: Record<string, Record<string, unknown>> | undefined): Retrier | undefined => {
    for (const [name, state] of Object.entries(states ?? {})) {
      if (name === stateName) return ((state.Retry as Retrier[] | undefined) ?? [])[0];
      const inner = (state.ItemProcessor as { States?: Record<string, Record<string, unknown>> } | undefined)
        ?.States;
      const found = find(inner);
      if (found) return found;
    }
    return undefined;
  };
  const retrier = find((definition as { States?: Record<string, Record<string, unknown>> }).States);
  if (retrier === undefined) throw new Error(`no Retry on state "${stateName}"`);
  return retrier;
}

interface SequenceFacts {
  attempts: number;
  exhausted: boolean;
  retried: boolean;
}

const seconds = (from: HistoryEvent | undefined, to: HistoryEvent | undefined) =>
  ((to?.timestamp?.getTime() ?? 0) - (from?.timestamp?.getTime() ?? 0)) / 1000;

/**
 * Checks one task start sequence (one execution's task, or one Map iteration's converter):
 * attempts of the Catch loop at most retry.maxAttempts, tries per attempt at most the Retry's
 * MaxAttempts + 1, Retry pauses within IntervalSeconds × BackoffRate^n (full jitter: 0 to that),
 * and each Wait before a new attempt as long as the job's retry pause.
 */
/** How many pauses the histories showed, and the largest overrun of each kind over its bound. */
interface PauseStats {
  waits: number;
  retries: number;
  waitOverrunS: number;
  retryOverrunS: number;
}

function checkSequence(
  label: string,
  events: HistoryEvent[],
  names: { task: string; wait: string },
  job: JobSpec,
  retrier: Retrier,
  stats: PauseStats,
  fail: (message: string) => void,
): SequenceFacts | undefined {
  const waits = retryWaitSeconds(jobWithScaledRetry(job, TIME_SCALE));
  const attempts: HistoryEvent[][] = [];
  let current: HistoryEvent[] | undefined;
  let waitIndex = 0;
  let waitEntered: HistoryEvent | undefined;
  for (const event of events) {
    const entered = event.stateEnteredEventDetails?.name;
    if (event.type === 'TaskStateEntered' && entered === names.task) {
      current = [];
      attempts.push(current);
    } else if (event.type?.endsWith('StateEntered')) current = undefined;
    if (event.type === 'WaitStateEntered' && entered === names.wait) waitEntered = event;
    if (event.type === 'WaitStateExited' && waitEntered !== undefined) {
      waitIndex++;
      const expected = waits[waitIndex] ?? Number.NaN;
      const took = seconds(waitEntered, event);
      stats.waits++;
      stats.waitOverrunS = Math.max(stats.waitOverrunS, took - expected);
      if (!(took >= expected - 0.05 && took <= expected + TOLERANCE_S))
        fail(
          `${label}: pause ${waitIndex} before a new attempt took ${took} s; the job's retry says ${expected} s`,
        );
      waitEntered = undefined;
    }
    if (current !== undefined && /^Task(Scheduled|Failed|Succeeded|TimedOut)$/.test(event.type ?? ''))
      current.push(event);
  }
  if (attempts.length === 0) return undefined;
  if (attempts.length > job.retry.maxAttempts)
    fail(`${label}: ${attempts.length} attempts; retry.maxAttempts is ${job.retry.maxAttempts}`);
  const maxTries = (retrier.MaxAttempts ?? 3) + 1;
  for (const [index, attempt] of attempts.entries()) {
    const scheduled = attempt.filter((event) => event.type === 'TaskScheduled');
    if (scheduled.length > maxTries)
      fail(
        `${label}: attempt ${index + 1} tried RunTask ${scheduled.length} times; the Retry allows ${maxTries}`,
      );
    for (let retry = 1; retry < scheduled.length; retry++) {
      const failed = [...attempt]
        .reverse()
        .find((event) => event.type === 'TaskFailed' && (event.id ?? 0) < (scheduled[retry]?.id ?? 0));
      const bound = Math.min(
        (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** (retry - 1),
        retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY,
      );
      const took = seconds(failed, scheduled[retry]);
      stats.retries++;
      stats.retryOverrunS = Math.max(stats.retryOverrunS, took - bound);
      if (!(took >= 0 && took <= bound + TOLERANCE_S))
        fail(
          `${label}: Retry ${retry} of attempt ${index + 1} paused ${took} s; the Retry allows 0 to ${bound} s`,
        );
    }
  }
  const last = events.filter((event) => /^Task(Failed|Succeeded)$/.test(event.type ?? '')).pop();
  const tries = attempts.flat().filter((event) => event.type === 'TaskScheduled').length;
  return { attempts: attempts.length, exhausted: last?.type === 'TaskFailed', retried: tries > 1 };
}

/** Probability that a task start sequence exhausts its retries (see docs/reliability.md). */
function exhaustionProbability(job: JobSpec, retrier: Retrier): number {
  const maxAttempts = job.retry.maxAttempts;
  const q = RUNTASK_ERROR_SHARE;
  // A started Spot task is then interrupted with the spotInterruption share.
  const r =
    STOPPED_START_SHARE + (job.spot ? (1 - RUNTASK_ERROR_SHARE - STOPPED_START_SHARE) * FAULT_SHARE : 0);
  const tries = (retrier.MaxAttempts ?? 3) + 1;
  // One attempt fails when its RunTask tries all hit API errors, or a try starts a task that fails to start.
  const retryExhausted = q ** tries;
  const attemptFails = retryExhausted + (r * (1 - q ** tries)) / (1 - q);
  // The Catch loop stops at once on RunTask errors that exhaust the Retry (not a stopped task).
  let probability = 0;
  let reach = 1;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    probability += reach * retryExhausted;
    reach *= attemptFails - retryExhausted;
  }
  return probability + reach;
}

const provisioningStorm: Scenario = async ({ size, log }) => {
  const burstSize = BURST_SIZES[size];
  const failures: string[] = [];
  const fail = (message: string) => failures.push(message);
  let started = Date.now();
  const webhook = await startWebhookServer();
  let burst: Burst | undefined;
  try {
    burst = await startBurst(burstSize, log, {
      SFN_BATCH_FAULTS: JSON.stringify(faultSettings()),
      SFN_BATCH_TIME_SCALE: String(TIME_SCALE),
      SLACK_WEBHOOK_URL: webhook.url('/services/T0/B0/storm'),
    });
    started = Date.now();
    const { client, endpoint } = burst;
    log(`npm start is up with faults ${JSON.stringify(faultSettings())}`);
    const jobs = new Map<string, JobSpec>();
    const runs: Array<{ arn: string; job: JobSpec }> = [];
    for (const due of burst.due) {
      jobs.set(due.arn, due.job);
      runs.push({ arn: due.arn, job: due.job });
    }
    const remaining = () => burstSize.runTimeoutMs - (Date.now() - started);
    const ended = await waitForEnd(burst, [...jobs.keys()], remaining());
    log(`the burst ended: ${[...ended.values()].map((e) => `${e.name} ${e.status}`).join(', ')}`);

    // More rounds of the due task jobs (in parallel across jobs, one at a time per job: forbid),
    // and next to them the loops of two other jobs (distinct jobs, so no start is a forbid skip).
    const taskJobs = burst.due.filter((due) => due.job.workflow === 'task').map((due) => due.job);
    const stateMachineArn = (job: string) =>
      `arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-local-${job}`;
    const catalogue = new Map((await loadScheduleCatalogue()).jobs.map((job) => [job.name, job]));
    const running = burst;
    const loops = Promise.all(
      LOOP_JOBS.map(async (name) => {
        const job = catalogue.get(name);
        if (job === undefined) throw new Error(`${name} is not in schedules/`);
        for (let run = 1; run <= LOOPS[size]; run++) {
          const { executionArn = '' } = await client.send(
            new StartExecutionCommand({
              stateMachineArn: stateMachineArn(name),
              name: `${name}-storm-loop-${run}`,
              input: JSON.stringify({ scheduledTime: MONTH_START.toISOString() }),
            }),
          );
          jobs.set(executionArn, job);
          runs.push({ arn: executionArn, job });
          for (const [arn, execution] of await waitForEnd(running, [executionArn], remaining()))
            ended.set(arn, execution);
          if (run % 30 === 0) log(`${name}: ${run} of ${LOOPS[size]} back-to-back runs ended`);
        }
      }),
    );
    // Awaited after the rounds; a failure meanwhile must not surface as an unhandled rejection.
    loops.catch(() => undefined);
    for (let round = 1; round <= ROUNDS[size]; round++) {
      const arns = await Promise.all(
        taskJobs.map(async (job) => {
          const { executionArn = '' } = await client.send(
            new StartExecutionCommand({
              stateMachineArn: stateMachineArn(job.name),
              name: `${job.name}-storm-round-${round}`,
              input: JSON.stringify({ scheduledTime: MONTH_START.toISOString() }),
            }),
          );
          jobs.set(executionArn, job);
          runs.push({ arn: executionArn, job });
          return executionArn;
        }),
      );
      for (const [arn, execution] of await waitForEnd(burst, arns, remaining())) ended.set(arn, execution);
      log(`round ${round} of ${ROUNDS[size]} ended`);
    }
    await loops;

    // Failed exports: their unconverted targets are pending, not lost; a redrive converts them.
    const failureEndings = new Map<string, number>();
    const countFailure = (execution: DescribeExecutionCommandOutput) => {
      if (execution.status !== 'SUCCEEDED' && execution.executionArn)
        failureEndings.set(execution.executionArn, (failureEndings.get(execution.executionArn) ?? 0) + 1);
    };
    for (const execution of ended.values()) countFailure(execution);
    let redrives = 0;
    let pendingAfterFailure = 0;
    for (const due of burst.due.filter((candidate) => candidate.job.workflow === 'xlsx-export')) {
      for (let redrive = 0; ended.get(due.arn)?.status === 'FAILED' && redrive < MAX_REDRIVES; redrive++) {
        // Between failure and redrive: no target lost (a failed batch's targets are still to do).
        if (due.job.name === 'export-monthly-records')
          pendingAfterFailure += checkFailedExportTargets(
            burst.dataDir,
            ended.get(due.arn)?.cause ?? '',
            fail,
          );
        log(`${due.name} FAILED (${ended.get(due.arn)?.error}); redriving`);
        await client.send(new RedriveExecutionCommand({ executionArn: due.arn }));
        redrives++;
        for (const [arn, execution] of await waitForEnd(burst, [due.arn], remaining())) {
          // A redriven execution is RUNNING again before it ends; wait for the new end.
          ended.set(arn, execution);
          countFailure(execution);
        }
      }
    }

    // Every execution ended, and a failure is a provisioning failure that exhausted its retries.
    for (const [arn, execution] of ended) {
      if (execution.status === 'SUCCEEDED') continue;
      const provisioning =
        execution.error === 'TaskProvisioningFailed' ||
        (execution.error === 'ExportsFailed' && execution.cause?.includes('TaskProvisioningFailed')) ||
        execution.error?.startsWith('ECS.');
      if (!provisioning)
        fail(
          `${arn.split(':').pop()} ended ${execution.status} with ${execution.error}: ${execution.cause?.slice(0, 300)}`,
        );
    }
    const monthly = burst.due.find((due) => due.job.name === 'export-monthly-records');
    if (monthly && ended.get(monthly.arn)?.status !== 'SUCCEEDED')
      fail(`the monthly export still failed after ${MAX_REDRIVES} redrives`);

    // Histories: bounded retries with backoff; and the exhausted sequences against the prediction.
    const retriers = new Map<string, Retrier>();
    let sequences = 0;
    let exhausted = 0;
    let retriedThenSucceeded = 0;
    let expectedExhausted = 0;
    let maxAttemptsSeen = 0;
    const succeededAfterRetry = new Set<string>();
    const stats: PauseStats = { waits: 0, retries: 0, waitOverrunS: 0, retryOverrunS: 0 };
    for (const { arn, job } of runs) {
      const names =
        job.workflow === 'task'
          ? { task: 'Run job task', wait: 'Wait before retrying' }
          : { task: 'Run converter task', wait: 'Wait before retrying converter' };
      let retrier = retriers.get(job.name);
      if (retrier === undefined) {
        const machine = await client.send(
          new DescribeStateMachineCommand({
            stateMachineArn: `arn:aws:states:ap-northeast-1:000000000000:stateMachine:sfn-batch-local-${job.name}`,
          }),
        );
        retrier = taskRetrier(JSON.parse(machine.definition ?? '{}'), names.task);
        retriers.set(job.name, retrier);
      }
      // A redrive reruns the Map: each run (before and after each ExecutionRedriven) is checked on its own.
      const segments: HistoryEvent[][] = [[]];
      for (const event of await executionHistory(client, arn)) {
        if (event.type === 'ExecutionRedriven') segments.push([]);
        segments.at(-1)?.push(event);
      }
      for (const [iteration, events, run] of segments.flatMap((segment, run) =>
        [...eventsByIteration(segment)].map(([index, group]) => [index, group, run] as const),
      )) {
        const label = `${arn.split(':').pop()}${run > 0 ? ` (redrive ${run})` : ''}${iteration >= 0 ? ` batch ${iteration}` : ''}`;
        const facts = checkSequence(label, events, names, job, retrier, stats, fail);
        if (facts === undefined) continue;
        sequences++;
        maxAttemptsSeen = Math.max(maxAttemptsSeen, facts.attempts);
        expectedExhausted += exhaustionProbability(job, retrier);
        if (facts.exhausted) exhausted++;
        else if (facts.retried) {
          retriedThenSucceeded++;
          succeededAfterRetry.add(arn);
        }
      }
    }

    // Notifications: one post per FAILED ending, none for an execution that only retried.
    const expectedPosts = [...failureEndings.values()].reduce((sum, count) => sum + count, 0);
    const deadline = Date.now() + 60_000;
    while (webhook.posts.length < expectedPosts && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    const postsFor = (name: string) => {
      const mention = new RegExp(`${name}(?![-0-9A-Za-z])`);
      return webhook.posts.filter((post) => mention.test(JSON.stringify(post))).length;
    };
    for (const { arn } of runs) {
      const name = arn.split(':').pop() ?? '';
      const expected = failureEndings.get(arn) ?? 0;
      const posted = postsFor(name);
      if (posted !== expected) fail(`${name}: ${posted} Slack posts for ${expected} failed endings`);
    }
    const retriedQuietly = [...succeededAfterRetry].filter(
      (arn) => (failureEndings.get(arn) ?? 0) === 0 && postsFor(arn.split(':').pop() ?? '') === 0,
    ).length;
    if (webhook.posts.length !== expectedPosts)
      fail(`${webhook.posts.length} Slack posts in all for ${expectedPosts} failed endings`);

    const exportOutput = JSON.parse(monthly ? (ended.get(monthly.arn)?.output ?? '{}') : '{}') as {
      targetCount?: number;
    };
    const monthTasks = monthly ? await loggedTasks(endpoint, monthly.arn) : [];
    const faultStops = (await Promise.all(runs.map((run) => loggedTasks(endpoint, run.arn))))
      .flat()
      .filter((task) => task.stopCode === 'TaskFailedToStart').length;
    const kindsSeen = await faultKindsSeen(
      client,
      runs.map((run) => run.arn),
    );
    // A quick run draws too few starts to be sure of meeting each kind; a full run must.
    for (const name of Object.keys(PROVISIONING_FAILURES))
      if (size === 'full' && !kindsSeen[name])
        fail(`no ${name} fault was seen: the storm did not cover every kind`);
    const exportFigures = await stopAndCheckExport(burst, monthTasks, size, exportOutput.targetCount, fail);
    const statuses = [...ended.values()].map((execution) => execution.status);
    return {
      scenario: 'provisioning storm',
      passed: failures.length === 0,
      figures: {
        executions: ended.size,
        succeeded: statuses.filter((status) => status === 'SUCCEEDED').length,
        failed: statuses.filter((status) => status === 'FAILED').length,
        'export redrives': redrives,
        'targets pending after a failed export': pendingAfterFailure,
        'task start sequences': sequences,
        'retried then succeeded': retriedThenSucceeded,
        'exhausted retries (observed)': exhausted,
        'exhausted retries (expected)': Math.round(expectedExhausted * 100) / 100,
        'most attempts in a sequence': maxAttemptsSeen,
        'pauses before a new attempt': stats.waits,
        'longest overrun of such a pause s': Math.round(stats.waitOverrunS * 1000) / 1000,
        'RunTask Retry pauses': stats.retries,
        'longest overrun of a Retry bound s': Math.round(stats.retryOverrunS * 1000) / 1000,
        'tasks stopped TaskFailedToStart': faultStops,
        'faults seen by kind': Object.entries(kindsSeen)
          .map(([name, count]) => `${name} ${count}`)
          .join(', '),
        'Slack posts': webhook.posts.length,
        'executions that retried, succeeded and posted nothing': retriedQuietly,
        'targets converted once': exportFigures.targets ?? 0,
        'xlsx data rows': exportFigures['xlsx data rows'] ?? 0,
      },
      failures,
    };
  } finally {
    await burst?.close();
    if (burst) removeBurst(burst);
    await webhook.close();
  }
};

/** How many failed task tries each provisioning-failure kind caused, from the executions' histories. */
async function faultKindsSeen(client: Burst['client'], arns: string[]): Promise<Record<string, number>> {
  const seen: Record<string, number> = Object.fromEntries(
    Object.keys(PROVISIONING_FAILURES).map((name) => [name, 0]),
  );
  for (const arn of arns) {
    for (const event of await executionHistory(client, arn)) {
      if (event.type !== 'TaskFailed') continue;
      const { error = '', cause = '' } = event.taskFailedEventDetails ?? {};
      for (const [name, kind] of Object.entries(PROVISIONING_FAILURES)) {
        const matches =
          kind.surface === 'runtask-error'
            ? error === kind.error && cause.includes(kind.injectedMessage.slice(0, 30))
            : cause.includes(kind.injected.reason.slice(0, 30));
        if (matches) seen[name] = (seen[name] ?? 0) + 1;
      }
    }
  }
  return seen;
}

/**
 * For a FAILED export: the targets of its failed batches (from the manifest the cause names) have
 * no file yet, and the targets of the other batches have theirs. Returns how many are still to do.
 */
function checkFailedExportTargets(dataDir: string, cause: string, fail: (message: string) => void): number {
  const failedIndexes = JSON.parse(/batch indexes (\[[^\]]*\])/.exec(cause)?.[1] ?? 'null') as
    | number[]
    | null;
  const manifestKey = /in manifest (\S+?\.json)/.exec(cause)?.[1];
  if (failedIndexes === null || manifestKey === undefined) {
    fail(`the failed export's cause names no batch indexes or manifest: ${cause.slice(0, 300)}`);
    return 0;
  }
  const manifest = JSON.parse(readFileSync(path.join(dataDir, 'objects', manifestKey), 'utf8')) as {
    batches: Array<{ batchIndex: number; targets: Array<{ objectKey: string }> }>;
  };
  const files = new Set(exportedFiles(dataDir));
  let pending = 0;
  for (const batch of manifest.batches) {
    const failed = failedIndexes.includes(batch.batchIndex);
    for (const target of batch.targets) {
      if (failed && files.has(target.objectKey))
        fail(`${target.objectKey} of failed batch ${batch.batchIndex} has a file`);
      if (!failed && !files.has(target.objectKey))
        fail(`${target.objectKey} of converted batch ${batch.batchIndex} has no file: lost`);
      if (failed) pending++;
    }
  }
  return pending;
}

export default provisioningStorm;
