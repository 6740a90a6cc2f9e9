/**
 * The EventBridge "Step Functions Execution Status Change" event: its schema (what the
 * notify Lambda parses), its builder (what the local runtime emits, in the shape AWS
 * sends), and the rule that routes it to the notify Lambda (the statuses and state
 * machines it matches, used by the deployment and by the local delivery alike).
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
 */
import { z } from 'zod';
import { NOTIFIABLE_STATUSES } from './state-machine-tags.ts';

export const STATUS_CHANGE_SOURCE = 'aws.states';
export const STATUS_CHANGE_DETAIL_TYPE = 'Step Functions Execution Status Change';

const epochMillis = z.number().int().nullable();
const included = z.object({ included: z.boolean() }).nullable();

/** The event as AWS delivers it. Dates are epoch milliseconds; absent values are `null`. */
export const statusChangeEventSchema = z.object({
  version: z.string(),
  id: z.string().min(1),
  'detail-type': z.literal(STATUS_CHANGE_DETAIL_TYPE),
  source: z.literal(STATUS_CHANGE_SOURCE),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.object({
    executionArn: z.string().min(1),
    stateMachineArn: z.string().min(1),
    name: z.string().min(1),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']),
    startDate: epochMillis,
    stopDate: epochMillis,
    input: z.string().nullable(),
    output: z.string().nullable(),
    inputDetails: included.optional(),
    outputDetails: included.optional(),
    error: z.string().nullable(),
    cause: z.string().nullable(),
    redriveCount: z.number().int().optional(),
    redriveDate: epochMillis.optional(),
    redriveStatus: z.string().optional(),
    redriveStatusReason: z.string().optional(),
  }),
});
export type StatusChangeEvent = z.infer<typeof statusChangeEventSchema>;
export type ExecutionStatusName = StatusChangeEvent['detail']['status'];

/** One execution as the local store records it (ISO dates). */
export interface StatusChangeSource {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatusName;
  startDate: string;
  stopDate?: string | undefined;
  input: string;
  output?: string | undefined;
  error?: string | undefined;
  cause?: string | undefined;
  redriveCount: number;
  redriveDate?: string | undefined;
  redriveStatus: string;
  redriveStatusReason?: string | undefined;
}

/** The event AWS would send for `execution`, as the local runtime emits it. */
export function buildStatusChangeEvent(
  execution: StatusChangeSource,
  where: { account: string; region: string; id: string; time: Date },
): StatusChangeEvent {
  const millis = (iso: string | undefined) => (iso === undefined ? null : Date.parse(iso));
  return {
    version: '0',
    id: where.id,
    'detail-type': STATUS_CHANGE_DETAIL_TYPE,
    source: STATUS_CHANGE_SOURCE,
    account: where.account,
    time: where.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: where.region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: millis(execution.startDate),
      stopDate: millis(execution.stopDate),
      input: execution.input,
      output: execution.output ?? null,
      inputDetails: { included: true },
      outputDetails: execution.output === undefined ? null : { included: true },
      error: execution.error ?? null,
      cause: execution.cause ?? null,
      redriveCount: execution.redriveCount,
      redriveDate: millis(execution.redriveDate),
      redriveStatus: execution.redriveStatus,
      ...(execution.redriveStatusReason === undefined
        ? {}
        : { redriveStatusReason: execution.redriveStatusReason }),
    },
  };
}

/**
 * The notify rules: failures alert; successes are checked for repeated duplicate-start
 * skips. Two rules on AWS (one pattern each), one matcher locally.
 */
export const NOTIFY_RULE_STATUSES: readonly (readonly ExecutionStatusName[])[] = [
  NOTIFIABLE_STATUSES,
  ['SUCCEEDED'],
];

/** The EventBridge patterns of the notify rules; `stateMachineArnPrefix` may be a CloudFormation intrinsic. */
export function notifyRulePatterns<Prefix>(stateMachineArnPrefix: Prefix) {
  return NOTIFY_RULE_STATUSES.map((statuses) => ({
    source: [STATUS_CHANGE_SOURCE],
    'detail-type': [STATUS_CHANGE_DETAIL_TYPE],
    detail: { status: [...statuses], stateMachineArn: [{ prefix: stateMachineArnPrefix }] },
  }));
}

/** Whether one of the notify rules matches the event (the local stand-in for EventBridge's matching). */
export function matchesNotifyRule(event: StatusChangeEvent, stateMachineArnPrefix: string): boolean {
  return notifyRulePatterns(stateMachineArnPrefix).some(
    (pattern) =>
      pattern.detail.status.includes(event.detail.status) &&
      event.detail.stateMachineArn.startsWith(stateMachineArnPrefix),
  );
}
