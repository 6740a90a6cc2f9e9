import { type ParameterReader, secureParameterReader } from '../secure-parameter.ts';
import { databaseConfigFromEnv } from './index.ts';
import type { DatabaseConfig } from './types.ts';

export type { ParameterReader };

/**
 * Database settings for a Lambda. `DATABASE_URL` wins (local runs, tests). On AWS the
 * template sets `DATABASE_URL_PARAMETER` instead, because CloudFormation cannot place
 * an SSM SecureString in Lambda environment variables: the URL is read at cold start,
 * so it never appears in the template, the console or the logs. Without either, the
 * embedded PGlite is used as everywhere else. The read goes through Powertools
 * Parameters (decrypted, cached per container), see lib/secure-parameter.ts.
 */
export async function resolveDatabaseConfig(
  env: NodeJS.ProcessEnv,
  readParameter: ParameterReader = secureParameterReader({ region: env.AWS_REGION }),
): Promise<DatabaseConfig> {
  const parameterName = env.DATABASE_URL_PARAMETER;
  if (env.DATABASE_URL || !parameterName) return databaseConfigFromEnv(env);
  let url: string | undefined;
  try {
    url = await readParameter(parameterName);
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new Error(
      `Cannot read the database URL from SSM parameter ${parameterName} (${reason}). Check that it exists as a SecureString and that the function's role may ssm:GetParameter it.`,
    );
  }
  if (!url) {
    throw new Error(
      `SSM parameter ${parameterName} is empty: store the PostgreSQL URL there (aws ssm put-parameter --type SecureString --name ${parameterName} --value postgres://...).`,
    );
  }
  return databaseConfigFromEnv({ ...env, DATABASE_URL: url });
}
