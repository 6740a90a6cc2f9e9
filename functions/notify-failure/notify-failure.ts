/**
 * The notify Lambda's logic: turns a "Step Functions Execution Status Change" event
 * into a Slack Block Kit message and posts it to an incoming webhook. FAILED,
 * TIMED_OUT and ABORTED post an alert; a SUCCEEDED execution that the duplicate-start
 * guard skipped may post a "repeated skips" warning. Who to address and when comes
 * from the state machine's tags (lib/contracts/state-machine-tags.ts). A message that
 * cannot be delivered comes back as a `failed` outcome, which the handler turns into a
 * failed invocation, so that it is retried and then lands in the dead-letter queue.
 */

import { z } from 'zod';
import { type JobTags, readStateMachineTags } from '../../lib/contracts/state-machine-tags.ts';
import { type StatusChangeEvent, statusChangeEventSchema } from '../../lib/contracts/status-change-event.ts';
import type { NotifiableStatus } from '../../lib/schedule/job-spec.ts';
import { jobOfStateMachine, parseStepFunctionsArn } from '../../lib/workflows/names.ts';
import {
  buildFailureMessage,
  buildRepeatedSkipsMessage,
  type FailureReport,
  type LinkTarget,
  renderPlainText,
  type SlackMessage,
} from './block-kit.ts';
import type { ExecutionApi } from './sfn-execution-api.ts';
import { type NotifyLogger, postToWebhook, type WebhookPostOptions } from './slack-client.ts';

export interface NotifyDependencies {
  api: ExecutionApi;
  logger: NotifyLogger;
  /** Incoming webhook URL; without one the message is printed through the logger. */
  webhookUrl: string | undefined;
  links: LinkTarget;
  post?: Partial<WebhookPostOptions>;
}

export interface NotifyOutcome {
  action: 'ignored' | 'posted' | 'printed' | 'failed';
  reason: string;
  message?: SlackMessage;
}

/** Raised by the handler when a notification could not be delivered; the name is what the dead-letter record shows. */
export class NotificationNotDeliveredError extends Error {
  override name = 'NotificationNotDelivered';
}

/** The job's tags, or empty ones (defaults) when ListTagsForResource fails. */
async function jobTags(
  stateMachineArn: string,
  deps: NotifyDependencies,
): Promise<{ job: string; tags: JobTags }> {
  const raw = await deps.api.stateMachineTags(stateMachineArn).catch((error: unknown) => {
    deps.logger.warn('could not read state machine tags; notifying without owner and runbook', {
      error: errorText(error),
    });
    return {} as Record<string, string>;
  });
  const tags = readStateMachineTags(raw);
  const job =
    tags.job ??
    jobOfStateMachine(stateMachineArn)?.job ??
    parseStepFunctionsArn(stateMachineArn)?.stateMachineName ??
    stateMachineArn;
  return { job, tags };
}

/**
 * Handles one status change event. Returns `failed` (and never throws) when the message
 * could not be built or delivered; the caller decides what a failure means.
 */
export async function notifyExecutionStatusChange(
  rawEvent: unknown,
  deps: NotifyDependencies,
): Promise<NotifyOutcome> {
  const parsed = statusChangeEventSchema.safeParse(rawEvent);
  if (!parsed.success) {
    deps.logger.warn('ignoring an event that is not a Step Functions Execution Status Change', {
      issues: parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    });
    return { action: 'ignored', reason: 'not a Step Functions Execution Status Change event' };
  }
  const { detail } = parsed.data;
  try {
    if (detail.status === 'SUCCEEDED') return await warnAboutRepeatedSkips(parsed.data, deps);
    if (!isNotifiable(detail.status))
      return { action: 'ignored', reason: `status ${detail.status} is not notified` };
    const { job, tags } = await jobTags(detail.stateMachineArn, deps);
    if (!tags.notifications.on.includes(detail.status)) {
      return { action: 'ignored', reason: `job ${job} does not notify on ${detail.status}` };
    }
    const described = await deps.api.describeExecution(detail.executionArn).catch((error: unknown) => {
      deps.logger.warn('DescribeExecution failed; using the event detail', { error: errorText(error) });
      return undefined;
    });
    const failedState = await deps.api.failedStateName(detail.executionArn).catch(() => undefined);
    const report: FailureReport = {
      job,
      executionName: detail.name,
      executionArn: detail.executionArn,
      status: detail.status,
      error: described?.error ?? detail.error ?? undefined,
      cause: described?.cause ?? detail.cause ?? undefined,
      failedState,
      startDate: described?.startDate ?? toDate(detail.startDate),
      stopDate: described?.stopDate ?? toDate(detail.stopDate),
      team: tags.team,
      slackChannel: tags.slackChannel,
      runbookUrl: tags.runbookUrl,
      stage: jobOfStateMachine(detail.stateMachineArn)?.stage,
    };
    return await deliver(buildFailureMessage(report, deps.links), deps);
  } catch (error) {
    deps.logger.error('notification failed; the execution record is unaffected', { error: errorText(error) });
    return { action: 'failed', reason: errorText(error) };
  }
}

const NOTIFIABLE: readonly string[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];

