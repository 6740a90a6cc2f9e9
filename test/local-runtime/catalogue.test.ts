import { ListStateMachinesCommand, ListTagsForResourceCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { loadJobSpecs } from '../../lib/schedule/load.ts';
import { startLocalRuntime } from '../../local/runtime.ts';
import { sfnClient, tempDataDir } from './helpers.ts';

describe('the schedule catalogue on the local runtime', () => {
  it('serves one interpretable state machine per job in schedules/, tagged from its spec', async () => {
    // Prepare
    const jobs = await loadJobSpecs();
    // Act
    const runtime = await startLocalRuntime({ jobs, dataDir: tempDataDir(), port: 0, taskEnvironment: {} });
    try {
      const client = sfnClient(runtime.endpoint);
      const listed = await client.send(new ListStateMachinesCommand({ maxResults: 1000 }));
      const first = jobs[0];
      const tags = await client.send(
        new ListTagsForResourceCommand({ resourceArn: runtime.stateMachineArn(first?.name ?? '') }),
      );
      // Assess
      expect(jobs.length).toBeGreaterThan(0);
      expect(listed.stateMachines?.map((machine) => machine.name).sort()).toEqual(
        jobs.map((job) => `sfn-batch-local-${job.name}`).sort(),
      );
      expect(tags.tags).toContainEqual({ key: 'team', value: first?.owner.team });
      expect(tags.tags).toContainEqual({ key: 'job', value: first?.name });
    } finally {
      await runtime.close();
    }
  });
});
