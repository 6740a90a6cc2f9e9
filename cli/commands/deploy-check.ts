import type { Command } from 'commander';
import { SERVICE_NAME } from '../../lib/schedule/job-spec.ts';
import { formatProblem } from '../../lib/schedule/load.ts';
import { CliError, loadCatalogue } from '../common.ts';
import {
  callApi,
  formatDurationBetween,
  listExecutions,
  resolveTarget,
  type SfnTarget,
  stageStateMachines,
  type TargetOptions,
  withTargetOptions,
} from '../sfn-client.ts';

/** A deployed job that the deploy would remove, with its RUNNING executions. */
export interface Removal {
  job: string;
  stateMachineArn: string;
  running: { name: string; startDate: Date | undefined }[];
}

/**
 * The stage's state machines that have no schedule file any more (the deploy deletes
 * them), each with its RUNNING executions. Deleting a state machine does not stop its
 * executions' Fargate tasks: Step Functions ends those executions at their next state
 * transition, so the task runs on unwatched (no timeout, no retry, no alert).
 */
export async function findRemovals(target: SfnTarget, jobsToDeploy: ReadonlySet<string>): Promise<Removal[]> {
  const removals: Removal[] = [];
  for (const [job, stateMachineArn] of await stageStateMachines(target)) {
    if (jobsToDeploy.has(job)) continue;
    const running = await listExecutions(target, stateMachineArn, 1000, 'RUNNING');
    removals.push({
      job,
      stateMachineArn,
      running: running.map((execution) => ({
        name: execution.name ?? execution.executionArn ?? '?',
        startDate: execution.startDate,
      })),
    });
  }
  return removals;
}

export function register(program: Command): void {
  withTargetOptions(
    program
      .command('deploy-check')
      .description(
        'Before a deploy: refuse when it would delete a state machine that has RUNNING executions',
      ),
  )
    .addHelpText(
      'after',
      `
Compares the stage's deployed state machines (sfn-batch-<stage>-<job>) with the jobs in
schedules/. A deployed job without a schedule file is deleted by the deploy; if one of its
executions is RUNNING, the check fails and names it. Wait for it to end, or stop it
("batchctl stop <execution> --stage <stage>"), then deploy again. The deploy workflow runs
this check before "osls deploy".

Examples:
  $ batchctl deploy-check --stage prod
  $ batchctl deploy-check --endpoint-url http://127.0.0.1:8083

Exit codes: 0 safe to deploy, 1 a removed job is running (or invalid schedules, API error), 2 usage.`,
    )
    .action(async (options: TargetOptions, command: Command) => {
      const catalogue = await loadCatalogue(command);
      if (catalogue.problems.length > 0) {
        // An invalid file has no job, so it would look like a removal: refuse instead.
        throw new CliError(
          `schedules/ has invalid files, so what the deploy would remove is unknown; fix them first:\n${catalogue.problems.map(formatProblem).join('\n')}`,
        );
      }
      const target = await resolveTarget(options);
      const removals = await callApi(target, () => findRemovals(target, new Set(catalogue.effective.keys())));
      const prefix = `${SERVICE_NAME}-${target.stage}-`;
      if (removals.length === 0) {
        process.stdout.write(`deploy-check: the deploy removes no state machine of ${target.description}\n`);
        return;
      }
      for (const removal of removals) {
        const state =
          removal.running.length === 0
            ? 'no running executions'
            : `${removal.running.length} RUNNING: ${removal.running
                .map(
                  (execution) =>
                    `${execution.name} (for ${formatDurationBetween(execution.startDate, undefined)})`,
                )
                .join(', ')}`;
        process.stdout.write(`deploy-check: removes ${prefix}${removal.job}: ${state}\n`);
      }
      const blocking = removals.filter((removal) => removal.running.length > 0);
      if (blocking.length > 0) {
        const stage = target.kind === 'aws' ? ` --stage ${target.stage}` : '';
        const [first] = blocking.flatMap((removal) => removal.running);
        throw new CliError(
          `refusing to deploy: it would delete ${blocking.map((removal) => `${prefix}${removal.job}`).join(', ')} while ${blocking.length === 1 ? 'it runs' : 'they run'}. Step Functions would end the execution at its next state transition and leave its Fargate task running unwatched. Wait for the run to end, or stop it (batchctl stop ${first?.name ?? '<execution>'}${stage}), then deploy again.`,
        );
      }
    });
}
