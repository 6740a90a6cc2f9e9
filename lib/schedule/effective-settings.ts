import type { EffectiveJob, ValueOrigin } from './load.ts';
import { KNOWN_KEYS } from './schema.ts';

/** One line of a job's effective settings: a key (nested keys have depth 1), its value and where it came from. */
export interface EffectiveSetting {
  key: string;
  depth: 0 | 1;
  /** Undefined for a mapping's heading line (its children follow). */
  value: unknown;
  origin: ValueOrigin;
}

/**
 * A job's effective settings in schema order, each marked with its origin (the job
 * file, `_defaults.yml` or a built-in default), as `batchctl show` and the console
 * show them. Mappings such as `owner` become a heading followed by their children.
 */
export function effectiveSettings(effective: EffectiveJob): EffectiveSetting[] {
  const rows: EffectiveSetting[] = [];
  const values = effective.values as Record<string, unknown>;
  for (const key of KNOWN_KEYS[''] ?? []) {
    const value = values[key];
    if (value === undefined) continue;
    const children = KNOWN_KEYS[key];
    if (children && typeof value === 'object' && value !== null) {
      rows.push({ key, depth: 0, value: undefined, origin: 'job' });
      for (const child of children) {
        const childValue = (value as Record<string, unknown>)[child];
        if (childValue === undefined) continue;
        rows.push({
          key: child,
          depth: 1,
          value: childValue,
          origin: effective.origins[`${key}.${child}`] ?? 'job',
        });
      }
    } else {
      rows.push({ key, depth: 0, value, origin: originOf(effective.origins, key) });
    }
  }
  return rows;
}

/** Origin of a top-level key; a mapping such as `input` counts as the job's if any part of it is. */
function originOf(origins: Readonly<Record<string, ValueOrigin>>, key: string): ValueOrigin {
  const own = origins[key];
  if (own) return own;
  const parts = Object.entries(origins).filter(([field]) => field.startsWith(`${key}.`));
  if (parts.some(([, origin]) => origin === 'job')) return 'job';
  return parts[0]?.[1] ?? 'job';
}
