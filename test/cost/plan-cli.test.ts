import { describe, expect, it } from 'vitest';
import { runBatchctl } from '../cli/run-batchctl.ts';

describe('batchctl plan', () => {
  it('prints each setting with its batches, makespan and cost as JSON, and picks the setting for a deadline', async () => {
    const result = await runBatchctl([
      'plan',
      'export-monthly-records',
      '--records',
      '2000000',
      '--targets',
      '40',
      '--concurrency',
      '1,8',
      '--records-per-batch',
      '200000',
      '--replications',
      '20',
      '--deadline',
      '2h',
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      model: { size: string; startLatency: string };
      best: { maxConcurrency: number } | undefined;
      results: Array<{
        maxConcurrency: number;
        batches: number;
        makespanP50: number;
        makespanP90: number;
        costPerRun: number;
      }>;
    };
    expect(plan.model.size).toBe('--records 2000000 over 40 targets (skewed sizes, fixed seed)');
    expect(plan.model.startLatency).toMatch(/^p50 30\.0 s, p90 60\.0 s; assumption/);
    const [one, eight] = plan.results;
    expect(one?.batches).toBe(eight?.batches);
    expect(eight?.makespanP50).toBeLessThan((one?.makespanP50 ?? 0) / 4);
    expect(eight?.makespanP90).toBeGreaterThanOrEqual(eight?.makespanP50 ?? 0);
    expect(one?.costPerRun).toBeGreaterThan(0);
    expect(plan.best?.maxConcurrency).toBe(plan.results.find((r) => r.makespanP90 <= 7200)?.maxConcurrency);
  });

  it('refuses a job that is not an export, and a bad list, as usage errors', async () => {
    const task = await runBatchctl(['plan', 'abandon-stale-drafts', '--records', '10']);
    expect(task.exitCode).toBe(2);
    expect(task.stderr).toContain('abandon-stale-drafts is not an xlsx-export job');
    const list = await runBatchctl([
      'plan',
      'export-monthly-records',
      '--records',
      '10',
      '--concurrency',
      '0,41',
    ]);
    expect(list.exitCode).toBe(2);
    expect(list.stderr).toContain('--concurrency must be a comma list of whole numbers from 1 to 40');
  });
});
