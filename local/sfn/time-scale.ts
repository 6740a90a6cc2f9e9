/**
 * The local runtime's time scale (`SFN_BATCH_TIME_SCALE`): shorter pauses with the same shape,
 * so retries with backoff can be watched in seconds instead of minutes. Unlike the flat test
 * overrides (TimingOverrides), it keeps IntervalSeconds × BackoffRate^n, MaxDelaySeconds and
 * jitter, only smaller. Timeouts are not scaled: they are limits, not pauses.
 */
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import type { Definition } from './definition.ts';

/**
 * The job with its `retry.interval` multiplied by `scale`, for synthesis. The template's
 * retry pauses (`RetryWaitSeconds`, read by a Wait's SecondsPath) stay whole seconds of at
 * least 1, so pick a scale that keeps them whole: 1/30 turns 30 s into 1 s and 1 m into 2 s.
 */
export function jobWithScaledRetry(job: JobSpec, scale: number): JobSpec {
  return { ...job, retry: { ...job.retry, intervalSeconds: job.retry.intervalSeconds * scale } };
}

interface StateLike {
  Type?: string;
  Seconds?: number;
  Retry?: Array<{ IntervalSeconds?: number; MaxDelaySeconds?: number }>;
  ItemProcessor?: { States?: Record<string, StateLike> };
  Iterator?: { States?: Record<string, StateLike> };
  Branches?: Array<{ States?: Record<string, StateLike> }>;
}

function scaleStates(states: Record<string, StateLike> | undefined, scale: number): void {
  for (const state of Object.values(states ?? {})) {
    for (const retrier of state.Retry ?? []) {
      // 1 s is the Step Functions default interval.
      retrier.IntervalSeconds = (retrier.IntervalSeconds ?? 1) * scale;
      if (retrier.MaxDelaySeconds !== undefined) retrier.MaxDelaySeconds *= scale;
    }
    if (state.Type === 'Wait' && typeof state.Seconds === 'number') state.Seconds *= scale;
    scaleStates(state.ItemProcessor?.States, scale);
    scaleStates(state.Iterator?.States, scale);
    for (const branch of state.Branches ?? []) scaleStates(branch.States, scale);
  }
}

/**
 * A copy of `definition` whose Retry intervals and maximum delays and fixed Wait seconds are
 * multiplied by `scale` (also inside Map and Parallel states). The result has fractional
 * seconds, which the local interpreter honours and AWS would refuse: it is for the local runtime only.
 */
export function scalePauses(definition: Definition, scale: number): Definition {
  const copy = structuredClone(definition) as Definition & { States?: Record<string, StateLike> };
  scaleStates(copy.States, scale);
  return copy;
}

/** Parses SFN_BATCH_TIME_SCALE: a number above 0 and at most 1; the error says what to write. */
export function parseTimeScale(text: string): number {
  const value = Number(text.trim());
  if (!Number.isFinite(value) || value <= 0 || value > 1) {
    throw new RangeError(
      `SFN_BATCH_TIME_SCALE must be a number above 0 and at most 1 (e.g. 0.0333 makes a 30 s retry pause 1 s), got "${text}"`,
    );
  }
  return value;
}
