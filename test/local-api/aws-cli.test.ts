import { existsSync } from 'node:fs';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  makeJob,
  REGION,
  taskDefinition,
  tempDataDir,
  useTestRuntime,
  waitForStatus,
} from '../local-runtime/helpers.ts';
import { AWS_CLI, awsCli, type ProcessResult } from '../support/processes.ts';

const CLUSTER = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/sfn-batch-test`;
/** A CLI call took 8 s alone and 30 s with four others at load average 25 on the shared 2-core machine. */
const CLI_TIMEOUT_MS = 120_000;

function aws(endpoint: string, args: string[]): Promise<ProcessResult> {
  return awsCli(endpoint, REGION, tempDataDir(), args);
}

// Slow-ish (each CLI call starts Python, about a second): it proves a client we did not write gets AWS's answers.
describe('local Step Functions and ECS APIs driven by the AWS CLI v2', () => {
  beforeAll(() => {
    if (!existsSync(AWS_CLI))
      throw new Error(`${AWS_CLI} is missing: install awscli (apt-get install awscli)`);
  });
  const local = useTestRuntime([
    { job: makeJob('run-task'), definition: taskDefinition({ timeoutSeconds: 60 }) },
  ]);

  // Concurrent: each case is one Python process, mostly start-up time.
  it.concurrent.each<[string, string, string[]]>([
    [
      'an execution ARN over 256 characters',
      'InvalidArn',
      [
        'stepfunctions',
        'describe-execution',
        '--execution-arn',
        `arn:aws:states:${REGION}:${ACCOUNT}:execution:m:${'x'.repeat(240)}`,
      ],
    ],
    [
      'both a state machine and a Map Run ARN',
      'ValidationException',
      [
        'stepfunctions',
        'list-executions',
        '--state-machine-arn',
        `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:sfn-batch-test-run-task`,
        '--map-run-arn',
        `arn:aws:states:${REGION}:${ACCOUNT}:mapRun:sfn-batch-test-run-task/Map:1`,
      ],
    ],
    [
      'tags of a missing state machine',
      'ResourceNotFound',
      [
        'stepfunctions',
        'list-tags-for-resource',
        '--resource-arn',
        `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:missing`,
      ],
    ],
    [
      'tasks of an unknown cluster',
      'ClusterNotFoundException',
      ['ecs', 'list-tasks', '--cluster', 'no-such-cluster'],
    ],
  ])(
    'answers %s with %s',
    async (_label, code, args) => {
      const result = await aws(local.runtime.endpoint, args);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`(${code})`);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'lists a running job task with aws ecs, stops it and shows its stop reason and exit code',
    async () => {
      // Prepare
      const sfn = local.sfn;
      const started = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: local.runtime.stateMachineArn('run-task'),
          input: JSON.stringify({ command: ['sleep', '60000'] }),
        }),
      );
      let taskArns: string[] = [];
      for (let attempt = 0; attempt < 20 && taskArns.length === 0; attempt++) {
        const listed = await aws(local.runtime.endpoint, ['ecs', 'list-tasks', '--cluster', CLUSTER]);
        expect(listed.stderr).toBe('');
        taskArns = (JSON.parse(listed.stdout) as { taskArns: string[] }).taskArns;
      }
      const [taskArn] = taskArns;
      if (taskArn === undefined) throw new Error('aws ecs list-tasks never showed the task');
      // Act
      const stopped = await aws(local.runtime.endpoint, [
        'ecs',
        'stop-task',
        '--cluster',
        CLUSTER,
        '--task',
        taskArn,
        '--reason',
        'stopped from the CLI',
      ]);
      const execution = await waitForStatus(sfn, started.executionArn ?? '');
      const described = await aws(local.runtime.endpoint, [
        'ecs',
        'describe-tasks',
        '--cluster',
        CLUSTER,
        '--tasks',
        taskArn,
      ]);
      // Assess
      expect(stopped.stderr).toBe('');
      const [task] = (JSON.parse(described.stdout) as { tasks: Array<Record<string, unknown>> }).tasks;
      expect(task).toMatchObject({
        taskArn,
        lastStatus: 'STOPPED',
        stopCode: 'UserInitiated',
        stoppedReason: 'stopped from the CLI',
        containers: [expect.objectContaining({ exitCode: 143 })],
      });
      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('States.TaskFailed');
    },
    CLI_TIMEOUT_MS,
  );
});
