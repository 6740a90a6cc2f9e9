import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { openDatabase } from '#lib/db/index.ts';
import { resolveDatabaseConfig } from '#lib/db/resolve-config.ts';
import { createLogger } from '#lib/logger.ts';
import { openStorage, storageConfigFromEnv } from '#lib/storage/index.ts';
import { enqueueExports } from './enqueue-exports.ts';

const logger = createLogger('enqueue-exports');
const storage = openStorage(storageConfigFromEnv(process.env));
// Opened once per Lambda container and reused by warm invocations.
// On AWS the URL is read from SSM (DATABASE_URL_PARAMETER) at cold start.
const database = resolveDatabaseConfig(process.env).then(openDatabase);
// A failed connection surfaces in the invocation that awaits it, not as an unhandled rejection.
database.catch(() => undefined);

export const handler = middy(async (event: unknown) =>
  enqueueExports(event, { db: await database, storage, logger }),
).use(injectLambdaContext(logger, { resetKeys: true }));
