import type { Command } from 'commander';
import { formatProblem } from '../../lib/schedule/load.ts';
import { CliError, EXIT, loadCatalogue } from '../common.ts';

export function register(program: Command): void {
  program
    .command('validate')
    .description('Check every schedule file and report all problems at once, with file:line:column')
    .addHelpText(
      'after',
      `
Checks each schedules/<job>.yml merged over schedules/_defaults.yml: YAML syntax, unknown
keys, types, the cron()/rate()/at() expression (AWS rules), the IANA time zone, Fargate
cpu/memory combinations, job name rules, the export block and the container.

Examples:
  $ batchctl validate
  $ batchctl validate --root path/to/other/checkout

Exit codes: 0 all files valid, 1 problems found (listed on stderr), 2 usage error.`,
    )
    .action(async (_options: unknown, command: Command) => {
      const catalogue = await loadCatalogue(command);
      const { problems, jobs } = catalogue;
      if (problems.length > 0) {
        const files = new Set(problems.map((problem) => problem.file)).size;
        process.stderr.write(`${problems.map(formatProblem).join('\n')}\n\n`);
        throw new CliError(
          `${plural(problems.length, 'problem')} in ${plural(files, 'file')}; ${plural(jobs.length, 'valid job')}.`,
          EXIT.problem,
        );
      }
      process.stdout.write(`OK: ${catalogue.jobs.length} jobs valid.\n`);
    });
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
