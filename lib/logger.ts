import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Creates the structured JSON logger for one process (a Lambda, a container, the
 * local runtime). Create it once per process, in its wiring module, and pass it
 * down; `persistentKeys` (job name, execution ARN) then appear on every line.
 *
 * The level comes from `POWERTOOLS_LOG_LEVEL` / `LOG_LEVEL` as Powertools reads them.
 */
export function createLogger(serviceName: string, persistentKeys: Record<string, string> = {}): Logger {
  return new Logger({ serviceName, persistentKeys });
}

export type { Logger };
