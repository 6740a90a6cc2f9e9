// Reliability scenario "a month in minutes", quick size (docs/reliability.md): 18 simulated hours
// holding the Tokyo and New York month starts and the US DST change, through a real npm start on
// a 3000x clock (RSS and open fds are reported; only the full month, npm run soak, asserts them
// flat). Slow for a unit test: a whole runtime in a child process (its start-up is most of
// the time), about 22 s of simulated schedules and the read-back. The generous timeout is for a
// loaded 2-core machine, where the runtime's start-up alone has taken 100-180 s. Every run must
// succeed, except runs the duplicate-start guard's 30 s timeout ended while the runtime was more
// than 30 s behind the clock (a machine too loaded for 3000x; counted apart, docs/reliability.md).
import { describe, expect, it } from 'vitest';
import monthInMinutes from '../../soak/scenarios/month-in-minutes.ts';

describe('a month in minutes (quick)', () => {
  it('fires every job at exactly the instants batchctl next lists, none missed and none doubled', async () => {
    // Act
    const lines: string[] = [];
    const result = await monthInMinutes({ size: 'quick', log: (line) => lines.push(line) });

    // Assess
    const report = `${lines.join('\n')}\n${JSON.stringify(result.figures, null, 2)}`;
    expect(result.failures, report).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.figures['fires expected'], report).toBeGreaterThan(200);
    expect(result.figures['fires seen'], report).toBe(result.figures['fires expected']);
    expect(result.figures.missed).toBe(0);
    expect(result.figures.doubled).toBe(0);
  }, 720_000);
});
