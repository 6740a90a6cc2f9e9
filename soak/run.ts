/**
 * `npm run soak`: runs every reliability scenario in soak/scenarios/ (each module default-exports
 * a Scenario, soak/scenario.ts) at full size, one after the other, prints their progress lines
 * and then one summary table, and exits 1 if any failed. The folder is read at start, so a new
 * scenario file is picked up without editing this runner.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { renderTable } from '../cli/common.ts';
import type { Scenario, ScenarioResult, ScenarioSize } from './scenario.ts';

const SCENARIOS_DIR = path.join(import.meta.dirname, 'scenarios');

export const USAGE = `Usage: npm run soak -- [options]

Runs the long reliability scenarios of soak/scenarios/ (docs/reliability.md) against real
npm start processes, then prints a summary table. Exit code 1 if any scenario failed.

Options:
  --only <name,...>   run only these scenarios (file names without .ts, e.g. month-start-burst)
  --quick             run at the quick size that npm test uses (minutes instead of hours)
  --help              show this help

Environment (month-in-minutes, full size only):
  MONTH_IN_MINUTES_DAYS=<2-31>      only the first days of the month window
  MONTH_IN_MINUTES_SPEED=<x>        clock speed instead of 2000x
  MONTH_IN_MINUTES_HEAP_DIR=<dir>   heap snapshots of npm start after day 1 and once every
                                    execution ended (compare: node soak/heap-diff.ts a b)`;

/** The scenario files, by name (file name without `.ts`), in name order. */
export function scenarioNames(dir = SCENARIOS_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.endsWith('.test.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
}

/** Loads a scenario module and checks that it default-exports a function. */
async function loadScenario(name: string, dir: string): Promise<Scenario> {
  const module = (await import(pathToFileURL(path.join(dir, `${name}.ts`)).href)) as { default?: unknown };
  if (typeof module.default !== 'function') {
    throw new Error(
      `soak/scenarios/${name}.ts must default-export a Scenario function (see soak/scenario.ts)`,
    );
  }
  return module.default as Scenario;
}

const formatFigures = (figures: ScenarioResult['figures']) =>
  Object.entries(figures)
    .map(([key, value]) => `${key}: ${typeof value === 'number' ? value.toLocaleString('en-US') : value}`)
    .join('; ');

/** The summary table: one row per scenario, then one row per failure under it. */
export function summaryTable(results: Array<ScenarioResult & { seconds: number }>): string {
  const rows: string[][] = [];
  for (const result of results) {
    rows.push([
      result.scenario,
      result.passed ? 'yes' : 'NO',
      `${Math.round(result.seconds)} s`,
      formatFigures(result.figures),
      result.failures.length === 0 ? '-' : String(result.failures.length),
    ]);
    for (const failure of result.failures) rows.push(['', '', '', `  failed: ${failure}`, '']);
  }
  return renderTable(['scenario', 'passed', 'time', 'figures', 'failures'], rows);
}

/** Runs the chosen scenarios in order; one that throws counts as failed with its error. */
export async function runSoak(options: {
  names: string[];
  size: ScenarioSize;
  dir?: string;
  out: (line: string) => void;
}): Promise<Array<ScenarioResult & { seconds: number }>> {
  const dir = options.dir ?? SCENARIOS_DIR;
  const results: Array<ScenarioResult & { seconds: number }> = [];
  for (const name of options.names) {
    const started = Date.now();
    const seconds = () => (Date.now() - started) / 1000;
    options.out(`[${name}] starting at ${options.size} size`);
    try {
      const scenario = await loadScenario(name, dir);
      const result = await scenario({
        size: options.size,
        log: (line) => options.out(`[${name}] ${line}`),
      });
      results.push({ ...result, seconds: seconds() });
      options.out(`[${name}] ${result.passed ? 'passed' : 'FAILED'} in ${Math.round(seconds())} s`);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      options.out(`[${name}] threw: ${message}`);
      results.push({
        scenario: name,
        passed: false,
        figures: {},
        failures: [`threw ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`],
        seconds: seconds(),
      });
    }
  }
  return results;
}

async function main(argv: string[]): Promise<number> {
  let values: { only?: string; quick?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        only: { type: 'string' },
        quick: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`npm run soak: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n\nScenarios: ${scenarioNames().join(', ')}\n`);
    return 0;
  }
  const available = scenarioNames();
  let names = available;
  if (values.only !== undefined) {
    names = values.only
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const unknown = names.filter((name) => !available.includes(name));
    if (names.length === 0 || unknown.length > 0) {
      process.stderr.write(
        `npm run soak: --only ${names.length === 0 ? 'needs scenario names' : `names unknown scenarios: ${unknown.join(', ')}`}; the scenarios are ${available.join(', ')}\n`,
      );
      return 2;
    }
  }
  const out = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${line}\n`);
  const results = await runSoak({ names, size: values.quick ? 'quick' : 'full', out });
  process.stdout.write(`\n${summaryTable(results)}\n`);
  const failed = results.filter((result) => !result.passed).length;
  process.stdout.write(
    `\n${results.length - failed} of ${results.length} scenarios passed${values.quick ? ' (quick size)' : ''}\n`,
  );
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
