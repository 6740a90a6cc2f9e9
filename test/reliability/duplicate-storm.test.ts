import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSkipWarningPoint } from '../../functions/notify-failure/notify-failure.ts';
import {
  makeJob,
  taskLogs,
  tempDataDir,
  useTestRuntime,
  waitForStatus,
  waitUntil,
} from '../local-runtime/helpers.ts';
import { startWebhookServer, type WebhookServer } from '../support/webhook.ts';

const ROUNDS = 50;
const STARTS_PER_ROUND = 20;
const WARN_AFTER_SKIPS = 2;

// Reliability scenario "duplicate storm" (docs/reliability.md): 20 StartExecution calls
// race through the real API into the real scheduled-task definition, the real guard
// Lambda and the real notify Lambda (skip warnings posted to a local webhook). The job's
// container blocks until the test releases it, so the run is still RUNNING while every
// guard decides: a round is as short as the 20 decisions, and a late guard cannot see
// the winner already gone (which would rightly let it run).
describe('duplicate storm: 20 concurrent starts of one forbid job, 50 rounds', () => {
  const dataDir = tempDataDir();
  const release = path.join(dataDir, 'release-the-run');
  let webhook: WebhookServer;
  const notifyResults: unknown[] = [];

  beforeAll(async () => {
    webhook = await startWebhookServer();
  });
  // Closed after the runtime (afterAll hooks run in reverse order), so no notification is cut off.
  afterAll(async () => {
    await webhook?.close();
  });

  const local = useTestRuntime(
    [
      {
        job: makeJob('storm-job', {
          container: 'batch-jobs',
          command: ['wait-for-file', release],
          concurrency: 'forbid',
          notifications: {
            on: ['FAILED', 'TIMED_OUT', 'ABORTED'],
            warnAfterConsecutiveSkips: WARN_AFTER_SKIPS,
          },
        }),
      },
    ],
    () => ({
      dataDir,
      // The repository's own Lambdas (guard and notify), not the fixtures.
      functionsDir: path.resolve('functions'),
      notifyLambda: true,
      notifyRetryDelaysMs: [10, 10],
      lambdaEnvironment: {
        SLACK_WEBHOOK_URL: webhook.url('/services/T0/B0/storm'),
        POWERTOOLS_LOG_LEVEL: 'CRITICAL',
      },
      onNotification: (result) => void notifyResults.push(result),
    }),
  );

  it('runs exactly one start per round, records 19 skips, and warns at 2, 4, 8 and 16 skips in a row', async () => {
    const client = local.sfn;
    const stateMachineArn = local.runtime.stateMachineArn('storm-job');
    const expectedWarnings = Array.from({ length: STARTS_PER_ROUND - 1 }, (_, index) => index + 1).filter(
      (streak) => isSkipWarningPoint(streak, WARN_AFTER_SKIPS),
    );
    expect(expectedWarnings).toEqual([2, 4, 8, 16]);
    const roundMillis: number[] = [];

    for (let round = 1; round <= ROUNDS; round++) {
      rmSync(release, { force: true });
      const postsBefore = webhook.posts.length;
      const notifiedBefore = notifyResults.length;
      const roundStart = Date.now();

      // Act: 20 starts at once, through the SDK.
      const arns = await Promise.all(
        Array.from({ length: STARTS_PER_ROUND }, async (_, index) => {
          const started = await client.send(
            new StartExecutionCommand({
              stateMachineArn,
              name: `storm-${round}-${index}`,
              input: JSON.stringify({ trigger: 'manual' }),
            }),
          );
          return started.executionArn ?? '';
        }),
      );
      // Every start but one ends as a skip while the winner's container still waits.
      const skipped = (await Promise.all(arns.map((arn) => waitUntilSkippedOrRunningTask(arn)))).filter(
        (outcome) => outcome === 'skipped',
      );
      expect(skipped, `round ${round}`).toHaveLength(STARTS_PER_ROUND - 1);
      writeFileSync(release, 'go');
      const described = await Promise.all(arns.map((arn) => waitForStatus(client, arn)));
      roundMillis.push(Date.now() - roundStart);

      // Assess: one run (the earliest start, ties by name), 19 skips naming it.
      expect(described.map((execution) => execution.status)).toEqual(
        Array(STARTS_PER_ROUND).fill('SUCCEEDED'),
      );
      const outputs = described.map((execution) => JSON.parse(execution.output ?? '{}'));
      const runs = described.filter((_, index) => outputs[index].decision === 'run');
      expect(runs, `round ${round}`).toHaveLength(1);
      const winner = runs[0] as DescribeExecutionCommandOutput;
      expect(winner.executionArn).toBe(earliest(described).executionArn);
      expect(JSON.parse(winner.output ?? '{}')).toMatchObject({ job: 'storm-job', decision: 'run' });
      const skips = outputs.filter((output) => output.decision === 'skip');
      expect(skips).toHaveLength(STARTS_PER_ROUND - 1);
      for (const skip of skips) expect(skip.blockingExecutionArn).toBe(winner.executionArn);

      // Skip warnings: the notify Lambda has handled all 20 status changes of the round.
      expect(await waitUntil(() => notifyResults.length >= notifiedBefore + STARTS_PER_ROUND, 10_000)).toBe(
        true,
      );
      const streaks = webhook.posts.slice(postsBefore).map((post) => warnedStreak(post));
      expect(
        streaks.sort((a, b) => a - b),
        `round ${round}: warned streaks`,
      ).toEqual(expectedWarnings);
    }

    roundMillis.sort((a, b) => a - b);
    console.log(
      `duplicate storm: ${ROUNDS} rounds x ${STARTS_PER_ROUND} starts; round p50 ${roundMillis[Math.floor(ROUNDS / 2)]} ms, max ${roundMillis[ROUNDS - 1]} ms; ${webhook.posts.length} skip warnings`,
    );
    expect(webhook.posts).toHaveLength(ROUNDS * expectedWarnings.length);
  }, 120_000);

  /** Resolves 'skipped' when the execution ends as a skip, 'running' once its task has started. */
  async function waitUntilSkippedOrRunningTask(executionArn: string): Promise<'skipped' | 'running'> {
    for (;;) {
      const described = await local.sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (described.status !== 'RUNNING') {
        return JSON.parse(described.output ?? '{}').decision === 'skip' ? 'skipped' : 'running';
      }
      if ((await taskLogs(local.runtime.endpoint, executionArn)).length > 0) return 'running';
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
});

function earliest(executions: DescribeExecutionCommandOutput[]): DescribeExecutionCommandOutput {
  const key = (execution: DescribeExecutionCommandOutput) =>
    [execution.startDate?.getTime() ?? 0, execution.name ?? ''] as const;
  return [...executions].sort((a, b) => {
    const [aStart, aName] = key(a);
    const [bStart, bName] = key(b);
    return aStart !== bStart ? aStart - bStart : aName < bName ? -1 : aName > bName ? 1 : 0;
  })[0] as DescribeExecutionCommandOutput;
}

/** The streak a posted repeated-skips warning reports ("<job>: 4 consecutive starts skipped ..."). */
function warnedStreak(post: unknown): number {
  const text = (post as { text?: string }).text ?? '';
  const match = /storm-job: (\d+) consecutive starts skipped/.exec(text);
  if (match === null) throw new Error(`not a repeated-skips warning: ${text}`);
  return Number(match[1]);
}
