import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeExecutionCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, describe, expect, it } from 'vitest';
import { type OutputProcess, startNpmStart } from '../support/processes.ts';

const DUE_AT_MONTH_START = ['expire-share-links', 'export-monthly-records', 'meter-usage-monthly'];
const DUE_FIVE_MINUTES_LATER = 'aggregate-record-stats-daily';

const END_STATUSES = 'SUCCEEDED|FAILED|TIMED_OUT|ABORTED';

/** The line npm start prints when the month-start execution of `job` ends, if it has. */
function endLine(output: string, job: string): string | undefined {
  const pattern = new RegExp(`\\s(${END_STATUSES})\\s+${job}\\s+${job}-20261130T1500Z\\b`);
  return output.split('\n').find((line) => pattern.test(line));
}

/**
 * Waits until each job's execution has ended, or one has ended other than SUCCEEDED (the
 * assertions then name it); throws with the output if npm start exits or `timeoutMs` passes.
 */
async function waitUntilEnded(runtime: OutputProcess, jobs: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = () => jobs.filter((job) => endLine(runtime.output, job) === undefined);
  const failed = () =>
    jobs.some((job) => /(FAILED|TIMED_OUT|ABORTED) /.test(endLine(runtime.output, job) ?? ''));
  while (pending().length > 0 && !failed()) {
    if (runtime.child.exitCode !== null)
      throw new Error(`npm start exited before ${pending().join(', ')} ended:\n${runtime.output}`);
    if (Date.now() > deadline)
      throw new Error(`${pending().join(', ')} did not end within ${timeoutMs} ms:\n${runtime.output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The output of a finished execution, read through the API whose endpoint npm start printed. */
async function executionOutput(output: string, name: string): Promise<unknown> {
  const endpoint = /Step Functions API {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  if (!endpoint) throw new Error(`npm start printed no API endpoint:\n${output}`);
  const client = new SFNClient({
    endpoint,
    region: 'ap-northeast-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const machines = await client.send(new ListStateMachinesCommand({}));
  const machine = machines.stateMachines?.find((entry) => entry.name?.endsWith('-export-monthly-records'));
  const executionArn = `${machine?.stateMachineArn?.replace(':stateMachine:', ':execution:')}:${name}`;
  const described = await client.send(new DescribeExecutionCommand({ executionArn }));
  return JSON.parse(described.output ?? 'null');
}

// Slow (the whole runtime in a child process, real jobs and the real export): `--at` shows the
// month-start burst without waiting for December.
describe('npm start --at on a month start', () => {
  let dataDir: string;
  let runtime: OutputProcess | undefined;

  afterAll(() => {
    if (runtime && runtime.child.exitCode === null) runtime.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts every selected job due at 2026-12-01 00:00 Tokyo, and they succeed', async () => {
    // Prepare
    dataDir = mkdtempSync(path.join(tmpdir(), 'sfn-batch-burst-'));
    const burst = startNpmStart(
      dataDir,
      [
        '--port',
        '0',
        '--at',
        '2026-12-01T00:00:00+09:00',
        '--only',
        [...DUE_AT_MONTH_START, DUE_FIVE_MINUTES_LATER].join(','),
      ],
      { SFN_BATCH_SEED_RECORDS: '500' },
    );
    runtime = burst;

    // Act: wait until every job has ended, whatever its status, so a failure ends the wait at once.
    await waitUntilEnded(burst, DUE_AT_MONTH_START, 180_000);
    const exportOutput = await executionOutput(burst.output, 'export-monthly-records-20261130T1500Z');
    burst.child.kill('SIGINT');
    const code = await burst.exit;

    // Assess
    for (const job of DUE_AT_MONTH_START) {
      expect(burst.output).toContain(`started   ${job.padEnd(36)} ${job}-20261130T1500Z`);
      expect(endLine(burst.output, job), `${job} did not succeed:\n${burst.output}`).toMatch(/ SUCCEEDED /);
    }
    expect(burst.output).not.toContain(`started   ${DUE_FIVE_MINUTES_LATER}`);
    expect(burst.output).toMatch(
      /4 scheduled \(--only [^)]*\), clock starts at 2026-11-30T15:00:00\.000Z \(--at\)/,
    );
    // The export says where it wrote its files, and how many.
    expect(exportOutput).toMatchObject({
      files: {
        storage: `local folder ${path.join(dataDir, 'objects')}`,
        prefix: 'exports/',
        keyPattern: 'exports/<workspace>/<template>/2026-11.xlsx',
        count: expect.any(Number),
      },
    });
    // The status block gives each upcoming run in its job's zone, whatever the machine's zone.
    expect(burst.output).toMatch(
      /Next runs \(each in its job's time zone\):\n {2}2026-12-01 00:05 Tue \+09:00 Asia\/Tokyo\s+aggregate-record-stats-daily\n/,
    );
    expect(code).toBe(0);
  }, 240_000);
});
