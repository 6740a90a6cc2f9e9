import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import {
  makeJob,
  taskLogs,
  tempDataDir,
  useTestRuntime,
  waitForStatus,
  waitUntil,
} from '../local-runtime/helpers.ts';

// Long enough for a chain of three node processes to start on a loaded 2-core machine.
const TIMEOUT_SECONDS = 3;
const STOP_GRACE_SECONDS = 1;
/** Every process of these tasks, and whatever they start, inherits this variable: the test's own way to find them in /proc. */
const MARKER = `SFN_BATCH_HUNG_JOB_SCENARIO=${randomUUID()}`;

interface ProcessEvent {
  role: string;
  event: 'started' | 'SIGTERM';
  pid: number;
  at: number;
}

const cases = [
  {
    job: 'hung-ignores-sigterm',
    role: 'ignore-sigterm',
    processes: ['ignore-sigterm'],
    exitCode: 137,
    endsAfterSigtermMs: [STOP_GRACE_SECONDS * 1000 - 100, STOP_GRACE_SECONDS * 1000 + 1000],
  },
  {
    job: 'hung-children',
    role: 'children-ignore-sigterm',
    processes: ['children-ignore-sigterm', 'child-with-grandchild', 'grandchild', 'setsid-daemon'],
    exitCode: 137,
    endsAfterSigtermMs: [STOP_GRACE_SECONDS * 1000 - 100, STOP_GRACE_SECONDS * 1000 + 1000],
  },
  {
    // The task's own process obeys SIGTERM; what it started does not, and must not outlive it.
    job: 'hung-orphans',
    role: 'children-exit-on-sigterm',
    processes: ['children-exit-on-sigterm', 'child-with-grandchild', 'grandchild', 'setsid-daemon'],
    exitCode: 143,
    endsAfterSigtermMs: [0, 1000],
  },
] as const;

// Reliability scenario "hung job" (docs/reliability.md): the real scheduled-task definition
// with a 3 s job timeout runs a container (test/reliability/fixtures) that never ends. The
// state times out, the local ECS stops the task (SIGTERM, SIGKILL after the stop grace),
// and nothing the task started survives: checked in /proc by the test's own marker.
describe('hung job: a task that never ends is stopped at its timeout', () => {
  const eventsDir = tempDataDir();
  const local = useTestRuntime(
    cases.map((item) => ({
      job: makeJob(item.job, {
        container: 'batch-jobs',
        command: [item.role, path.join(eventsDir, `${item.job}.jsonl`)],
        timeoutSeconds: TIMEOUT_SECONDS,
      }),
    })),
    {
      containersDir: path.resolve('test/reliability/fixtures/containers'),
      functionsDir: path.resolve('functions'),
      stopTimeoutSeconds: STOP_GRACE_SECONDS,
      taskEnvironment: { [MARKER.split('=')[0] ?? '']: MARKER.split('=')[1] ?? '' },
    },
  );

  it.each(cases)(
    '$job: SIGTERM within 2 s of the timeout, SIGKILL after the grace, no survivor, reported as States.Timeout',
    async (item) => {
      // Prepare
      const client = local.sfn;
      const eventsFile = path.join(eventsDir, `${item.job}.jsonl`);
      const events = () => readEvents(eventsFile);

      // Act
      const { executionArn = '' } = await client.send(
        new StartExecutionCommand({ stateMachineArn: local.runtime.stateMachineArn(item.job), input: '{}' }),
      );
      const allStarted = await waitUntil(
        () => events().filter((event) => event.event === 'started').length === item.processes.length,
      );
      expect(allStarted, JSON.stringify(events())).toBe(true);
      const pids = events().map((event) => event.pid);
      // The /proc scan sees every process the task started, so its "none left" below means something.
      expect(markedProcesses().sort()).toEqual([...new Set(pids)].sort());
      let goneAt = 0;
      while (goneAt === 0) {
        if (markedProcesses().length === 0) goneAt = Date.now();
        else await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const described = await waitForStatus(client, executionArn);

      // Assess: reported as the templates report a job timeout.
      expect(described).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
      const history =
        (await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
      expect(history.map((event) => event.type)).toContain('TaskTimedOut');
      const entered = history.find(
        (event) =>
          event.type === 'TaskStateEntered' && event.stateEnteredEventDetails?.name === 'Run job task',
      );
      const timeoutAt = (entered?.timestamp?.getTime() ?? 0) + TIMEOUT_SECONDS * 1000;
      const sigterms = events().filter((event) => event.event === 'SIGTERM');
      const taskSigterm = sigterms.find((event) => event.role === item.role);
      expect(taskSigterm, 'the task process got SIGTERM').toBeDefined();
      const sigtermLateness = (taskSigterm?.at ?? 0) - timeoutAt;
      expect(sigtermLateness).toBeGreaterThan(-100);
      expect(sigtermLateness).toBeLessThan(2000);
      // Every process got one SIGTERM (the setsid daemon too) before the SIGKILL. When the task's
      // own process exits at once, the SIGKILL that follows may beat a child's SIGTERM handler:
      // then each process got at most one.
      const roles = sigterms.map((event) => event.role).sort();
      if (item.exitCode === 137) expect(roles).toEqual([...item.processes].sort());
      else expect(new Set(roles).size).toBe(roles.length);
      const endedAfterSigterm = goneAt - (taskSigterm?.at ?? 0);
      expect(endedAfterSigterm).toBeGreaterThanOrEqual(item.endsAfterSigtermMs[0]);
      expect(endedAfterSigterm).toBeLessThanOrEqual(item.endsAfterSigtermMs[1]);
      expect(markedProcesses()).toEqual([]);
      // As on AWS, the execution fails at the timeout and the task reaches STOPPED a little later:
      // its exit is recorded when the runtime reaps the process, which may trail the /proc scan.
      let tasks = await taskLogs(local.runtime.endpoint, executionArn);
      const deadline = Date.now() + 10_000;
      while (tasks[0]?.stoppedAt == null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        tasks = await taskLogs(local.runtime.endpoint, executionArn);
      }
      expect(tasks).toHaveLength(1);
      expect(tasks[0]).toMatchObject({ exitCode: item.exitCode, stopCode: 'UserInitiated' });
      expect(tasks[0]?.stoppedReason).toContain(
        `timed out after ${TIMEOUT_SECONDS} seconds (States.Timeout)`,
      );
      console.log(
        `hung job ${item.job}: SIGTERM ${sigtermLateness} ms after the timeout; last process gone ${endedAfterSigterm} ms after SIGTERM (grace ${STOP_GRACE_SECONDS * 1000} ms)`,
      );
    },
  );
});

function readEvents(file: string): ProcessEvent[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ProcessEvent);
}

/** Live processes (not zombies) whose environment holds MARKER, read from /proc. */
function markedProcesses(): number[] {
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return [];
      return readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(MARKER)
        ? [Number(entry)]
        : [];
    } catch {
      return [];
    }
  });
}
