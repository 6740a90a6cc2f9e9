import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createLogger } from '../../lib/logger.ts';
import { notifyConfigFromEnv } from './config.ts';
import { notifyExecutionStatusChange, sfnExecutionApi } from './notify-failure.ts';

const logger = createLogger('notify-failure');
const config = notifyConfigFromEnv(process.env);
const api = sfnExecutionApi(config.sfn);

export const handler = middy(async (event: unknown) => {
  const webhookUrl = await config.webhookUrl().catch((error: unknown) => {
    logger.error('could not read the Slack webhook URL from SSM; printing the message instead', {
      error: String(error),
    });
    return undefined;
  });
  return notifyExecutionStatusChange(event, { api, logger, webhookUrl, links: config.links });
}).use(injectLambdaContext(logger, { resetKeys: true }));
