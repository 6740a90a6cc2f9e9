import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStateMachineTags } from '#lib/contracts/state-machine-tags.ts';
import { buildDeployment, pascalCase, stateMachineLogicalId } from '#lib/workflows/deployment.ts';
import { WORKFLOW_LAMBDAS } from '#lib/workflows/names.ts';
import { makeExportJob, makeTaskJob } from '../support/job-spec.ts';
import { REPO as REPO_ROOT } from '../support/processes.ts';

const jobs = [
  makeTaskJob({ name: 'nightly-job', enabled: true }),
  makeTaskJob({ name: 'paused-job', enabled: false, timezone: 'Europe/London' }),
  makeExportJob(),
];

function schedulesOf(stage: string, schedulesEnabled: boolean) {
  const deployment = buildDeployment(jobs, { stage, schedulesEnabled, logRetentionDays: 14 });
  return Object.values(deployment.stateMachines).map((machine) => {
    const [event] = machine.events as { schedule: { enabled: boolean; timezone: string; name: string } }[];
    return { name: machine.name, ...event?.schedule };
  });
}

describe('buildDeployment', () => {
  it('keeps every schedule off in a stage without schedules', () => {
    const schedules = schedulesOf('dev', false);

    expect(schedules.map((schedule) => schedule.enabled)).toEqual([false, false, false]);
  });

  it('enables the schedules of enabled jobs only, in a stage with schedules', () => {
    const schedules = schedulesOf('prod', true);

    expect(schedules.map((schedule) => [schedule.name, schedule.enabled, schedule.timezone])).toEqual([
      ['sfn-batch-prod-nightly-job', true, 'Asia/Tokyo'],
      ['sfn-batch-prod-paused-job', false, 'Europe/London'],
      ['sfn-batch-prod-monthly-xlsx-export', true, 'Asia/Tokyo'],
    ]);
  });

  it('tags each state machine with what the notify Lambda reads, in values Step Functions accepts', () => {
    const deployment = buildDeployment(
      [makeTaskJob({ runbookUrl: 'https://wiki.example.com/runbooks/stats?x=1' })],
      {
        stage: 'prod',
        schedulesEnabled: true,
        logRetentionDays: 90,
      },
    );

    const machine = deployment.stateMachines[pascalCase('aggregate-record-stats')];

    expect(machine?.id).toBe(stateMachineLogicalId('aggregate-record-stats'));
    expect(machine?.tags).toEqual({
      job: 'aggregate-record-stats',
      team: 'records-platform',
      'slack-channel': 'records-alerts',
      'notify-on': 'FAILED TIMED_OUT ABORTED',
      'warn-after-consecutive-skips': '3',
      'source-file': 'schedules/aggregate-record-stats.yml',
      // `?` is not allowed in a tag value, so the URL travels encoded and notify decodes it.
      runbook: `base64url:${Buffer.from('https://wiki.example.com/runbooks/stats?x=1').toString('base64url')}`,
    });
    expect(readStateMachineTags((machine?.tags ?? {}) as Record<string, string>).runbookUrl).toBe(
      'https://wiki.example.com/runbooks/stats?x=1',
    );
  });

  it('points every Lambda at a handler that exists in functions/', () => {
    const deployment = buildDeployment(jobs, { stage: 'dev', schedulesEnabled: false, logRetentionDays: 14 });

    expect(Object.keys(deployment.functions)).toEqual(Object.keys(WORKFLOW_LAMBDAS));
    for (const lambda of Object.values(WORKFLOW_LAMBDAS)) {
      expect(existsSync(path.join(REPO_ROOT, 'functions', lambda.folder, 'handler.ts')), lambda.folder).toBe(
        true,
      );
    }
  });
});
