import { type Command, Option } from 'commander';
import { formatProblem, type ScheduleProblem } from '../../lib/schedule/load.ts';
import { CliError, EXIT, loadCatalogue } from '../common.ts';

type OutputFormat = 'text' | 'github' | 'json';

export function register(program: Command): void {
  program
    .command('validate')
    .description('Check every schedule file and report all problems at once, with file:line:column')
    .addOption(
      new Option('--format <format>', 'text, github (workflow-command annotations on the PR diff) or json')
        .choices(['text', 'github', 'json'])
        .default('text'),
    )
    .addHelpText(
      'after',
      `
Checks each schedules/<job>.yml merged over schedules/_defaults.yml: YAML syntax, unknown
keys, types, the cron()/rate()/at() expression (AWS rules), the IANA time zone, Fargate
cpu/memory combinations, job name rules, the export block and the container.

Examples:
  $ batchctl validate
  $ batchctl validate --root path/to/other/checkout
  $ batchctl validate --format github     # in GitHub Actions: annotate the offending lines

Exit codes: 0 all files valid, 1 problems found (listed on stderr, or on stdout with
--format github/json), 2 usage error.`,
    )
    .action(async (options: { format: OutputFormat }, command: Command) => {
      const { problems, jobs } = await loadCatalogue(command);
      const files = new Set(problems.map((problem) => problem.file)).size;
      const summary = `${plural(problems.length, 'problem')} in ${plural(files, 'file')}; ${plural(jobs.length, 'valid job')}.`;
      if (options.format === 'json') {
        process.stdout.write(
          `${JSON.stringify({ valid: problems.length === 0, jobs: jobs.length, problems }, null, 2)}\n`,
        );
        if (problems.length > 0) process.exitCode = EXIT.problem;
        return;
      }
      if (problems.length === 0) {
        process.stdout.write(`OK: ${jobs.length} jobs valid.\n`);
        return;
      }
      if (options.format === 'github') process.stdout.write(`${problems.map(githubAnnotation).join('\n')}\n`);
      else process.stderr.write(`${problems.map(formatProblem).join('\n')}\n\n`);
      throw new CliError(summary, EXIT.problem);
    });
}

/** A GitHub Actions `::error` workflow command, which shows the problem on the file's line in the PR. */
export function githubAnnotation(problem: ScheduleProblem): string {
  const property = (text: string) => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const example = problem.example === undefined ? '' : `. Example: ${problem.example}`;
  return `::error file=${property(problem.file)},line=${problem.line},col=${problem.column},title=${property(
    `schedule ${problem.field}`,
  )}::${escapeData(`${problem.message}${example}`)}`;
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
