import { SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import type { LinkTarget } from './notify-failure.ts';

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
  /** Resolves the webhook URL (SSM is read once per container and cached). */
  webhookUrl: () => Promise<string | undefined>;
  sfn: SFNClient;
}

/** Parses the environment; throws a message naming the variable when it is malformed. */
export function notifyConfigFromEnv(environment: NodeJS.ProcessEnv): NotifyConfig {
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
  let cached: Promise<string | undefined> | undefined;
  const parameterName = env.SLACK_WEBHOOK_PARAMETER;
  const webhookUrl = (): Promise<string | undefined> => {
    if (env.SLACK_WEBHOOK_URL) return Promise.resolve(env.SLACK_WEBHOOK_URL);
    if (!parameterName) return Promise.resolve(undefined);
    cached ??= new SSMClient({ region: env.AWS_REGION })
      .send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }))
      .then((result) => result.Parameter?.Value)
      .catch((error: unknown) => {
        cached = undefined; // retry the read on the next invocation
        throw error;
      });
    return cached;
  };
  // The SDK picks up AWS_ENDPOINT_URL_SFN by itself; locally it points at the local runtime.
  return { region: env.AWS_REGION, links, webhookUrl, sfn: new SFNClient({ region: env.AWS_REGION }) };
}
