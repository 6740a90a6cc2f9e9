import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionStore } from '#local/store/execution-store.ts';
import { REPO } from '../cli/run-batchctl.ts';

let root: string;

function batchctl(
  args: string[],
  dataDir: string,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      path.join(REPO, 'node_modules', '.bin', 'node'),
      [path.join(REPO, 'cli', 'batchctl.ts'), '--root', root, ...args],
      { cwd: root, encoding: 'utf8', env: { ...process.env, SFN_BATCH_DATA_DIR: dataDir } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ exitCode: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cost-cli-'));
  await mkdir(path.join(root, 'schedules'));
  await writeFile(
    path.join(root, 'schedules', '_defaults.yml'),
    'owner: { team: records-platform, slack: "#records-batch" }\ntimezone: Asia/Tokyo\ncontainer: batch-jobs\ncpu: 512\nmemory: 1024\ntimeout: 30m\nretry: { maxAttempts: 3, interval: 30s, backoffRate: 2, retryOnJobFailure: false }\nnotify: { on: [FAILED], warnAfterConsecutiveSkips: 2 }\n',
  );
  await writeFile(
    path.join(root, 'schedules', 'nightly-rollup.yml'),
    'description: Roll up the day.\nschedule: cron(15 2 * * ? *)\ncommand: [aggregate-record-stats]\n',
  );
  await writeFile(
    path.join(root, 'schedules', 'month-close.yml'),
    'description: Close the month.\nschedule: cron(0 3 1 * ? *)\ncommand: [close]\nexpectedDuration: 30s\nspot: true\ncpu: 1024\nmemory: 2048\n',
  );
  // Three finished local runs of nightly-rollup, written through the real store module.
  const store = new ExecutionStore(path.join(root, 'data'));
  for (const [index, seconds] of [100, 130, 90].entries()) {
    const arn = `arn:aws:states:us-east-1:000000000000:execution:sfn-batch-local-nightly-rollup:run-${index}`;
    const startDate = new Date(Date.UTC(2026, 10, 1 + index)).toISOString();
    store.create(
      {
        executionArn: arn,
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:sfn-batch-local-nightly-rollup',
        job: 'nightly-rollup',
        name: `run-${index}`,
        status: 'SUCCEEDED',
        startDate,
        input: '{}',
        redriveCount: 0,
        runtimePid: process.pid,
        updatedAt: startDate,
      },
      'sfn-batch-local-nightly-rollup',
      {},
    );
    store.writeTask(arn, `task-${index}`, {
      taskArn: `arn:task-${index}`,
      container: 'batch-jobs',
      command: ['aggregate-record-stats'],
      createdAt: startDate,
      stoppedAt: new Date(Date.parse(startDate) + seconds * 1000).toISOString(),
      exitCode: 0,
    });
    store.appendTaskLog(arn, `task-${index}`, [{ stream: 'stdout', at: startDate, text: 'x'.repeat(999) }]);
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('batchctl cost', () => {
  it('estimates each job from the local store or its declaration and says which', async () => {
    const result = await batchctl(
      ['cost', '--json', '--region', 'us-east-1', '--after', '2026-11-30T12:00:00Z'],
      path.join(root, 'data'),
    );
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const estimate = JSON.parse(result.stdout) as {
      month: string;
      jobs: Array<{
        job: string;
        usage: { runs: number; taskSeconds: { value: number; source: string; samples: number } };
        costs: { fargate: number };
      }>;
      totals: { total: number };
    };
    expect(estimate.month).toBe('2026-12');
    const nightly = estimate.jobs.find((job) => job.job === 'nightly-rollup');
    const monthly = estimate.jobs.find((job) => job.job === 'month-close');
    expect(nightly?.usage).toMatchObject({
      runs: 31,
      taskSeconds: { value: 100, source: 'local', samples: 3 },
    });
    expect(nightly?.costs.fargate).toBeCloseTo(0.021256528, 8);
    expect(monthly?.usage.taskSeconds).toEqual({ value: 30, source: 'declared', samples: 0 });
    expect(monthly?.costs.fargate).toBeCloseTo(0.00024685, 10);
  });

  it('prints a Japanese table that marks unconfirmed prices and keeps free tiers apart', async () => {
    const result = await batchctl(
      ['cost', '--lang', 'ja', '--after', '2026-11-30T12:00:00Z'],
      path.join(root, 'data'),
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('ap-northeast-1 における 2026-12 の AWS 費用見積もり');
    expect(result.stdout).toMatch(/nightly-rollup\s+31\s+1m40s \(ローカル×3\)/);
    expect(result.stdout).toMatch(/month-close \*\s+1\s+30s \(宣言値\)/);
    expect(result.stdout).toContain('無料枠 (合計からは差し引いていません');
    expect(result.stdout).toContain('[未確認の価格]');
  });

  it('rejects a region without price data with a usage error naming the file to add', async () => {
    const result = await batchctl(['cost', '--region', 'eu-west-9'], path.join(root, 'data'));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('lib/cost/prices/eu-west-9.json');
  });
});
