/**
 * Converter throughput and local start latency as `npm run bench` measured and recorded
 * them (`lib/cost/converter-throughput.json`); the planner reads them from here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';

const recordSchema = z.object({
  measuredAt: z.string(),
  command: z.string(),
  machine: z.string(),
  cores: z.number().int().positive(),
  node: z.string(),
  loadAverage: z.object({ before: z.number(), after: z.number() }),
  rows: z.number().int().positive(),
  rowsPerSecond: z.record(z.string(), z.number().positive()),
  localStartSeconds: z.object({
    p50Seconds: z.number().positive(),
    p90Seconds: z.number().positive(),
    runs: z.number().int().positive(),
  }),
});
export type ThroughputRecord = z.output<typeof recordSchema>;

export const THROUGHPUT_FILE = new URL('./converter-throughput.json', import.meta.url);

/** Raised when the bench has not recorded a throughput yet, or the file is malformed. */
export class ThroughputDataError extends Error {
  override name = 'ThroughputDataError';
}

export function loadThroughput(file: URL = THROUGHPUT_FILE): ThroughputRecord {
  if (!existsSync(file)) {
    throw new ThroughputDataError(
      'no converter throughput recorded: run "npm run bench -- --rows 300000 --e2e-only pglite-wire --record" (--record writes lib/cost/converter-throughput.json)',
    );
  }
  const parsed = recordSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ThroughputDataError(
      `lib/cost/converter-throughput.json: ${issue?.path.join('.')} ${issue?.message}; re-run "npm run bench -- --e2e-only pglite-wire --record" to rewrite it`,
    );
  }
  return parsed.data;
}

/** The end-to-end rate (database → xlsx) to plan with: PostgreSQL first (as production), then PGlite over the wire, then converter alone. */
export function conversionRate(
  record: ThroughputRecord,
  prefer: 'aws' | 'local',
): { rowsPerSecond: number; case: string } {
  const order =
    prefer === 'aws'
      ? ['e2e-postgres', 'e2e-pglite-wire', 'converter']
      : ['e2e-pglite-wire', 'e2e-postgres', 'converter'];
  for (const name of order) {
    const rate = record.rowsPerSecond[name];
    if (rate !== undefined) return { rowsPerSecond: rate, case: name };
  }
  throw new ThroughputDataError(
    'lib/cost/converter-throughput.json has no converter rate; re-run "npm run bench -- --e2e-only pglite-wire --record"',
  );
}