function isNotifiable(status: string): status is NotifiableStatus {
  return NOTIFIABLE.includes(status);
}

/**
 * Repeated skips mean the job is still running at its next start, again and again.
 * The warning fires when the streak of skipped starts reaches the job's threshold,
 * then at twice, four times, eight times the threshold, and so on: a stuck job keeps
 * reminding, but a storm of skips cannot flood the channel (200 skips with threshold 2
 * post 7 warnings, not 100).
 */
async function warnAboutRepeatedSkips(
  event: StatusChangeEvent,
  deps: NotifyDependencies,
): Promise<NotifyOutcome> {
  const { detail } = event;
  const guard = guardOutput(detail.output ?? undefined);
  if (guard?.decision !== 'skip') {
    return { action: 'ignored', reason: 'a SUCCEEDED execution that was not skipped' };
  }
  const { job, tags } = await jobTags(detail.stateMachineArn, deps);
  const threshold = tags.notifications.warnAfterConsecutiveSkips;
  if (threshold <= 0) return { action: 'ignored', reason: `job ${job} has skip warnings disabled` };
  if (guard.blockingExecutionArn === undefined) {
    return { action: 'ignored', reason: 'the skip does not name the execution that blocked it' };
  }
  const streak = await consecutiveSkips(detail, guard.blockingExecutionArn, deps.api);
  const nextWarning = nextSkipWarningAfter(streak, threshold);
  if (!isSkipWarningPoint(streak, threshold)) {
    return {
      action: 'ignored',
      reason: `${streak} consecutive skips; the next warning is at ${nextWarning}`,
    };
  }
  const message = buildRepeatedSkipsMessage(
    {
      job,
      streak,
      nextWarningAt: nextWarning,
      executionName: detail.name,
      executionArn: detail.executionArn,
      blockingExecutionArn: guard.blockingExecutionArn,
      team: tags.team,
      slackChannel: tags.slackChannel,
      runbookUrl: tags.runbookUrl,
    },
    deps.links,
  );
  return deliver(message, deps);
}

/** Whether a streak of `streak` skips posts a warning: at the threshold, then at 2x, 4x, 8x ... of it. */
export function isSkipWarningPoint(streak: number, threshold: number): boolean {
  return nextSkipWarningAfter(streak - 1, threshold) === streak;
}

/** The streak at which the next warning posts, after a streak of `streak` skips. */
export function nextSkipWarningAfter(streak: number, threshold: number): number {
  let at = threshold;
  while (at <= streak) at *= 2;
  return at;
}

/**
 * How many starts in a row, up to and including this one, were skipped because
 * `blockingArn` was running. Every start between the blocking run's start and this
 * one happened while it ran, so under `forbid` each of them was (or, while its guard
 * still runs, will be) skipped: counting the executions of any status started in that
 * window (every ListExecutions page) gives this skip's place in the streak without
 * describing each one, and without a cap on its length. Counting only SUCCEEDED ones
 * gave a short count when a later skip ended before an earlier one, and posted the
 * same warning twice.
 */
async function consecutiveSkips(
  detail: StatusChangeEvent['detail'],
  blockingArn: string,
  api: ExecutionApi,
): Promise<number> {
  const blocking = await api.describeExecution(blockingArn);
  const selfStart = toDate(detail.startDate) ?? (await api.describeExecution(detail.executionArn)).startDate;
  if (!blocking.startDate || !selfStart) return 1;
  let seenSelf = false;
  let olderThanSelf = 0;
  let listedAfterSelf = 0;
  for await (const execution of api.executionsNewestFirst(detail.stateMachineArn)) {
    if (execution.startDate.getTime() <= blocking.startDate.getTime()) break;
    if (execution.executionArn === detail.executionArn) {
      seenSelf = true;
      continue;
    }
    // The listing's order breaks ties between starts in the same millisecond.
    if (seenSelf) listedAfterSelf++;
    else if (execution.startDate.getTime() < selfStart.getTime()) olderThanSelf++;
  }
  return 1 + (seenSelf ? listedAfterSelf : olderThanSelf);
}

function guardOutput(
  output: string | undefined,
): { decision: string; blockingExecutionArn: string | undefined } | undefined {
  if (!output) return undefined;
  try {
    const parsed = z
      .object({ decision: z.string(), blockingExecutionArn: z.string().optional() })
      .safeParse(JSON.parse(output));
    return parsed.success
      ? { decision: parsed.data.decision, blockingExecutionArn: parsed.data.blockingExecutionArn }
      : undefined;
  } catch {
    return undefined;
  }
}

async function deliver(message: SlackMessage, deps: NotifyDependencies): Promise<NotifyOutcome> {
  if (!deps.webhookUrl) {
    deps.logger.info(`no Slack webhook configured; notification follows\n${renderPlainText(message)}`);
    return { action: 'printed', reason: 'no webhook configured', message };
  }
  const result = await postToWebhook(deps.webhookUrl, message, deps.logger, deps.post);
  return result.delivered
    ? { action: 'posted', reason: `delivered after ${result.attempts} attempt(s)`, message }
    : { action: 'failed', reason: result.reason, message };
}

function toDate(value: string | number | null | undefined): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
