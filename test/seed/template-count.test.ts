/** The seed's template-count knob (SeedOptions.templates, SFN_BATCH_SEED_TEMPLATES): more workspaces, same generator. */
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../lib/random.ts';
import {
  newIdCounters,
  organisationRows,
  type SeedPeriod,
  TEMPLATES_PER_WORKSPACE,
} from '../../lib/seed/organisation-rows.ts';
import { parseStartConfig, StartConfigError } from '../../local/config.ts';

const PERIOD: SeedPeriod = {
  startMs: Date.parse('2026-08-01T00:00:00Z'),
  nowMs: Date.parse('2026-11-30T15:00:00Z'),
  days: 122,
};
const rows = (records: number, templates?: number) =>
  organisationRows(records, PERIOD, new SeededRandom('spec'), newIdCounters(), templates).rows;

describe('seed template count', () => {
  it('adds workspaces until there are at least the templates asked for', () => {
    const asked = rows(5000, 200);
    expect(asked.form_templates.length).toBe(
      Math.ceil(200 / TEMPLATES_PER_WORKSPACE) * TEMPLATES_PER_WORKSPACE,
    );
    expect(asked.workspaces.length).toBe(34);
    expect(new Set(asked.workspaces.map((workspace) => workspace.name)).size).toBe(asked.workspaces.length);
  });

  it('keeps the record-sized organisation when the record count already gives enough templates', () => {
    expect(rows(5000, 20)).toEqual(rows(5000));
    expect(rows(400_000, 10).form_templates).toHaveLength(rows(400_000).form_templates.length);
  });

  it('is read from SFN_BATCH_SEED_TEMPLATES, and a bad value is refused', async () => {
    expect((await parseStartConfig([], { SFN_BATCH_SEED_TEMPLATES: '246' })).seedTemplates).toBe(246);
    expect((await parseStartConfig([], {})).seedTemplates).toBe(0);
    await expect(parseStartConfig([], { SFN_BATCH_SEED_TEMPLATES: 'many' })).rejects.toThrow(
      new StartConfigError('SFN_BATCH_SEED_TEMPLATES must be a whole number from 0 to 6000, got "many"'),
    );
  });
});
