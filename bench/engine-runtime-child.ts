// The local runtime for the engine benchmarks (bench/engine.ts), in its own process as `npm start` runs it:
// the real scheduled-task state machine and guard Lambda, the tests' stand-in container, production timings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalRuntime } from '../local/runtime.ts';
import { makeTaskJob } from '../test/support/job-spec.ts';

/**
 * The tests' stand-in for the batch-jobs container (the task definition the real template
 * names): `<command> [arg]` picks a behaviour, here `sleep <ms>` and `succeed`.
 */
const containersDir = path.join(import.meta.dirname, '..', 'test', 'local-runtime', 'fixtures', 'containers');
const container = 'batch-jobs';
const jobs = {
  sleep: { name: 'bench-sleep-1s', command: ['sleep', '1000'] },
  trivial: { name: 'bench-exit-at-once', command: ['succeed'] },
};

const job = (name: string, command: string[], concurrency: 'forbid' | 'allow') =>
  makeTaskJob({
    name,
    description: `engine benchmark: ${command.join(' ')}`,
    container,
    command,
    size: { cpu: 256, memory: 512 },
    timeoutSeconds: 120,
    concurrency,
    defaultInput: {},
  });

const dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-bench-engine-'));
const maxConcurrentTasks = Number(process.argv[2] ?? '8');
const runtime = await startLocalRuntime({
  // `allow` for the trivial job: the rate benchmark's concurrent starters must not skip each other.
  jobs: [
    job(jobs.sleep.name, jobs.sleep.command, 'forbid'),
    job(jobs.trivial.name, jobs.trivial.command, 'allow'),
  ],
  dataDir,
  port: 0,
  taskEnvironment: {},
  containersDir,
  maxConcurrentTasks,
  stopTimeoutSeconds: 2,
});
console.log(
  JSON.stringify({
    endpoint: runtime.endpoint,
    pid: process.pid,
    // What the bench needs to spawn the same container directly (the baseline).
    entrypoint: path.join(containersDir, container, 'main.ts'),
    jobs: Object.fromEntries(
      Object.entries(jobs).map(([key, { name, command }]) => [
        key,
        { stateMachineArn: runtime.stateMachineArn(name), command },
      ]),
    ),
  }),
);
// Ends when the bench closes stdin.
process.stdin.resume();
process.stdin.on('end', async () => {
  await runtime.close();
  rmSync(dataDir, { recursive: true, force: true });
  console.log(JSON.stringify({ peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
});
