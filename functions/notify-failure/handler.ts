import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createLogger } from '../../lib/logger.ts';
import { notifyConfigFromEnv } from './config.ts';
import { NotificationNotDeliveredError, notifyExecutionStatusChange } from './notify-failure.ts';
import { sfnExecutionApi } from './sfn-execution-api.ts';

const logger = createLogger('notify-failure');
const config = notifyConfigFromEnv(process.env);
const api = sfnExecutionApi(config.sfn);

// A notification that cannot be delivered fails the invocation: Lambda's async retries and
// then the on-failure destination (an SQS dead-letter queue with an alarm) keep the event.
export const handler = middy(async (event: unknown) => {
  const webhookUrl = await config.webhookUrl();
  const outcome = await notifyExecutionStatusChange(event, { api, logger, webhookUrl, links: config.links });
  if (outcome.action === 'failed') throw new NotificationNotDeliveredError(outcome.reason);
  return outcome;
}).use(injectLambdaContext(logger, { resetKeys: true }));
