import path from 'node:path';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { writeRuntimeFile } from '../../local/runtime-file.ts';
import { startTestRuntime, taskDefinition } from '../local-runtime/helpers.ts';

/**
 * A test runtime that `batchctl` (spawned with SFN_BATCH_DATA_DIR=dataDir) finds as
 * npm start's: its jobs run the test container's `$.command` as one ECS task.
 */
export async function startRuntimeForBatchctl(job: JobSpec, dataDir: string): Promise<LocalRuntime> {
  const runtime = await startTestRuntime([{ job, definition: taskDefinition({ timeoutSeconds: 60 }) }], {
    dataDir: path.join(dataDir, 'runtime'),
  });
  await writeRuntimeFile(dataDir, {
    endpoint: runtime.endpoint,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    stage: 'test',
  });
  return runtime;
}
