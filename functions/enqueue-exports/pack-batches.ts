/**
 * Upper bound on batches per run. Each batch is one Map iteration: its
 * descriptor (~170 bytes) goes through the 256 KiB payload limit, its result
 * comes back through the same limit, and its events count against the 25,000
 * events of an execution's history (a runTask.sync iteration takes about 8).
 * 500 keeps all three far from their limits; a bigger catalogue gets fuller batches.
 */
export const MAX_BATCHES = 500;

export interface Weighted {
  recordCount: number;
}

/**
 * Packs targets into batches balanced by record count: largest first, each into
 * the lightest batch that stays within `recordsPerBatch`, else a new batch. A
 * target at or above the cap runs alone. With more than `maxBatches` batches the
 * cap is dropped and the targets are spread over exactly `maxBatches`.
 */
export function packBatches<T extends Weighted>(
  targets: readonly T[],
  recordsPerBatch: number,
  maxBatches = MAX_BATCHES,
): T[][] {
  const sorted = [...targets].sort((a, b) => b.recordCount - a.recordCount);
  const capped = pack(sorted, recordsPerBatch);
  return capped.length <= maxBatches ? capped : spread(sorted, maxBatches);
}

interface Bin<T> {
  load: number;
  items: T[];
}

function pack<T extends Weighted>(sorted: readonly T[], cap: number): T[][] {
  const alone: T[][] = [];
  const bins: Bin<T>[] = [];
  for (const target of sorted) {
    if (target.recordCount >= cap) {
      alone.push([target]);
      continue;
    }
    let lightest: Bin<T> | undefined;
    for (const bin of bins) {
      if (bin.load + target.recordCount <= cap && (!lightest || bin.load < lightest.load)) lightest = bin;
    }
    // Open batches up to the minimum the remaining load needs, then fill the lightest.
    if (!lightest) {
      lightest = { load: 0, items: [] };
      bins.push(lightest);
    }
    lightest.load += target.recordCount;
    lightest.items.push(target);
  }
  return [...alone, ...bins.map((bin) => bin.items)];
}

function spread<T extends Weighted>(sorted: readonly T[], count: number): T[][] {
  const bins: Bin<T>[] = Array.from({ length: Math.min(count, sorted.length) }, () => ({
    load: 0,
    items: [],
  }));
  for (const target of sorted) {
    let lightest = bins[0] as Bin<T>;
    for (const bin of bins) if (bin.load < lightest.load) lightest = bin;
    lightest.load += target.recordCount;
    lightest.items.push(target);
  }
  return bins.map((bin) => bin.items);
}
