import { type Command, Option } from 'commander';
import { formatProblem, type ScheduleProblem } from '../../lib/schedule/load.ts';
import { EXIT, loadCatalogue, parseInstant } from '../common.ts';

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
    .option(
      '--now <iso>',
      'judge "in the past" (a one-off at() that has run) against this instant, not the clock',
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
  $ batchctl validate --now 2027-01-01T00:00:00Z   # as it will report on that day

The report goes to stdout in every format (batchctl validate > report.txt keeps it).
Warnings (such as a one-off at() whose time has passed) are listed but do not fail: such a
job has run (or was missed) and stays valid until its file is removed.

Exit codes: 0 all files valid (warnings allowed), 1 problems found, 2 usage error.`,
    )
    .action(async (options: { format: OutputFormat; now?: string }, command: Command) => {
      const now = options.now === undefined ? undefined : parseInstant(options.now, '--now');
      const { problems, warnings, jobs } = await loadCatalogue(command, now);
      const files = new Set(problems.map((problem) => problem.file)).size;
      const warningNote = warnings.length > 0 ? `, ${plural(warnings.length, 'warning')}` : '';
      const summary = `${plural(problems.length, 'problem')} in ${plural(files, 'file')}${warningNote}; ${plural(jobs.length, 'valid job')}.`;
      if (problems.length > 0) process.exitCode = EXIT.problem;
      if (options.format === 'json') {
        process.stdout.write(
          `${JSON.stringify({ valid: problems.length === 0, jobs: jobs.length, problems, warnings }, null, 2)}\n`,
        );
        return;
      }
      if (options.format === 'github') {
        const annotations = [...problems, ...warnings].map(githubAnnotation);
        if (annotations.length > 0) process.stdout.write(`${annotations.join('\n')}\n`);
        if (problems.length === 0) process.stdout.write(`OK: ${jobs.length} jobs valid${warningNote}.\n`);
        return;
      }
      // The report goes to stdout, so `batchctl validate > report.txt` keeps it; the exit code tells failure.
      const report = [...problems, ...warnings].map(formatProblem);
      if (problems.length === 0)
        report.push(`${report.length > 0 ? '\n' : ''}OK: ${jobs.length} jobs valid${warningNote}.`);
      else report.push('', summary);
      process.stdout.write(`${report.join('\n')}\n`);
    });
}

/** A GitHub Actions `::error` (or `::warning`) workflow command, which shows the problem on the file's line in the PR. */
export function githubAnnotation(problem: ScheduleProblem): string {
  const property = (text: string) => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const example = problem.example === undefined ? '' : `. Example: ${problem.example}`;
  return `::${problem.severity === 'warning' ? 'warning' : 'error'} file=${property(problem.file)},line=${problem.line},col=${problem.column},title=${property(
    `schedule ${problem.field}`,
  )}::${escapeData(`${problem.message}${example}`)}`;
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
