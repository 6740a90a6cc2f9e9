/**
 * The Block Kit rendering of notifications: the failure alert and the repeated-skips
 * warning as Slack messages (with console, log and runbook links), and the same message
 * as plain terminal text for runs without a webhook. Pure functions, no I/O.
 */

import { z } from 'zod';
import type { NotifiableStatus } from '../../lib/schedule/job-spec.ts';
import { parseStepFunctionsArn } from '../../lib/workflows/names.ts';

/** Longest cause shown in Slack; a section's text stops at 3,000 characters. */
export const MAX_CAUSE_LENGTH = 1200;

/** Where the message links to: the AWS consoles, or the local runtime. */
export type LinkTarget =
  | { kind: 'aws'; region: string; taskLogGroup: string | undefined }
  | { kind: 'local'; endpoint: string; consoleUrl: string | undefined };

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
  // The tags reader gives the channel with its `#` (tags cannot store one).
  const parts = [
    team ? `@${escapeMrkdwn(team)}` : undefined,
    channel ? escapeMrkdwn(channel) : undefined,
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
 * A Lambda error's cause is `{"errorType","errorMessage","trace"}`: the message is enough.
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
    const lambdaError = z.object({ errorType: z.string(), errorMessage: z.string() }).safeParse(value);
    if (lambdaError.success) text = lambdaError.data.errorMessage;
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

function executionNameFromArn(arn: string): string {
  return parseStepFunctionsArn(arn)?.executionName ?? arn;
}
