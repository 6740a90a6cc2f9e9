/**
 * Reliability scenario "provisioning storm" at quick size (soak/scenarios/provisioning-storm.ts;
 * `npm run soak` runs it at full size). Slow by nature: a real `npm start` with 30% of task starts
 * failing (SFN_BATCH_FAULTS) and pauses at 1/30 (SFN_BATCH_TIME_SCALE) runs the month-start burst
 * and two more rounds of the due task jobs, next to two back-to-back runs each of an on-demand and a
 * Spot job, posting failures to a webhook on 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import provisioningStorm from '../../soak/scenarios/provisioning-storm.ts';

describe('provisioning storm (quick size)', () => {
  it('ends every execution, retries with bounded backoff, converts every target once and posts only real failures', async () => {
    const lines: string[] = [];
    const result = await provisioningStorm({ size: 'quick', log: (line) => lines.push(line) });
    console.log(`provisioning storm: ${JSON.stringify(result.figures)}`);
    expect(result.failures, lines.join('\n')).toEqual([]);
    expect(result.passed).toBe(true);
    // 5 due executions, then 2 rounds of the 3 due task jobs, and 2 loop runs of each of 2 jobs.
    expect(result.figures.executions).toBe(15);
    expect(result.figures['Slack posts']).toBe(result.figures.failed);
    expect(result.figures['xlsx data rows']).toBeGreaterThan(0);
  }, 600_000);
});
