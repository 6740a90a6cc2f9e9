import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import { createLogger } from '#lib/logger.ts';
import { checkDuplicateStart } from './check-duplicate-start.ts';

const logger = createLogger('check-duplicate-start');
const sfn = new SFNClient({});

export const handler = middy(async (event: unknown) => checkDuplicateStart(event, { sfn, logger })).use(
  injectLambdaContext(logger, { resetKeys: true }),
);
