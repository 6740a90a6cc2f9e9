/** A small schedules/ folder held in memory, for the schedule suites: the shared _defaults.yml and a parser of file texts. */
import { parseScheduleCatalogue } from '../../lib/schedule/load.ts';

/** A `_defaults.yml` with every value a job inherits (as the demo catalogue's, in one zone). */
export const DEFAULTS = `owner: { team: records-platform, slack: "#records-batch" }
timezone: Asia/Tokyo
container: batch-jobs
cpu: 256
memory: 512
timeout: 30m
retry: { maxAttempts: 3, interval: 30s, backoffRate: 2, retryOnJobFailure: false }
notify: { on: [FAILED, TIMED_OUT, ABORTED], warnAfterConsecutiveSkips: 2 }
`;

/** Parses `files` (name under schedules/ → text) as one catalogue. */
export function parseFiles(files: Record<string, string>) {
  return parseScheduleCatalogue(
    Object.entries(files).map(([file, text]) => ({ path: `schedules/${file}`, text })),
  );
}
