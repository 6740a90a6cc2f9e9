import {
  DescribeExecutionCommand,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListTagsForResourceCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { z } from 'zod';
import type { NotifiableStatus, NotificationSettings } from '../../lib/schedule/job-spec.ts';

/**
 * The notify Lambda's logic: turns a "Step Functions Execution Status Change" event
 * into a Slack Block Kit message and posts it to an incoming webhook. FAILED,
 * TIMED_OUT and ABORTED post an alert; a SUCCEEDED execution that the duplicate-start
 * guard skipped may post a "repeated skips" warning. Nothing here throws back into
 * the caller: a notification problem is logged and never touches the execution.
 */

const NOTIFIABLE: readonly NotifiableStatus[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];

/** Longest cause shown in Slack; a section's text stops at 3,000 characters. */
export const MAX_CAUSE_LENGTH = 1200;

const epochOrIso = z.union([z.number(), z.string()]).nullish();

/** EventBridge "Step Functions Execution Status Change" event (AWS shape; the local runtime sends the same). */
export const statusChangeEventSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  region: z.string().optional(),
  account: z.string().optional(),
  detail: z.object({
    executionArn: z.string().min(1),
    stateMachineArn: z.string().min(1),
    name: z.string().min(1),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']),
    startDate: epochOrIso,
    stopDate: epochOrIso,
    input: z.string().nullish(),
    output: z.string().nullish(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type StatusChangeEvent = z.infer<typeof statusChangeEventSchema>;

type LogAttributes = { [key: string]: string | number | boolean | string[] };

/** The part of the Powertools logger the notifier uses. */
export interface NotifyLogger {
  info(message: string, ...attributes: LogAttributes[]): void;
  warn(message: string, ...attributes: LogAttributes[]): void;
  error(message: string, ...attributes: LogAttributes[]): void;
}

/** Where the message links to: the AWS consoles, or the local runtime. */
export type LinkTarget =
  | { kind: 'aws'; region: string; taskLogGroup: string | undefined }
  | { kind: 'local'; endpoint: string; consoleUrl: string | undefined };

/** Details of one execution as the API reports them. */
export interface ExecutionDetails {
  status: string;
  startDate: Date | undefined;
  stopDate: Date | undefined;
  error: string | undefined;
  cause: string | undefined;
  output: string | undefined;
}

/** The few Step Functions calls the notifier needs; {@link sfnExecutionApi} adapts the SDK client. */
export interface ExecutionApi {
  describeExecution(executionArn: string): Promise<ExecutionDetails>;
  /** Name of the state whose failure ended the execution, from the history, if any. */
  failedStateName(executionArn: string): Promise<string | undefined>;
  stateMachineTags(stateMachineArn: string): Promise<Record<string, string>>;
  /** Executions of a state machine with one status, newest first, every page (ListExecutions with nextToken). */
  executionsNewestFirst(stateMachineArn: string, status: string): AsyncIterable<ExecutionSummary>;
}

/** One row of ListExecutions. */
export interface ExecutionSummary {
  executionArn: string;
  startDate: Date;
}

export interface WebhookPostOptions {
  maxAttempts: number;
  timeoutMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

export interface NotifyDependencies {
  api: ExecutionApi;
  logger: NotifyLogger;
  /** Incoming webhook URL; without one the message is printed through the logger. */
  webhookUrl: string | undefined;
  links: LinkTarget;
  /** Per-job notification settings; by default read from state machine tags (`notify-on`, `warn-after-consecutive-skips`). */
  notificationSettings?: (job: string, tags: Record<string, string>) => NotificationSettings;
  post?: Partial<WebhookPostOptions>;
}

export interface NotifyOutcome {
  action: 'ignored' | 'posted' | 'printed' | 'failed';
  reason: string;
  message?: SlackMessage;
}

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}
type SlackText = { type: 'mrkdwn' | 'plain_text'; text: string };
type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text?: SlackText; fields?: SlackText[] }
  | { type: 'context'; elements: SlackText[] }
  | { type: 'divider' };

/** What a failure message says. Built from the event plus the API, so it is complete even when the event is thin. */
export interface FailureReport {
  job: string;
  executionName: string;
  executionArn: string;
  status: NotifiableStatus;
  error: string | undefined;
  cause: string | undefined;
  failedState: string | undefined;
  startDate: Date | undefined;
  stopDate: Date | undefined;
  team: string | undefined;
  slackChannel: string | undefined;
  runbookUrl: string | undefined;
  stage: string | undefined;
}

/** Handles one status change event. Never throws. */
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
    const tags = await deps.api.stateMachineTags(detail.stateMachineArn).catch((error: unknown) => {
      deps.logger.warn('could not read state machine tags; posting without owner and runbook', {
        error: errorText(error),
      });
      return {} as Record<string, string>;
    });
    const job = tags.job ?? jobFromStateMachineArn(detail.stateMachineArn);
    const settings = (deps.notificationSettings ?? settingsFromTags)(job, tags);
    if (!settings.on.includes(detail.status)) {
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
      slackChannel: tags['slack-channel'],
      runbookUrl: tags.runbook,
      stage: stageFromStateMachineArn(detail.stateMachineArn, job),
    };
    return await deliver(buildFailureMessage(report, deps.links), deps);
  } catch (error) {
    deps.logger.error('notification failed; the execution record is unaffected', { error: errorText(error) });
    return { action: 'failed', reason: errorText(error) };
  }
}

function isNotifiable(status: string): status is NotifiableStatus {
  return (NOTIFIABLE as readonly string[]).includes(status);
}

/** Default settings from tags; jobs without them notify on every failure status and warn after 3 skips. */
export function settingsFromTags(_job: string, tags: Record<string, string>): NotificationSettings {
  const on = (tags['notify-on'] ?? '')
    .split(/[\s,]+/)
    .map((status) => status.trim().toUpperCase())
    .filter(isNotifiable);
  const skips = Number(tags['warn-after-consecutive-skips']);
  return {
    on: on.length > 0 ? on : [...NOTIFIABLE],
    warnAfterConsecutiveSkips: Number.isInteger(skips) && skips >= 0 ? skips : 3,
  };
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
  const tags = await deps.api
    .stateMachineTags(detail.stateMachineArn)
    .catch(() => ({}) as Record<string, string>);
  const job = tags.job ?? jobFromStateMachineArn(detail.stateMachineArn);
  const threshold = (deps.notificationSettings ?? settingsFromTags)(job, tags).warnAfterConsecutiveSkips;
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
      slackChannel: tags['slack-channel'],
      runbookUrl: tags.runbook,
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
 * one happened while it ran, so under `forbid` each of them was skipped: counting
 * the SUCCEEDED executions started in that window (every ListExecutions page) gives
 * the streak without describing each one, and without a cap on its length.
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
  for await (const execution of api.executionsNewestFirst(detail.stateMachineArn, 'SUCCEEDED')) {
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

const DEFAULT_POST: WebhookPostOptions = {
  maxAttempts: 4,
  timeoutMs: 5000,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * POSTs to a Slack incoming webhook. Retries 429, 5xx, network errors and
 * timeouts with exponential backoff (honouring `Retry-After`, capped), up to
 * `maxAttempts`. Other 4xx answers (bad payload, revoked webhook) are not retried.
 * Never throws. The URL is a secret: it is never logged.
 */
export async function postToWebhook(
  url: string,
  message: SlackMessage,
  logger: NotifyLogger,
  options: Partial<WebhookPostOptions> = {},
): Promise<{ delivered: boolean; attempts: number; reason: string }> {
  const settings = { ...DEFAULT_POST, ...options };
  const body = JSON.stringify(message);
  let reason = 'not attempted';
  for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
    let retryAfterMs: number | undefined;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      const text = await response.text().catch(() => '');
      if (response.ok) return { delivered: true, attempts: attempt, reason: 'ok' };
      reason = `Slack answered ${response.status}${text ? ` ${text.slice(0, 100)}` : ''}`;
      if (response.status !== 429 && response.status < 500) {
        logger.error(`Slack webhook rejected the message; not retrying: ${reason}`);
        return { delivered: false, attempts: attempt, reason };
      }
      const retryAfter = response.headers.get('retry-after');
      if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) retryAfterMs = Number(retryAfter) * 1000;
    } catch (error) {
      reason =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
          ? `no answer within ${settings.timeoutMs} ms`
          : `request failed: ${errorText(error)}`;
    }
    if (attempt === settings.maxAttempts) break;
    const backoff = settings.baseDelayMs * 2 ** (attempt - 1);
    const delay = Math.min(retryAfterMs ?? backoff, settings.maxDelayMs);
    logger.warn(
      `Slack webhook attempt ${attempt} of ${settings.maxAttempts} failed (${reason}); retrying in ${delay} ms`,
    );
    await settings.sleep(delay);
  }
  logger.error(`giving up on the Slack notification after ${settings.maxAttempts} attempts: ${reason}`);
  return { delivered: false, attempts: settings.maxAttempts, reason };
}

const STATUS_ICON: Record<NotifiableStatus, string> = {
  FAILED: ':red_circle:',
  TIMED_OUT: ':hourglass:',
  ABORTED: ':black_square_for_stop:',
};

/** Builds the Block Kit message for a failed, timed-out or aborted execution. */
export function buildFailureMessage(report: FailureReport, links: LinkTarget): SlackMessage {
  const title = `${report.job} ${report.status}`;
  const fields: SlackText[] = [
    mrkdwn(`*Job*\n${escapeMrkdwn(report.job)}`),
    mrkdwn(`*Status*\n${report.status}`),
    mrkdwn(`*Owner*\n${ownerText(report.team, report.slackChannel)}`),
    mrkdwn(`*Duration*\n${formatElapsed(report.startDate, report.stopDate)}`),
    mrkdwn(`*Execution*\n${escapeMrkdwn(report.executionName)}`),
  ];
  if (report.failedState) fields.push(mrkdwn(`*Failed state*\n${escapeMrkdwn(report.failedState)}`));
  const cause = summarizeCause(report.cause);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `${title}`.slice(0, 150) } },
    { type: 'section', fields },
    {
      type: 'section',
      text: mrkdwn(
        `*Error* \`${escapeMrkdwn(report.error ?? 'none reported')}\`${cause ? `\n\`\`\`${escapeMrkdwn(cause)}\`\`\`` : ''}`,
      ),
    },
    {
      type: 'context',
      elements: [mrkdwn(linkLine(report.executionArn, report.executionName, report.runbookUrl, links))],
    },
  ];
  const stage = report.stage ? ` (${report.stage})` : '';
  return {
    text: `${STATUS_ICON[report.status]} ${title}${stage}: ${report.error ?? 'no error reported'}`,
    blocks,
  };
}

export interface RepeatedSkipsReport {
  job: string;
  streak: number;
  /** Streak at which the next warning posts (warnings double their interval). */
  nextWarningAt: number;
  executionName: string;
  executionArn: string;
  blockingExecutionArn: string | undefined;
  team: string | undefined;
  slackChannel: string | undefined;
  runbookUrl: string | undefined;
}

/** Builds the warning posted when a job's starts keep being skipped by the duplicate-start guard. */
export function buildRepeatedSkipsMessage(report: RepeatedSkipsReport, links: LinkTarget): SlackMessage {
  const blocking = report.blockingExecutionArn
    ? `\nStill running: ${executionLink(report.blockingExecutionArn, executionNameFromArn(report.blockingExecutionArn), links)}`
    : '';
  return {
    text: `:warning: ${report.job}: ${report.streak} consecutive starts skipped (a previous run is still running)`,
    blocks: [
      {
        type: 'header',
        text: { type: 'plain_text', text: `${report.job}: ${report.streak} starts skipped in a row` },
      },
      {
        type: 'section',
        text: mrkdwn(
          `The duplicate-start guard skipped the last ${report.streak} starts of *${escapeMrkdwn(report.job)}* because an earlier run is still running. It may be stuck or slower than its schedule.${blocking}\nNext warning at ${report.nextWarningAt} skips in a row (warnings double their interval, so a long streak cannot flood this channel).`,
        ),
        fields: [mrkdwn(`*Owner*\n${ownerText(report.team, report.slackChannel)}`)],
      },
      {
        type: 'context',
        elements: [mrkdwn(linkLine(report.executionArn, report.executionName, report.runbookUrl, links))],
      },
    ],
  };
}

function ownerText(team: string | undefined, channel: string | undefined): string {
  // Tag values on AWS cannot hold `#`, so the channel arrives bare there and with `#` locally.
  const parts = [
    team ? `@${escapeMrkdwn(team)}` : undefined,
    channel ? escapeMrkdwn(`#${channel.replace(/^#/, '')}`) : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(' · ') : 'unknown (no team tag)';
}

function linkLine(
  executionArn: string,
  executionName: string,
  runbookUrl: string | undefined,
  links: LinkTarget,
): string {
  // Without a local console the only page an execution has is its task logs: link those once.
  const hasExecutionPage = links.kind === 'aws' || links.consoleUrl !== undefined;
  const parts = [
    ...(hasExecutionPage ? [executionLink(executionArn, 'Execution', links)] : []),
    logsLink(executionArn, executionName, links),
  ];
  if (runbookUrl) parts.push(`<${runbookUrl}|Runbook>`);
  return parts.join('  ·  ');
}

/** Step Functions console URL of an execution (AWS), or the local console/API link. */
export function executionUrl(executionArn: string, links: LinkTarget): string {
  if (links.kind === 'aws') {
    return `https://${links.region}.console.aws.amazon.com/states/home?region=${links.region}#/v2/executions/details/${executionArn}`;
  }
  return links.consoleUrl
    ? `${links.consoleUrl.replace(/\/$/, '')}/executions/${encodeURIComponent(executionArn)}`
    : `${links.endpoint}/_local/logs?executionArn=${encodeURIComponent(executionArn)}`;
}

function executionLink(executionArn: string, label: string, links: LinkTarget): string {
  return `<${executionUrl(executionArn, links)}|${escapeMrkdwn(label)}>`;
}

function logsLink(executionArn: string, executionName: string, links: LinkTarget): string {
  if (links.kind === 'local') {
    return `<${links.endpoint}/_local/logs?executionArn=${encodeURIComponent(executionArn)}|Task logs> (\`batchctl logs ${escapeMrkdwn(executionName)}\`)`;
  }
  if (!links.taskLogGroup) return 'Logs: see the task log group in CloudWatch';
  // The CloudWatch console wants its fragment URL-encoded with `$` in place of `%`.
  const consoleEncode = (text: string) => encodeURIComponent(text).replace(/%/g, '$25');
  const filter = consoleEncode(`?filterPattern=${JSON.stringify(executionName)}`).replace(/\$25/g, '$');
  return `<https://${links.region}.console.aws.amazon.com/cloudwatch/home?region=${links.region}#logsV2:log-groups/log-group/${consoleEncode(links.taskLogGroup)}/log-events${filter}|Task logs>`;
}

/**
 * A readable cause. `States.TaskFailed` causes are the whole ECS task description
 * as JSON; Slack readers need the stop code, reason and exit codes, not 4 KB of JSON.
 */
export function summarizeCause(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  let text = cause;
  try {
    const value: unknown = JSON.parse(cause);
    const task = z
      .object({
        StopCode: z.string().optional(),
        StoppedReason: z.string().optional(),
        Containers: z
          .array(
            z.object({
              Name: z.string().optional(),
              ExitCode: z.number().optional(),
              Reason: z.string().optional(),
            }),
          )
          .optional(),
      })
      .safeParse(value);
    if (task.success && (task.data.StopCode || task.data.Containers)) {
      const exits = (task.data.Containers ?? [])
        .map(
          (container) =>
            `${container.Name ?? 'container'} exit code ${container.ExitCode ?? 'none'}${container.Reason ? ` (${container.Reason})` : ''}`,
        )
        .join(', ');
      text = [
        task.data.StopCode ? `StopCode ${task.data.StopCode}` : undefined,
        task.data.StoppedReason ? `StoppedReason: ${task.data.StoppedReason}` : undefined,
        exits || undefined,
      ]
        .filter(Boolean)
        .join('\n');
    }
  } catch {
    // Not JSON: show the text as it is.
  }
  return text.length > MAX_CAUSE_LENGTH ? `${text.slice(0, MAX_CAUSE_LENGTH - 1)}…` : text;
}

/** `1h 2m 3s`-style elapsed time, or `unknown`. */
export function formatElapsed(start: Date | undefined, stop: Date | undefined): string {
  if (!start || !stop) return 'unknown';
  const totalSeconds = Math.max(0, Math.round((stop.getTime() - start.getTime()) / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return [hours ? `${hours}h` : '', minutes ? `${minutes}m` : '', `${seconds}s`].filter(Boolean).join(' ');
}

/** The message as terminal text, for runs without a webhook. */
export function renderPlainText(message: SlackMessage): string {
  const lines = [message.text];
  for (const block of message.blocks) {
    if (block.type === 'section') {
      if (block.fields) lines.push(block.fields.map((field) => field.text.replace('\n', ': ')).join(' | '));
      if (block.text) lines.push(block.text.text);
    } else if (block.type === 'context') {
      lines.push(...block.elements.map((element) => element.text));
    }
  }
  return lines.map((line) => line.replace(/<([^|>]+)\|([^>]+)>/g, '$2: $1')).join('\n');
}

function mrkdwn(text: string): SlackText {
  return { type: 'mrkdwn', text };
}

/** Slack mrkdwn control characters: https://api.slack.com/reference/surfaces/formatting#escaping */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function toDate(value: string | number | null | undefined): Date | undefined {
  if (value === null || value === undefined) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** `arn:aws:states:<region>:<account>:stateMachine:sfn-batch-<stage>-<job>` → best guess at `<job>` when the tag is missing. */
function jobFromStateMachineArn(arn: string): string {
  const name = arn.split(':').at(-1) ?? arn;
  const match = /^sfn-batch-[a-z0-9]+-(.+)$/.exec(name);
  return match?.[1] ?? name;
}

function stageFromStateMachineArn(arn: string, job: string): string | undefined {
  const name = arn.split(':').at(-1) ?? '';
  const prefix = 'sfn-batch-';
  const suffix = `-${job}`;
  return name.startsWith(prefix) && name.endsWith(suffix)
    ? name.slice(prefix.length, -suffix.length)
    : undefined;
}

function executionNameFromArn(arn: string): string {
  return arn.split(':').at(-1) ?? arn;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const TASK_FAILURE_EVENTS = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'MapIterationFailed',
]);

/** Adapts the SDK client to {@link ExecutionApi}. `pageSize` is ListExecutions' maxResults (AWS allows up to 1,000). */
export function sfnExecutionApi(client: SFNClient, pageSize = 1000): ExecutionApi {
  return {
    async describeExecution(executionArn) {
      const result = await client.send(new DescribeExecutionCommand({ executionArn }));
      return {
        status: result.status ?? 'UNKNOWN',
        startDate: result.startDate,
        stopDate: result.stopDate,
        error: result.error,
        cause: result.cause,
        output: result.output,
      };
    },
    async failedStateName(executionArn) {
      const history = await client.send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 50 }),
      );
      const events = history.events ?? [];
      // Newest first. A failed task is usually caught and routed to a Fail state, so the
      // state to report is the one around the last task failure, not the last state entered.
      const taskFailure = events.findIndex((event) => TASK_FAILURE_EVENTS.has(event.type ?? ''));
      const entered = events
        .slice(Math.max(0, taskFailure))
        .find((event) => event.stateEnteredEventDetails?.name !== undefined);
      return entered?.stateEnteredEventDetails?.name;
    },
    async stateMachineTags(stateMachineArn) {
      const result = await client.send(new ListTagsForResourceCommand({ resourceArn: stateMachineArn }));
      const tags: Record<string, string> = {};
      for (const tag of result.tags ?? []) if (tag.key && tag.value !== undefined) tags[tag.key] = tag.value;
      return tags;
    },
    async *executionsNewestFirst(stateMachineArn, status) {
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new ListExecutionsCommand({
            stateMachineArn,
            statusFilter: status as ExecutionStatus,
            maxResults: pageSize,
            nextToken,
          }),
        );
        for (const execution of page.executions ?? []) {
          if (execution.executionArn && execution.startDate) {
            yield { executionArn: execution.executionArn, startDate: new Date(execution.startDate) };
          }
        }
        nextToken = page.nextToken;
      } while (nextToken);
    },
  };
}
