import { describe, expect, it } from 'vitest';
import { packBatches } from '#functions/enqueue-exports/pack-batches.ts';

const targets = (...counts: number[]) => counts.map((recordCount, index) => ({ id: index, recordCount }));
const loads = (batches: { recordCount: number }[][]) =>
  batches.map((batch) => batch.reduce((sum, target) => sum + target.recordCount, 0));

describe('packBatches', () => {
  it('puts a target at or above the cap in a batch of its own', () => {
    // Act
    const batches = packBatches(targets(500, 100, 1500, 50), 1000);

    // Assess
    expect(batches[0]).toEqual([{ id: 2, recordCount: 1500 }]);
    expect(batches.flat()).toHaveLength(4);
  });

  it('keeps every batch of smaller targets within the cap and balances their loads', () => {
    // Act
    const batches = packBatches(targets(600, 600, 400, 400, 300, 300, 200, 200), 1000);

    // Assess
    expect(loads(batches).every((load) => load <= 1000)).toBe(true);
    expect(batches).toHaveLength(3);
    expect(Math.max(...loads(batches)) - Math.min(...loads(batches))).toBeLessThanOrEqual(400);
  });

  it('spreads targets over the maximum number of batches when the cap would need more', () => {
    // Act
    const batches = packBatches(targets(...Array.from({ length: 50 }, () => 100)), 100, 10);

    // Assess
    expect(batches).toHaveLength(10);
    expect(loads(batches)).toEqual(Array.from({ length: 10 }, () => 500));
  });

  it('returns no batches when there is nothing to convert', () => {
    expect(packBatches([], 1000)).toEqual([]);
  });
});
