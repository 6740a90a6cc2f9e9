/**
 * Reliability scenario "month-start burst" at quick size (soak/scenarios/month-start-burst.ts;
 * `npm run soak` runs it at full size). Slow by nature: a real `npm start` seeds its database,
 * fires every job due at 2026-12-01 00:00 Tokyo and runs the real export and converter.
 */
import { describe, expect, it } from 'vitest';
import monthStartBurst from '../../soak/scenarios/month-start-burst.ts';

describe('month-start burst (quick size)', () => {
  it('starts every job due at the month start, and converts every target of the month exactly once', async () => {
    const lines: string[] = [];
    const result = await monthStartBurst({ size: 'quick', log: (line) => lines.push(line) });
    console.log(`month-start burst: ${JSON.stringify(result.figures)}`);
    expect(result.failures, lines.join('\n')).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.figures['jobs due']).toBe(5);
    expect(result.figures['xlsx files']).toBe(result.figures.targets);
    expect(result.figures['xlsx data rows']).toBe(result.figures['database records of targets']);
  }, 600_000);
});
