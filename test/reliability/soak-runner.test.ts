/** `npm run soak` (soak/run.ts): reads the scenarios folder, runs each, and tables the results. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSoak, scenarioNames, summaryTable } from '../../soak/run.ts';
import { NODE, REPO, runProcess } from '../support/processes.ts';

describe('npm run soak', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-soak-runner-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every scenario of its folder at the size asked, and counts one that throws as failed', async () => {
    // Prepare: two scenarios nobody registered anywhere.
    writeFileSync(
      path.join(dir, 'alpha.ts'),
      "export default async ({ size, log }) => { log('working'); return { scenario: 'alpha', passed: true, figures: { size, rows: 300000 }, failures: [] }; };\n",
    );
    writeFileSync(
      path.join(dir, 'beta.ts'),
      "export default async () => { throw new Error('database down'); };\n",
    );
    const lines: string[] = [];

    // Act
    const results = await runSoak({
      names: scenarioNames(dir),
      size: 'quick',
      dir,
      out: (line) => lines.push(line),
    });
    const table = summaryTable(results);

    // Assess
    expect(results.map((result) => [result.scenario, result.passed])).toEqual([
      ['alpha', true],
      ['beta', false],
    ]);
    expect(lines).toContain('[alpha] working');
    expect(table).toMatch(/^scenario\s+passed\s+time\s+figures\s+failures$/m);
    expect(table).toMatch(/^alpha\s+yes\s+\d+ s\s+size: quick; rows: 300,000\s+-$/m);
    expect(table).toMatch(/^beta\s+NO\s+\d+ s\s+1$/m);
    expect(table).toContain('failed: threw database down');
  });

  it('lists the repository scenarios in --help and refuses an unknown --only name', async () => {
    const help = await runProcess(NODE, [path.join(REPO, 'soak', 'run.ts'), '--help'], { cwd: REPO });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Scenarios: .*month-start-burst.*provisioning-storm/);
    const unknown = await runProcess(
      NODE,
      [path.join(REPO, 'soak', 'run.ts'), '--only', 'month-start-bust'],
      {
        cwd: REPO,
      },
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--only names unknown scenarios: month-start-bust; the scenarios are');
  });
});
