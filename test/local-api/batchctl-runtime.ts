import path from 'node:path';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { writeRuntimeFile } from '../../local/runtime-file.ts';
import { startTestRuntime, taskDefinition } from '../local-runtime/helpers.ts';
import { REPO } from '../support/processes.ts';

/**
 * A test runtime that `batchctl` (spawned with SFN_BATCH_DATA_DIR=dataDir) finds as
 * npm start's. Its job runs the test container's `$.command` as one ECS task, or with
 * `realWorkflow` the job's real scheduled-task workflow (guard Lambda, retries, Catch).
 */
export async function startRuntimeForBatchctl(
  job: JobSpec,
  dataDir: string,
  { realWorkflow = false }: { realWorkflow?: boolean } = {},
): Promise<LocalRuntime> {
  const runtime = await startTestRuntime(
    [realWorkflow ? { job } : { job, definition: taskDefinition({ timeoutSeconds: 60 }) }],
    {
      dataDir: path.join(dataDir, 'runtime'),
      ...(realWorkflow ? { functionsDir: path.join(REPO, 'functions') } : {}),
    },
  );
  await writeRuntimeFile(dataDir, {
    endpoint: runtime.endpoint,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    stage: 'test',
  });
  return runtime;
}
