/**
 * Contracts of the xlsx export workflow: what the enqueue Lambda receives and
 * returns, what each converter task receives, and what the manifest holds. The
 * enqueue Lambda and the converter both import these, and so does synthesis.
 */

export type ExportFrequency = 'daily' | 'weekly' | 'monthly';

/** Payload the state machine passes to the enqueue Lambda. */
export interface EnqueueExportsInput {
  job: string;
  executionArn: string;
  /** ISO instant the run was scheduled for; the export period derives from it. */
  scheduledTime: string;
  /** IANA zone the period boundaries are computed in (the job's time zone). */
  timezone: string;
  frequency: ExportFrequency;
  recordsPerBatch: number;
}

/** The period an export covers: [start, end) in UTC ISO, plus a label used in keys. */
export interface ExportPeriod {
  /** `2026-10` (monthly), `2026-W43` (weekly) or `2026-10-31` (daily). */
  label: string;
  start: string;
  end: string;
}

/**
 * One Map iteration. Deliberately small: targets are read from the manifest, so
 * the Map input stays far below the 256 KiB payload limit at any catalogue size.
 */
export interface ExportBatchDescriptor {
  runId: string;
  manifestKey: string;
  batchIndex: number;
  targetCount: number;
  recordCount: number;
}

/** Where a run's xlsx files go; the workflow puts it in the execution output for people. */
export interface ExportFiles {
  /** The object storage: `s3://bucket/prefix` or `local folder /path/.data/objects`. */
  storage: string;
  /** Key prefix of every file in it: `exports/`. */
  prefix: string;
  /** Key of each file: `exports/<workspace>/<template>/<period>.xlsx`. */
  keyPattern: string;
  /** Files this run writes: the period's targets not done yet. */
  count: number;
  /** Files of the period in all, with those an earlier run already wrote. */
  periodTotal: number;
}

/** Key prefix of the exported files (see ExportTarget.objectKey). */
export const EXPORTS_PREFIX = 'exports/';

/** Output of the enqueue Lambda. */
export interface EnqueueExportsOutput {
  runId: string;
  period: ExportPeriod;
  manifestKey: string;
  targetCount: number;
  pendingTargetCount: number;
  recordCount: number;
  batches: ExportBatchDescriptor[];
  files: ExportFiles;
}

/** One conversion target as listed in the manifest. */
export interface ExportTarget {
  targetId: string;
  workspaceId: string;
  templateId: string;
  /** Deterministic final key: `exports/<workspace>/<template>/<period>.xlsx`. */
  objectKey: string;
  recordCount: number;
}

/** The manifest object written by enqueue at `manifestKey`. */
export interface ExportManifest {
  runId: string;
  job: string;
  period: ExportPeriod;
  createdAt: string;
  batches: { batchIndex: number; targets: ExportTarget[] }[];
}

/** `SFN_BATCH_INPUT` params of one converter task (inside ContainerTaskInput.params). */
export interface ConvertBatchParams {
  runId: string;
  manifestKey: string;
  batchIndex: number;
}

/** Result of one Map iteration as collected by the state machine. */
export interface ExportBatchResult {
  batchIndex: number;
  status: 'SUCCEEDED' | 'FAILED';
  error?: string;
  cause?: string;
}
