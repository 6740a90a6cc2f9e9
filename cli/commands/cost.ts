import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { type DurationInputs, estimateCatalogue } from '../../lib/cost/estimate.ts';
import { observeLocalRun, observeStageRuns } from '../../lib/cost/observed.ts';
import { loadPriceBook, PriceDataError } from '../../lib/cost/prices.ts';
import { COST_TITLE, type CostLanguage, jobRows, reportFooter } from '../../lib/cost/render.ts';
import type { JobSpec } from '../../lib/schedule/job-spec.ts';
import { resolveDataDir } from '../../local/runtime-file.ts';
import { ExecutionStore } from '../../local/store/execution-store.ts';
import {
  CliError,
  EXIT,
  loadCatalogue,
  parseCount,
  parseInstant,
  renderTable,
  reportProblemsAfterOutput,
} from '../common.ts';
import { stageStateMachines, type TargetOptions, withTarget } from '../sfn-client.ts';

/** Region the deployment defaults to (serverless.yml `provider.region`). */
export const DEFAULT_REGION = 'ap-northeast-1';

/**
 * Finished runs per job from the local execution store of `npm start`, newest first, at
 * most `samples` each. Reads only: the store is opened only when its folder exists.
 */
export function localObservations(dataDir: string, samples: number): Map<string, DurationInputs> {
  const observed = new Map<string, DurationInputs>();
  if (!existsSync(path.join(dataDir, 'sfn', 'executions'))) return observed;
  const store = new ExecutionStore(dataDir);
  const finished = store
    .all()
    .filter((record) => record.status !== 'RUNNING')
    .sort((a, b) => b.startDate.localeCompare(a.startDate));
  for (const record of finished) {
    const entry = observed.get(record.job) ?? { runs: [], source: 'local' as const };
    if (entry.runs.length >= samples) continue;
    const run = observeLocalRun(record.executionArn, record.status, store.tasks(record.executionArn));
    // A recorded skip (duplicate start) ran no task and says nothing about duration.
    if (run.taskSeconds.length === 0 && run.provisioningFailures === 0) continue;
    entry.runs.push(run);
    observed.set(record.job, entry);
  }
  return observed;
}

async function apiObservations(
  options: TargetOptions,
  jobs: readonly JobSpec[],
  samples: number,
): Promise<Map<string, DurationInputs>> {
  const source = options.stage === undefined ? 'api' : 'stage';
  const observed = new Map<string, DurationInputs>();
  await withTarget(options, async (target) => {
    const machines = await stageStateMachines(target);
    for (const job of jobs) {
      const arn = machines.get(job.name);
      if (arn === undefined) continue;
      observed.set(job.name, { runs: await observeStageRuns(target.client, arn, samples), source });
    }
  });
  return observed;
}

export function register(program: Command): void {
  program
    .command('cost')
    .description('Estimated monthly AWS cost of each job and of the catalogue, against an always-on host')
    .addOption(new Option('--lang <lang>', 'language of the report').choices(['en', 'ja']).default('en'))
    .option('--json', 'print JSON instead of a table')
    .option('--region <region>', `price data to use (lib/cost/prices/<region>.json)`, DEFAULT_REGION)
    .option(
      '--stage <name>',
      'take durations from the last runs of this deployed stage (AWS credentials needed)',
    )
    .option('--endpoint-url <url>', 'take durations from the executions of this Step Functions endpoint')
    .option('--samples <n>', 'runs per job to take the median of', '10')
    .option(
      '--instance <type>',
      'EC2 instance type of the always-on baseline (default: the cheapest priced one that fits the peak)',
    )
    .option(
      '--after <instant>',
      'estimate the calendar month after this ISO 8601 instant instead of next month',
    )
    .addHelpText(
      'after',
      `
Runs per month are the real fire times of the next calendar month in each job's zone.
Task durations are the median of the job's last runs: from the local execution store of
"npm start" (SFN_BATCH_DATA_DIR, default .data), with --stage from the deployed
executions, or with --endpoint-url from that API (e.g. a running npm start). A job with no observed run uses its declared expectedDuration (an
assumption), else the 1-minute Fargate minimum; the table says which. Free tiers are
listed separately and never taken off the total. Prices not confirmed are marked.

Examples:
  $ batchctl cost
  $ batchctl cost --lang ja
  $ batchctl cost --region us-east-1 --instance t3.large
  $ batchctl cost --stage prod --samples 20
  $ batchctl cost --json | jq '.totals.total'

Exit codes: 0 ok, 1 problems in schedule files (valid jobs are still estimated), 2 usage error.`,
    )
    .action(
      async (
        options: {
          lang: CostLanguage;
          json?: boolean;
          region: string;
          stage?: string;
          endpointUrl?: string;
          samples: string;
          instance?: string;
          after?: string;
        },
        command: Command,
      ) => {
        const catalogue = await loadCatalogue(command);
        const now = options.after === undefined ? new Date() : parseInstant(options.after, '--after');
        const samples = parseCount(options.samples, '--samples', 1000);
        let book: ReturnType<typeof loadPriceBook>;
        try {
          book = loadPriceBook(options.region);
        } catch (error) {
          if (error instanceof PriceDataError) throw new CliError(error.message, EXIT.usage);
          throw error;
        }
        const observed =
          options.stage === undefined && options.endpointUrl === undefined
            ? localObservations(resolveDataDir(), samples)
            : await apiObservations(
                { stage: options.stage, endpointUrl: options.endpointUrl },
                catalogue.jobs,
                samples,
              );
        let estimate: Awaited<ReturnType<typeof estimateCatalogue>>;
        try {
          estimate = await estimateCatalogue(catalogue.jobs, {
            now,
            book,
            observed,
            instanceType: options.instance,
          });
        } catch (error) {
          if (error instanceof RangeError) throw new CliError(`--instance: ${error.message}`, EXIT.usage);
          throw error;
        }
        if (options.json) {
          process.stdout.write(`${JSON.stringify(estimate, null, 2)}\n`);
        } else {
          const rows = jobRows(estimate, options.lang);
          const [header = [], ...body] = rows;
          process.stdout.write(
            `${COST_TITLE(estimate, options.lang)}\n\n${renderTable(header, body)}\n${reportFooter(estimate, options.lang).join('\n')}\n`,
          );
        }
        reportProblemsAfterOutput(catalogue);
      },
    );
}
