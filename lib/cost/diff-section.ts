/**
 * The cost section of the pull-request schedule diff: each changed or added job's monthly
 * estimate before and after, removed jobs' savings, and the catalogue total before and after.
 */
import { diffCatalogues } from '../schedule/diff.ts';
import type { ScheduleCatalogue } from '../schedule/load.ts';
import { type DurationInputs, estimateCatalogue, type JobEstimate } from './estimate.ts';
import type { PriceBook } from './prices.ts';
import { formatSeconds, formatUsd } from './render.ts';

export interface CostSectionOptions {
  now: Date;
  book: PriceBook;
  observed: ReadonlyMap<string, DurationInputs>;
}

function change(before: number, after: number): string {
  const delta = after - before;
  if (Math.abs(delta) < 0.00005) return '±0';
  const percent =
    before > 0 ? ` (${delta > 0 ? '+' : '−'}${Math.abs(Math.round((delta / before) * 100))}%)` : '';
  return `${delta > 0 ? '+' : '−'}${formatUsd(Math.abs(delta))}${percent}`;
}

function basis(estimate: JobEstimate | undefined): string {
  if (!estimate) return '';
  const seconds = estimate.usage.taskSeconds;
  const what =
    seconds.source === 'none'
      ? 'no observed runs: 1-minute minimum'
      : seconds.source === 'declared'
        ? `declared ${formatSeconds(seconds.value)} (assumption)`
        : `median ${formatSeconds(seconds.value)} of ${seconds.samples} ${seconds.source} runs`;
  return `${estimate.enabled ? estimate.usage.runs : 0} runs, ${what}`;
}

/** Markdown section appended to `batchctl diff`; empty lines only when nothing priced changed. */
export async function renderCostSection(
  base: ScheduleCatalogue,
  head: ScheduleCatalogue,
  options: CostSectionOptions,
): Promise<string> {
  const diff = diffCatalogues(base, head);
  const settings = { now: options.now, book: options.book, observed: options.observed };
  const before = await estimateCatalogue(base.jobs, settings);
  const after = await estimateCatalogue(head.jobs, settings);
  const beforeByName = new Map(before.jobs.map((job) => [job.job, job]));
  const afterByName = new Map(after.jobs.map((job) => [job.job, job]));
  const lines = [
    `### Cost (estimate for ${after.month}, ${options.book.region}, USD)`,
    '',
    '| job | before | after | change | basis (after) |',
    '|---|---|---|---|---|',
  ];
  const names = [...diff.changed.map((job) => job.name), ...diff.added, ...diff.removed];
  for (const name of names) {
    const old = beforeByName.get(name);
    const updated = afterByName.get(name);
    const status = diff.added.includes(name) ? ' (added)' : diff.removed.includes(name) ? ' (removed)' : '';
    lines.push(
      `| \`${name}\`${status} | ${old ? formatUsd(old.total) : '—'} | ${updated ? formatUsd(updated.total) : '—'} | ${change(old?.total ?? 0, updated?.total ?? 0)} | ${basis(updated ?? old)} |`,
    );
  }
  lines.push(
    `| **catalogue total** | **${formatUsd(before.totals.total)}** | **${formatUsd(after.totals.total)}** | **${change(before.totals.total, after.totals.total)}** | ${after.jobs.length} jobs |`,
    '',
  );
  const unconfirmed = after.prices.filter((price) => !price.confirmed).map((price) => price.key);
  lines.push(
    "Runs are the real fire times of that month in each job's zone; durations come from observed runs where there are any. Free tiers are not taken off. " +
      `Prices: \`lib/cost/prices/${options.book.region}.json\`${unconfirmed.length > 0 ? ` (unconfirmed: ${unconfirmed.join(', ')})` : ''}. Details: \`batchctl cost\`.`,
    '',
  );
  return `${lines.join('\n')}`;
}
