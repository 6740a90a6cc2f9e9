import type { z } from 'zod';
import type { Database } from '#lib/db/index.ts';
import type { Logger } from '#lib/logger.ts';
import type { ObjectStorage } from '#lib/storage/index.ts';

/** Everything a job needs; jobs never read `process.env`, the clock or argv themselves. */
export interface JobContext<Params> {
  db: Database;
  storage: ObjectStorage;
  logger: Logger;
  /** The instant the run was scheduled for. Every period a job covers derives from it, never from "now". */
  scheduledTime: Date;
  params: Params;
  /** Aborted on SIGTERM: jobs check it at batch boundaries and stop there. */
  signal: AbortSignal;
}

/** Counters a job reports; logged at the end and kept in the job-run ledger. */
export type JobResult = Record<string, number | string>;

/** One command of the catalogue: its parameter schema, a usage example and the work itself. */
export interface JobDefinition<Schema extends z.ZodType = z.ZodType> {
  command: string;
  description: string;
  /** Parses flags (strings from argv) and `params` (JSON from the input) into typed parameters. */
  params: Schema;
  /** A valid invocation, shown in usage errors. */
  example: string;
  run: (ctx: JobContext<z.output<Schema>>) => Promise<JobResult>;
}

/** Declares a job with its parameter type inferred from the schema. */
export function defineJob<Schema extends z.ZodType>(definition: JobDefinition<Schema>): JobDefinition {
  return definition as unknown as JobDefinition;
}

/** Thrown at a batch boundary after SIGTERM; the open transaction rolls back and the process exits 143. */
export class JobInterruptedError extends Error {
  override name = 'JobInterruptedError';
  constructor(reason: string) {
    super(
      `stopped at a batch boundary after ${reason}; committed batches are kept, the open one rolled back`,
    );
  }
}

/** Throws {@link JobInterruptedError} when the run was asked to stop. Call it at every batch boundary. */
export function throwIfStopped(signal: AbortSignal): void {
  if (signal.aborted) {
    const reason =
      signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'a stop request');
    throw new JobInterruptedError(reason);
  }
}
