/**
 * batchctl: the project's command line. Each subcommand lives in `cli/commands/<name>.ts`
 * and exports `register(program)`; add a command with one import and one line below.
 */
import { Command, CommanderError } from 'commander';
import { register as registerCost } from './commands/cost.ts';
import { register as registerDeployCheck } from './commands/deploy-check.ts';
import { register as registerDiff } from './commands/diff.ts';
import { register as registerList } from './commands/list.ts';
import { register as registerLogs } from './commands/logs.ts';
import { register as registerNext } from './commands/next.ts';
import { register as registerPlan } from './commands/plan.ts';
import { register as registerPs } from './commands/ps.ts';
import { register as registerRedrive } from './commands/redrive.ts';
import { register as registerRun } from './commands/run.ts';
import { register as registerSeed } from './commands/seed.ts';
import { register as registerShow } from './commands/show.ts';
import { register as registerStop } from './commands/stop.ts';
import { register as registerStopTask } from './commands/stop-task.ts';
import { register as registerTasks } from './commands/tasks.ts';
import { register as registerValidate } from './commands/validate.ts';
import { CliError, EXIT, EXIT_CODES_HELP } from './common.ts';

const program = new Command('batchctl')
  .description('Inspect, validate and review the scheduled batch jobs in schedules/')
  .option(
    '-C, --root <dir>',
    'project folder that holds schedules/ (default: nearest one above the current folder)',
  )
  .showHelpAfterError('(run with --help for usage and examples)')
  .addHelpText(
    'after',
    `
Examples:
  $ batchctl validate
  $ batchctl list --lang ja
  $ batchctl next export-monthly-records -n 3
  $ batchctl show detect-temperature-excursions
  $ batchctl diff --base origin/main
  $ batchctl cost --lang ja
${EXIT_CODES_HELP}`,
  )
  // Throw instead of exiting so that usage errors can use exit code 2 (see below).
  .exitOverride();

registerValidate(program);
registerList(program);
registerNext(program);
registerShow(program);
registerDiff(program);
registerSeed(program);
registerRun(program);
registerPs(program);
registerStop(program);
registerRedrive(program);
registerLogs(program);
registerTasks(program);
registerStopTask(program);
registerCost(program);
registerPlan(program);
registerDeployCheck(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeFor(error);
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version end with exitCode 0; everything else commander throws is usage.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof CliError) {
    process.stderr.write(`batchctl: ${error.message}\n`);
    return error.exitCode;
  }
  process.stderr.write(
    `batchctl: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT.problem;
}
