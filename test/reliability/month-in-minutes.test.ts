// Reliability scenario "a month in minutes", quick size (docs/reliability.md): 18 simulated hours
// with the Tokyo and New York month starts and the US DST change, through a real npm start on a
// 4000x clock. Slow for a unit test (a whole runtime in a child process), bounded well under 60 s.
import { describe, expect, it } from 'vitest';
import monthInMinutes from '../../soak/scenarios/month-in-minutes.ts';

describe('a month in minutes (quick)', () => {
  it('fires every job at exactly the instants batchctl next lists, none missed or doubled, with flat RSS and fds', async () => {
    // Act
    const lines: string[] = [];
    const result = await monthInMinutes({
      size: 'quick',
      log: (line) => {
        lines.push(line);
        console.log(line);
      },
    });

    // Assess
    expect(result.failures, `${lines.join('\n')}\n${JSON.stringify(result.figures, null, 2)}`).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.figures['fires expected']).toBeGreaterThan(200);
    expect(result.figures['fires seen']).toBe(result.figures['fires expected']);
    console.log(JSON.stringify(result.figures, null, 2));
  }, 180_000);
});
