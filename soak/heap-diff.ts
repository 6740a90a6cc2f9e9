/**
 * Compares two V8 heap snapshots (`node --heapsnapshot-signal=SIGUSR2`, `v8.writeHeapSnapshot`)
 * by what grew: live objects grouped by constructor (or type for strings, arrays, code), with
 * count and self size in each snapshot, largest growth first. Used to tell a leak (objects that
 * pile up per execution) from a backlog (work in flight) in the month-in-minutes scenario
 * (docs/reliability.md). A snapshot is taken after a full GC, so it holds only live objects.
 *
 *   node soak/heap-diff.ts <earlier.heapsnapshot> <later.heapsnapshot> [--top 40]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  key: string;
  count: number;
  bytes: number;
}

/** Live objects of one snapshot, grouped by `type:name` (objects by constructor name). */
export function summarizeHeap(file: string): Map<string, HeapGroup> {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = parsed.snapshot.meta.node_fields;
  const types = parsed.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  for (let index = 0; index < parsed.nodes.length; index += width) {
    const type = types[parsed.nodes[index + typeAt] ?? 0] ?? 'unknown';
    const rawName = parsed.strings[parsed.nodes[index + nameAt] ?? 0] ?? '';
    // Strings and code are named by their content: group them by type only.
    const name = type === 'object' || type === 'closure' || type === 'native' ? rawName.slice(0, 80) : '';
    const key = `${type}:${name}`;
    const group = groups.get(key) ?? { key, count: 0, bytes: 0 };
    group.count += 1;
    group.bytes += parsed.nodes[index + sizeAt] ?? 0;
    groups.set(key, group);
  }
  return groups;
}

function main(): void {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '40' } },
  });
  const [earlierFile, laterFile] = positionals;
  if (earlierFile === undefined || laterFile === undefined) {
    process.stderr.write(
      'usage: node soak/heap-diff.ts <earlier.heapsnapshot> <later.heapsnapshot> [--top 40]\n',
    );
    process.exitCode = 2;
    return;
  }
  const earlier = summarizeHeap(earlierFile);
  const later = summarizeHeap(laterFile);
  const total = (groups: Map<string, HeapGroup>) =>
    [...groups.values()].reduce((sum, group) => sum + group.bytes, 0);
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
  process.stdout.write(`live heap: ${mb(total(earlier))} MB -> ${mb(total(later))} MB\n`);
  const keys = new Set([...earlier.keys(), ...later.keys()]);
  const rows = [...keys].map((key) => {
    const before = earlier.get(key) ?? { key, count: 0, bytes: 0 };
    const after = later.get(key) ?? { key, count: 0, bytes: 0 };
    return { key, before, after, grew: after.bytes - before.bytes };
  });
  rows.sort((a, b) => b.grew - a.grew);
  process.stdout.write('growth MB\tcount before -> after\tMB before -> after\tgroup\n');
  for (const row of rows.slice(0, Number(values.top))) {
    process.stdout.write(
      `${mb(row.grew)}\t${row.before.count} -> ${row.after.count}\t${mb(row.before.bytes)} -> ${mb(row.after.bytes)}\t${row.key}\n`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
