/** SFN_BATCH_TIME_SCALE (local/sfn/time-scale.ts): pauses shrink, their backoff shape stays, timeouts do not change. */
import { describe, expect, it } from 'vitest';
import { loadScheduleCatalogue } from '../../lib/schedule/load.ts';
import {
  localSynthesisContext,
  retryWaitSeconds,
  synthesizeDefinition,
} from '../../lib/workflows/synthesize.ts';
import { parseStartConfig, StartConfigError } from '../../local/config.ts';
import type { Definition } from '../../local/sfn/definition.ts';
import { jobWithScaledRetry, parseTimeScale, scalePauses } from '../../local/sfn/time-scale.ts';

async function catalogueJob(name: string) {
  const job = (await loadScheduleCatalogue()).jobs.find((candidate) => candidate.name === name);
  if (job === undefined) throw new Error(`${name} is not in schedules/`);
  return job;
}

type States = Record<string, Record<string, unknown>>;

describe('time scale', () => {
  it('scales the Retry intervals and caps inside the Map, and leaves backoff rates, attempts and timeouts alone', async () => {
    // Prepare
    const job = await catalogueJob('export-monthly-records');
    const context = localSynthesisContext('local', 'ap-northeast-1', '000000000000', [
      'batch-jobs',
      'xlsx-converter',
    ]);
    const original = synthesizeDefinition(job, context) as Definition;

    // Act
    const scaled = scalePauses(original, 1 / 10);

    // Assess
    const converter = (states: Definition) =>
      ((states.States['Convert batches'] as { ItemProcessor: { States: States } }).ItemProcessor.States[
        'Run converter task'
      ] ?? {}) as { Retry: Array<Record<string, number>>; TimeoutSeconds: number };
    expect(converter(scaled).Retry[0]).toMatchObject({
      IntervalSeconds: 1,
      MaxDelaySeconds: 30,
      MaxAttempts: 5,
      BackoffRate: 2,
    });
    expect(converter(scaled).TimeoutSeconds).toBe(converter(original).TimeoutSeconds);
    expect(
      (scaled.States['Check for a running duplicate'] as { Retry: Array<Record<string, number>> }).Retry[0]
        ?.IntervalSeconds,
    ).toBeCloseTo(0.2);
    expect(scaled.TimeoutSeconds).toBe(original.TimeoutSeconds);
    // The original is not changed (the runtime keeps a copy per job).
    expect(converter(original).Retry[0]).toMatchObject({ IntervalSeconds: 10, MaxDelaySeconds: 300 });
  });

  it("turns the job's retry pauses into whole seconds with the same backoff at 1/30", async () => {
    const exportJob = await catalogueJob('export-monthly-records');
    const taskJob = await catalogueJob('meter-usage-daily');
    expect(retryWaitSeconds(exportJob)).toEqual([0, 60, 120, 240]);
    expect(retryWaitSeconds(jobWithScaledRetry(exportJob, 1 / 30))).toEqual([0, 2, 4, 8]);
    expect(retryWaitSeconds(jobWithScaledRetry(taskJob, 1 / 30))).toEqual([0, 1, 2]);
  });

  it('is read from SFN_BATCH_TIME_SCALE, and a bad value is refused with what to write', async () => {
    expect((await parseStartConfig([], { SFN_BATCH_TIME_SCALE: '0.05' })).timeScale).toBe(0.05);
    expect((await parseStartConfig([], {})).timeScale).toBeUndefined();
    for (const bad of ['0', '-1', '2', 'fast'])
      await expect(parseStartConfig([], { SFN_BATCH_TIME_SCALE: bad })).rejects.toThrow(
        new StartConfigError(
          `SFN_BATCH_TIME_SCALE must be a number above 0 and at most 1 (e.g. 0.0333 makes a 30 s retry pause 1 s), got "${bad}"`,
        ),
      );
    expect(() => parseTimeScale('1/30')).toThrow(/SFN_BATCH_TIME_SCALE/);
  });
});
