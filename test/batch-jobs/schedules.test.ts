import { describe, expect, it } from 'vitest';
import { catalogue } from '#containers/batch-jobs/catalogue.ts';
import { resolveInvocation } from '#containers/batch-jobs/command-line.ts';
import { loadJobSpecs } from '#lib/schedule/load.ts';

describe('schedules/*.yml and the batch-jobs catalogue', () => {
  it('gives every batch-jobs schedule a command and flags the container accepts', async () => {
    const specs = (await loadJobSpecs()).filter((spec) => spec.container === 'batch-jobs');

    expect(specs.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const spec of specs) {
      const input = JSON.stringify({
        job: spec.name,
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:sfn-batch-${spec.name}:check`,
        scheduledTime: '2026-11-21T00:00:00Z',
        params: spec.defaultInput,
      });
      try {
        resolveInvocation(spec.command, input, catalogue);
      } catch (error) {
        problems.push(`${spec.sourceFile}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
