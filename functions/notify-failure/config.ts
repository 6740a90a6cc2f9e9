import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { type ParameterReader, secureParameterReader } from '../../lib/secure-parameter.ts';
import type { LinkTarget } from './block-kit.ts';

/**
 * The notify Lambda's environment, parsed once at module load (fail fast):
 * - on AWS, `SLACK_WEBHOOK_PARAMETER` names the SSM SecureString holding the webhook
 *   URL, and `TASK_LOG_GROUP` the containers' CloudWatch log group (for the logs link);
 * - locally, `SLACK_WEBHOOK_URL` holds the URL itself, and `AWS_ENDPOINT_URL_SFN`
 *   (the local runtime's endpoint) switches the links to the local runtime.
 * With neither webhook setting, messages go to the log (the terminal locally).
 */
const environmentSchema = z.object({
  AWS_REGION: z.string().min(1).default('ap-northeast-1'),
  AWS_ENDPOINT_URL_SFN: z.url().optional(),
  SFN_BATCH_CONSOLE_URL: z.url().optional(),
  SLACK_WEBHOOK_URL: z.url().optional(),
  SLACK_WEBHOOK_PARAMETER: z.string().min(1).optional(),
  TASK_LOG_GROUP: z.string().min(1).optional(),
});

export interface NotifyConfig {
  region: string;
  links: LinkTarget;
  /**
   * The webhook URL, or undefined when none is configured (print instead).
   * @throws SlackWebhookUnavailableError when the SSM parameter cannot be read.
   */
  webhookUrl: () => Promise<string | undefined>;
  sfn: SFNClient;
}

/** The configured webhook could not be read: the invocation fails, so the event is retried, then dead-lettered. */
export class SlackWebhookUnavailableError extends Error {
  override name = 'SlackWebhookUnavailable';
}

/** Parses the environment; throws a message naming the variable when it is malformed. */
export function notifyConfigFromEnv(
  environment: NodeJS.ProcessEnv,
  readParameter: ParameterReader = secureParameterReader({ region: environment.AWS_REGION }),
): NotifyConfig {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `notify-failure: environment variable ${issue?.path.join('.') ?? '?'} is invalid (${issue?.message ?? 'unknown'}); set it to a full https URL or unset it`,
    );
  }
  const env = parsed.data;
  const links: LinkTarget = env.AWS_ENDPOINT_URL_SFN
    ? { kind: 'local', endpoint: env.AWS_ENDPOINT_URL_SFN, consoleUrl: env.SFN_BATCH_CONSOLE_URL }
    : { kind: 'aws', region: env.AWS_REGION, taskLogGroup: env.TASK_LOG_GROUP };
  const parameterName = env.SLACK_WEBHOOK_PARAMETER;
  const webhookUrl = async (): Promise<string | undefined> => {
    if (env.SLACK_WEBHOOK_URL) return env.SLACK_WEBHOOK_URL;
    if (!parameterName) return undefined;
    const url = await readParameter(parameterName).catch((error: unknown) => {
      throw new SlackWebhookUnavailableError(
        `cannot read the Slack webhook URL from SSM parameter ${parameterName} (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}); check that it exists as a SecureString and that the function's role may ssm:GetParameter it`,
      );
    });
    if (!url) {
      throw new SlackWebhookUnavailableError(
        `SSM parameter ${parameterName} is empty; store the webhook URL there (aws ssm put-parameter --type SecureString --name ${parameterName} --value https://hooks.slack.com/services/...)`,
      );
    }
    return url;
  };
  // The SDK picks up AWS_ENDPOINT_URL_SFN by itself; locally it points at the local runtime.
  return { region: env.AWS_REGION, links, webhookUrl, sfn: new SFNClient({ region: env.AWS_REGION }) };
}
