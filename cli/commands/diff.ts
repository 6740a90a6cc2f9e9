import path from 'node:path';
import type { Command } from 'commander';
import { renderCostSection } from '../../lib/cost/diff-section.ts';
import { loadPriceBook } from '../../lib/cost/prices.ts';
import { renderDiffReport } from '../../lib/schedule/diff.ts';
import { loadScheduleCatalogue, parseScheduleCatalogue } from '../../lib/schedule/load.ts';
import { resolveDataDir } from '../../local/runtime-file.ts';
import { EXIT, parseInstant, projectRoot } from '../common.ts';
import { readSchedulesAtRef, refExists } from '../git.ts';
import { DEFAULT_REGION, localObservations } from './cost.ts';

export function register(program: Command): void {
  program
    .command('diff')
    .description('Markdown report of jobs added, removed and changed against a git ref (for pull requests)')
    .option('--base <ref>', 'git ref to compare against (default: origin/main if it exists, else HEAD)')
    .option('--head <ref>', 'git ref to compare (default: the working tree)')
    .option('--after <instant>', 'compute next runs after this ISO 8601 instant instead of now')
    .option('--region <region>', 'price data for the cost section', DEFAULT_REGION)
    .addHelpText(
      'after',
      `
Compares effective values (after _defaults.yml), so a change to the defaults shows on
every job it affects. For schedule, timezone and enabled changes the report lists the
next 5 runs before and after. A base whose files do not validate is reported, not fatal.
The cost section estimates next month's cost of each changed job before and after
(see batchctl cost).

Examples:
  $ batchctl diff
  $ batchctl diff --base HEAD~1
  $ batchctl diff --base origin/main --head my-branch > schedule-diff.md

Exit codes: 0 report written, 1 report written but the head has invalid schedule files,
2 usage error (for example an unknown git ref).`,
    )
    .action(async (options: { base?: string; head?: string; after?: string }, command: Command) => {
      const root = projectRoot(command);
      const now = options.after === undefined ? new Date() : parseInstant(options.after, '--after');
      const baseRef = options.base ?? ((await refExists(root, 'origin/main')) ? 'origin/main' : 'HEAD');
      const base = await readSchedulesAtRef(root, baseRef);
      const baseCatalogue = parseScheduleCatalogue(base.files, { containers: base.containers });
      let headCatalogue: ReturnType<typeof parseScheduleCatalogue>;
      if (options.head === undefined) {
        headCatalogue = await loadScheduleCatalogue(path.join(root, 'schedules'));
      } else {
        const head = await readSchedulesAtRef(root, options.head);
        headCatalogue = parseScheduleCatalogue(head.files, { containers: head.containers });
      }
      const report = renderDiffReport(baseCatalogue, headCatalogue, {
        baseLabel: baseRef,
        headLabel: options.head ?? 'working tree',
        now,
      });
      const cost = await renderCostSection(baseCatalogue, headCatalogue, {
        now,
        book: loadPriceBook(command.opts<{ region: string }>().region),
        observed: localObservations(resolveDataDir(), 10),
      });
      process.stdout.write(`${report}\n${cost}`);
      if (headCatalogue.problems.length > 0) process.exitCode = EXIT.problem;
    });
}
