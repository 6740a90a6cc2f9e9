import { describe, expect, it } from 'vitest';
import { checkExecutionInput } from '../../lib/contracts/execution-input.ts';
import { loadSchedules } from '../../lib/schedule/load.ts';
import { cloudFormationSynthesisContext } from '../../lib/workflows/deployment.ts';
import { zonedIsoInstant } from '../../lib/workflows/manual-run.ts';
import { synthesizeDefinition } from '../../lib/workflows/synthesize.ts';

// The AWS console shows a state machine's top-level Comment next to Start execution:
// it must tell a person what to type, and what it says must pass the input rule.
describe("the manual-run help in each state machine's Comment", () => {
  it('gives, for every job, a default input and a rerun-a-period input that the rule accepts', async () => {
    // Prepare
    const { jobs } = await loadSchedules();

    for (const job of jobs) {
      // Act
      const comment = String(synthesizeDefinition(job, cloudFormationSynthesisContext('prod')).Comment);
      const inputs = [...comment.matchAll(/(\{"(?:params|scheduledTime)".*?\}\}?)(?= or |$)/g)].map(
        (match) => match[1] ?? '',
      );

      // Assess
      expect(comment, job.name).toContain('"Comment" is ignored');
      expect(inputs, job.name).toHaveLength(2);
      for (const input of inputs) {
        expect(checkExecutionInput(job, JSON.parse(input)).problems, `${job.name}: ${input}`).toEqual([]);
      }
      expect(inputs[1], job.name).toMatch(/"scheduledTime":"\d{4}-\d\d-\d\dT\d\d:\d\d:00[+-]\d\d:\d\d"/);
    }
  });

  it("writes the rerun instant in the job's own zone, with its offset", () => {
    expect(zonedIsoInstant(new Date('2026-10-31T15:00:00Z'), 'Asia/Tokyo')).toBe('2026-11-01T00:00:00+09:00');
    expect(zonedIsoInstant(new Date('2026-11-01T04:00:00Z'), 'America/New_York')).toBe(
      '2026-11-01T00:00:00-04:00',
    );
  });
});
