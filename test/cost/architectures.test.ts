import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PRICED_ARCHITECTURES } from '#lib/cost/estimate.ts';
import { loadJobSpecs, REPO_ROOT } from '#lib/schedule/load.ts';
import { buildDeployment } from '#lib/workflows/deployment.ts';

describe('prices match what is deployed', () => {
  it("prices Fargate for the task definitions' CPU architecture and Lambda for serverless.yml's", async () => {
    const deployment = buildDeployment(await loadJobSpecs(), {
      stage: 'dev',
      schedulesEnabled: false,
      logRetentionDays: 14,
    });
    const architectures = Object.values(deployment.resources.Resources)
      .filter((resource) => (resource as { Type?: string }).Type === 'AWS::ECS::TaskDefinition')
      .map(
        (resource) =>
          (resource as { Properties: { RuntimePlatform: { CpuArchitecture: string } } }).Properties
            .RuntimePlatform.CpuArchitecture,
      );
    expect(architectures.length).toBeGreaterThan(0);
    expect(new Set(architectures)).toEqual(new Set([PRICED_ARCHITECTURES.fargate]));
    // serverless.yml has CloudFormation/Serverless variables in it; only provider.architecture is read.
    const serverless = parse(readFileSync(`${REPO_ROOT}/serverless.yml`, 'utf8'), { logLevel: 'silent' }) as {
      provider: { architecture: string };
    };
    expect(serverless.provider.architecture).toBe(PRICED_ARCHITECTURES.lambda);
  });
});
