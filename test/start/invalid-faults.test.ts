import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isolatedEnv, NODE, REPO, runProcess } from '../support/processes.ts';

describe('npm start with invalid fault injection settings', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-faults-'));

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    [
      'a --faults file',
      ['--faults', path.join(dataDir, 'faults.json')],
      {},
      path.join(dataDir, 'faults.json'),
    ],
    [
      'SFN_BATCH_FAULTS',
      [],
      { SFN_BATCH_FAULTS: '{"capacityUnavailable":0.6,"eniProvisioningTimeout":0.6}' },
      'SFN_BATCH_FAULTS',
    ],
  ])(
    'refuses shares over 1 from %s before it creates or seeds a database',
    async (_label, args, variables, source) => {
      // Prepare
      writeFileSync(
        path.join(dataDir, 'faults.json'),
        '{"capacityUnavailable":0.6,"eniProvisioningTimeout":0.6}',
      );

      // Act
      const result = await runProcess(NODE, [path.join(REPO, 'local', 'main.ts'), '--no-schedule', ...args], {
        cwd: REPO,
        env: isolatedEnv(dataDir, { SFN_BATCH_DATA_DIR: dataDir, ...variables }),
      });

      // Assess
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`npm start: ${source} has invalid fault injection settings`);
      expect(result.stderr).toContain('add up to 1.2; they must add up to at most 1');
      expect(result.stderr).not.toContain('RangeError');
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(path.join(dataDir, 'pglite'))).toBe(false);
      expect(readdirSync(dataDir)).toEqual(['faults.json']);
    },
  );
});
