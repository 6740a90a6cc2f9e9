import { z } from 'zod';

/** Flags arrive as strings from argv and as numbers from JSON params; both parse to one integer. */
function integer(min: number, max: number) {
  return z.preprocess(
    (value) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value),
    z
      .number({ error: `expected a whole number from ${min} to ${max}` })
      .int({ error: `expected a whole number from ${min} to ${max}` })
      .min(min, { error: `must be at least ${min}` })
      .max(max, { error: `must be at most ${max}` }),
  );
}

export const days = () => integer(1, 3650);
export const hours = () => integer(1, 24 * 365);
export const minutes = () => integer(1, 60 * 24 * 31);

/**
 * Rows per transaction for jobs that work in batches. Small values make SIGTERM stop sooner and
 * keep lock times short; large ones are faster.
 */
export const batchSize = () => integer(1, 100_000).default(1000);

export const granularity = z.enum(['daily', 'weekly', 'monthly'], {
  error: 'expected one of daily, weekly, monthly',
});
export type Granularity = z.output<typeof granularity>;
