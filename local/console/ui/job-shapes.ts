/**
 * The JSON shapes of the console's read-only job metadata (`/_local/console/jobs`,
 * `/_local/console/jobs/<job>`): written by the server (local/console/job-metadata.ts)
 * and read by the browser (ui/api.ts). Kept free of imports so the browser bundle and
 * its DOM-only typecheck can use it.
 */

/** One line of a job's effective settings, as `batchctl show` marks them. */
export interface EffectiveSettingRow {
  key: string;
  depth: 0 | 1;
  /** Undefined for a mapping's heading line (its children follow). */
  value?: unknown;
  origin: 'job' | 'defaults' | 'built-in';
}

export interface JobSummary {
  name: string;
  description: string;
  owner: { team: string; slackChannel: string };
  runbookUrl: string | null;
  schedule: string;
  scheduleInWords: { en: string; ja: string };
  timezone: string;
  enabled: boolean;
  workflow: string;
  stateMachineArn: string;
  /** Whether the local scheduler fires this job; false means the times below are what AWS would do. */
  scheduledHere: boolean;
  /** ISO instant of the next run, or null when there is none (disabled, or an at() in the past). */
  nextRun: string | null;
  defaultInput: Record<string, unknown>;
}

export interface JobDetail extends JobSummary {
  sourceFile: string;
  settings: EffectiveSettingRow[];
  /** The next 10 runs (ISO instants). */
  nextRuns: string[];
}
