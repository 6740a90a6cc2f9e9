import { readFile } from 'node:fs/promises';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import {
  checkExecutionInput,
  type ExecutionInput,
  skippedStartOf,
} from '../../lib/contracts/execution-input.ts';
import { taskInputProblem } from '../../lib/contracts/task-input-limits.ts';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import { CliError, EXIT, findJob, loadCatalogue } from '../common.ts';
import {
  formatDurationBetween,
  jobStateMachineArn,
  shownStatus,
  type TargetOptions,
  withTarget,
  withTargetOptions,
} from '../sfn-client.ts';

/** Execution names: 1-80 characters; keep to `[A-Za-z0-9_-]` so CloudWatch logging works. */
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * Checks a manual run's input with the one execution-input rule
 * (`checkExecutionInput` in lib/contracts, which the guard also enforces on every
 * start) before anything starts, and returns the execution input to send, marked
 * as a manual run. Returns every problem at once, not just the first.
 */
export function validateManualInput(
  job: JobSpec,
  value: unknown,
): { input: ExecutionInput; problems: string[] } {
  const { input, problems } = checkExecutionInput(job, value);
  // batchctl sends the instant in UTC, so the execution input reads the same in every zone.
  if (input.scheduledTime !== undefined) input.scheduledTime = new Date(input.scheduledTime).toISOString();
  return { input: { trigger: 'manual', ...input }, problems };
}

async function readInputOption(text: string | undefined): Promise<unknown> {
  if (text === undefined) return {};
  let source = text;
  let origin = '--input';
  if (text.startsWith('@')) {
    origin = text.slice(1);
    try {
      source = await readFile(origin, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read the input file ${origin}: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new CliError(`${origin} is not valid JSON (${(error as Error).message}); nothing was started`);
  }
}

/** `<job>-manual-<yyyyMMddTHHmmssZ>`: readable, sortable and unique per second. */
export function manualExecutionName(job: string, now: Date): string {
  const compact = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${job}-manual-${compact}`;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** Polls until the execution leaves RUNNING (PENDING_REDRIVE counts as running). */
export async function waitForExecution(
  send: (command: DescribeExecutionCommand) => Promise<DescribeExecutionCommandOutput>,
  executionArn: string,
  intervalMs: number,
): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const described = await send(new DescribeExecutionCommand({ executionArn }));
    if (described.status && TERMINAL.has(described.status)) return described;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** One or two lines for a finished execution: status, duration, and error/cause when it did not succeed. */
export function describeOutcome(described: DescribeExecutionCommandOutput): string {
  const lines = [
    `${described.name}: ${shownStatus(described.status, described.output)} after ${formatDurationBetween(described.startDate, described.stopDate)}`,
  ];
  const skip = described.status === 'SUCCEEDED' ? skippedStartOf(described.output) : undefined;
  if (skip) {
    // SUCCEEDED to the API: a recorded skip, not a failure.
    lines.push(`  skipped: ${skip.reason}`);
    if (skip.blockingExecutionArn) lines.push(`  blocking execution: ${skip.blockingExecutionArn}`);
  } else if (described.status !== 'SUCCEEDED') {
    if (described.error) lines.push(`  error: ${described.error}`);
    if (described.cause)
      lines.push(
        `  cause: ${described.cause.length > 600 ? `${described.cause.slice(0, 600)}…` : described.cause}`,
      );
  } else if (described.output && described.output.length <= 600) {
    lines.push(`  output: ${described.output}`);
  }
  return lines.join('\n');
}

export function register(program: Command): void {
  withTargetOptions(
    program
      .command('run')
      .description("Start a job's workflow now, with validated input")
      .argument('<job>', 'job name (the schedule file name without .yml)')
      .option('--input <json|@file>', 'execution input: {"scheduledTime"?: ISO instant, "params"?: {...}}')
      .option(
        '--name <name>',
        'execution name (default <job>-manual-<UTC time>); reusing a name is idempotent while it runs',
      )
      .option('--wait', 'wait for the end and exit non-zero unless it SUCCEEDED'),
  )
    .addHelpText(
      'after',
      `
params may override the keys a job declares under input: in its schedule file, with a
value of the same JSON type; other keys are refused before anything starts (the same
rule the workflow's first state applies to every start, from any client).
scheduledTime sets the period a run covers (e.g. which month an export writes).

Examples:
  $ batchctl run aggregate-record-stats-daily --wait
  $ batchctl run export-monthly-records --input '{"scheduledTime":"2026-11-01T00:00:00+09:00"}'
  $ batchctl run export-monthly-records --input @input.json --stage prod

Exit codes: 0 started (or SUCCEEDED with --wait), 1 bad input, API error or run did not succeed, 2 usage.`,
    )
    .action(
      async (
        name: string,
        options: TargetOptions & { input?: string; name?: string; wait?: boolean },
        command: Command,
      ) => {
        const job = findJob(await loadCatalogue(command), name);
        const { input, problems } = validateManualInput(job, await readInputOption(options.input));
        if (problems.length > 0) {
          throw new CliError(
            `input refused for ${job.name}; nothing was started:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
          );
        }
        const executionName = options.name ?? manualExecutionName(job.name, new Date());
        if (!EXECUTION_NAME.test(executionName)) {
          throw new CliError(
            `--name must be 1-80 characters of A-Z a-z 0-9 _ -, got "${executionName}"`,
            EXIT.usage,
          );
        }
        await withTarget(options, async (target) => {
          const stateMachineArn = await jobStateMachineArn(target, job.name);
          const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
          const tooLarge = taskInputProblem(job, input, executionArn);
          if (tooLarge !== undefined) {
            throw new CliError(`input refused for ${job.name}; nothing was started: ${tooLarge}`);
          }
          const started = await target.client.send(
            new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify(input) }),
          );
          process.stdout.write(`started ${executionName}\n  ${started.executionArn}\n`);
          if (!options.wait || !started.executionArn) return;
          const described = await waitForExecution(
            (describe) => target.client.send(describe),
            started.executionArn,
            target.kind === 'aws' ? 5000 : 500,
          );
          process.stdout.write(`${describeOutcome(described)}\n`);
          if (described.status !== 'SUCCEEDED') process.exitCode = EXIT.problem;
        });
      },
    );
}
