import { describe, expect, it } from 'vitest';
import { diffCatalogues, renderDiffReport } from '../../lib/schedule/diff.ts';
import { DEFAULTS, parseFiles } from './catalogue-fixture.ts';

const NOW = new Date('2026-11-21T23:30:00Z');
const job = (schedule: string, extra = '') =>
  `description: Nightly statistics.\nschedule: ${schedule}\ncommand: [analyze-tables]\n${extra}`;

const report = (base: Record<string, string>, head: Record<string, string>) =>
  renderDiffReport(parseFiles(base), parseFiles(head), { baseLabel: 'main', headLabel: 'feature', now: NOW });

describe('renderDiffReport', () => {
  it('shows a changed schedule before and after, with the next five runs of each', () => {
    // Act
    const markdown = report(
      {
        '_defaults.yml': DEFAULTS,
        'stats.yml': job('cron(5 0 * * ? *)'),
        'other.yml': job('cron(0 3 * * ? *)'),
      },
      {
        '_defaults.yml': DEFAULTS,
        'stats.yml': job('cron(10 0 * * ? *)'),
        'other.yml': job('cron(0 3 * * ? *)'),
      },
    );

    // Assess
    expect(markdown).toContain('1 changed, 0 added, 0 removed, 1 unchanged.');
    expect(markdown).toContain('| schedule | `cron(5 0 * * ? *)` | `cron(10 0 * * ? *)` |');
    expect(markdown).toContain(
      '| 1 | 2026-11-23 00:05 Mon +09:00 (2026-11-22 15:05 Sun UTC) | 2026-11-23 00:10 Mon +09:00 (2026-11-22 15:10 Sun UTC) |',
    );
    expect(markdown).toContain('| 5 | 2026-11-27 00:05 Fri +09:00');
    expect(markdown).not.toContain('`other`');
  });

  it('shows run times in both zones when the time zone changes across a DST boundary', () => {
    // Act
    const markdown = renderDiffReport(
      parseFiles({ '_defaults.yml': DEFAULTS, 'uk.yml': job('cron(30 1 * * ? *)') }),
      parseFiles({
        '_defaults.yml': DEFAULTS,
        'uk.yml': job('cron(30 1 * * ? *)', 'timezone: Europe/London\n'),
      }),
      { baseLabel: 'main', headLabel: 'feature', now: new Date('2027-03-26T12:00:00Z') },
    );

    // Assess: 01:30 does not exist in London on 2027-03-28, so that day is skipped.
    expect(markdown).toContain('| timezone | `Asia/Tokyo` | `Europe/London` |');
    expect(markdown).toContain('2027-03-27 01:30 Sat +00:00');
    expect(markdown).not.toMatch(/2027-03-28 01:30 Sun \+0[01]:00/);
    expect(markdown).toContain('2027-03-29 01:30 Mon +01:00 (2027-03-29 00:30 Mon UTC)');
  });

  it('lists added and removed jobs, and says when nothing changed', () => {
    // Act
    const changed = report(
      { '_defaults.yml': DEFAULTS, 'old-job.yml': job('cron(0 3 * * ? *)') },
      { '_defaults.yml': DEFAULTS, 'new-job.yml': job('rate(15 minutes)') },
    );
    const same = report(
      { '_defaults.yml': DEFAULTS, 'a.yml': job('cron(0 3 * * ? *)') },
      { '_defaults.yml': DEFAULTS, 'a.yml': job('cron(0 3 * * ? *)') },
    );

    // Assess
    expect(changed).toContain('0 changed, 1 added, 1 removed, 0 unchanged.');
    expect(changed).toMatch(/### Added\n\n#### `new-job`[\s\S]*`rate\(15 minutes\)`/);
    expect(changed).toMatch(/### Removed\n\n#### `old-job`/);
    expect(same).toContain('No job changes.');
  });

  it('groups a change to _defaults.yml once for every job it affects, and skips jobs that override it', () => {
    // Act
    const base = {
      '_defaults.yml': DEFAULTS,
      'a.yml': job('cron(0 3 * * ? *)'),
      'b.yml': job('cron(0 4 * * ? *)'),
      'c.yml': job('cron(0 5 * * ? *)', 'cpu: 1024\nmemory: 2048\n'),
    };
    const diff = diffCatalogues(
      parseFiles(base),
      parseFiles({ ...base, '_defaults.yml': DEFAULTS.replace('memory: 512', 'memory: 1024') }),
    );
    const markdown = report(base, {
      ...base,
      '_defaults.yml': DEFAULTS.replace('memory: 512', 'memory: 1024'),
    });

    // Assess
    expect(diff.changed.map((changed) => changed.name)).toEqual(['a', 'b']);
    expect(diff.changed[0]?.changes).toEqual([
      { field: 'memory', before: '512', after: '1024', viaDefaults: true },
    ]);
    expect(markdown).toContain('| memory | `512` | `1024` | 2: `a`, `b` |');
    expect(markdown).not.toContain('### Changed\n');
  });

  it('reports problems in an invalid base instead of failing, and compares the valid jobs', () => {
    // Act
    const markdown = report(
      { '_defaults.yml': DEFAULTS, 'a.yml': job('cron(0 3 * * * *)'), 'b.yml': job('cron(0 4 * * ? *)') },
      { '_defaults.yml': DEFAULTS, 'a.yml': job('cron(0 3 * * ? *)'), 'b.yml': job('cron(0 4 * * ? *)') },
    );

    // Assess
    expect(markdown).toContain('### ⚠️ Problems in main (1)');
    expect(markdown).toMatch(/schedules\/a\.yml:2:11 {2}schedule: /);
    expect(markdown).toContain('0 changed, 1 added, 0 removed, 1 unchanged.');
  });
});
