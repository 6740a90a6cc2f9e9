import { type Command, Option } from 'commander';
import {
  type PlanModel,
  type PlanSetting,
  planSettings,
  type SettingResult,
  type StartLatency,
  smallestMeetingDeadline,
  syntheticTargets,
} from '../../lib/cost/planner.ts';
import { loadPriceBook, PriceDataError } from '../../lib/cost/prices.ts';
import { formatSeconds, formatUsd } from '../../lib/cost/render.ts';
import { conversionRate, loadThroughput, ThroughputDataError } from '../../lib/cost/throughput.ts';
import { transitionCounts } from '../../lib/cost/transitions.ts';
import { parseDuration } from '../../lib/schedule/duration.ts';
import { upcomingRuns } from '../../lib/schedule/runs.ts';
import { MAX_EXPORT_CONCURRENCY } from '../../lib/schedule/schema.ts';
import { CliError, EXIT, findJob, loadCatalogue, renderTable } from '../common.ts';
import { DEFAULT_REGION } from './cost.ts';

/**
 * Fargate start latency when nothing better is given. No AWS page states a p50/p90, so
 * these are stated assumptions bracketed by what is documented; see README "Planning the
 * month-start export".
 */
export const FARGATE_START_LATENCY: StartLatency = {
  p50Seconds: 30,
  p90Seconds: 60,
  source:
    'assumption: awsvpc ENI attach adds "several seconds" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-recommendations.html), ' +
    'image pull time drives start time with no cache on Fargate (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-pull-behavior.html), ' +
    '55 s run-task-to-ready measured for a 2.7 GB image (https://drorspei.com/2026/01/23/my-fargate-startup-is-slow-an-investigation-into-docker-layer-optimization); our image is far smaller',
};
/** Share of Fargate starts that fail to provision when nothing was observed: an assumption, shown as such. */
export const ASSUMED_PROVISIONING_FAILURE_RATE = 0.01;

function parseList(text: string, option: string, min: number, max: number): number[] {
  const values = text.split(',').map((part) => Number(part.trim()));
  if (values.length === 0 || values.some((value) => !Number.isInteger(value) || value < min || value > max)) {
    throw new CliError(
      `${option} must be a comma list of whole numbers from ${min} to ${max}, got "${text}"`,
      EXIT.usage,
    );
  }
  return [...new Set(values)].sort((a, b) => a - b);
}

function parseNumber(text: string, option: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new CliError(`${option} must be a number from ${min} to ${max}, got "${text}"`, EXIT.usage);
  }
  return value;
}

const TEXT = {
  en: {
    header: [
      'maxConcurrency',
      'recordsPerBatch',
      'batches',
      'largest batch',
      'makespan p50',
      'makespan p90',
      'cost per run',
    ],
    meets: (deadline: string, result: SettingResult) =>
      `Smallest setting meeting ${deadline} (p90): maxConcurrency ${result.maxConcurrency}, recordsPerBatch ${result.recordsPerBatch} → p90 ${formatSeconds(result.makespanP90)}, ${formatUsd(result.costPerRun)} per run.`,
    none: (deadline: string) =>
      `No setting meets ${deadline} at p90; try more concurrency, smaller batches, or a faster database.`,
  },
  ja: {
    header: [
      'maxConcurrency',
      'recordsPerBatch',
      'バッチ数',
      '最大バッチ',
      '所要時間 p50',
      '所要時間 p90',
      '1 回あたりの費用',
    ],
    meets: (deadline: string, result: SettingResult) =>
      `${deadline} (p90) を満たす最小の設定: maxConcurrency ${result.maxConcurrency}、recordsPerBatch ${result.recordsPerBatch} → p90 ${formatSeconds(result.makespanP90)}、1 回 ${formatUsd(result.costPerRun)}。`,
    none: (deadline: string) =>
      `p90 で ${deadline} を満たす設定はありません。同時実行数を増やすか、バッチを小さくするか、データベースを速くしてください。`,
  },
} as const;

export function register(program: Command): void {
  program
    .command('plan')
    .argument('<export-job>', 'an xlsx-export job, e.g. export-monthly-records')
    .description(
      'Month-start planner: makespan (p50/p90) and cost of an export for each maxConcurrency and recordsPerBatch',
    )
    .option('--records <n>', 'total records to export (with --targets: spread over that many targets)')
    .option(
      '--targets <n>',
      'number of export targets (workspace × template) for --records or --single-process-minutes',
      '200',
    )
    .option(
      '--single-process-minutes <m>',
      'data size as the minutes one converter process needs for it (e.g. 127)',
    )
    .option('--concurrency <list>', 'maxConcurrency values to try', '1,2,4,8,16,24,32,40')
    .option(
      '--records-per-batch <list>',
      "recordsPerBatch values to try (default: 50000,100000,200000,500000 and the job's own)",
    )
    .option('--deadline <duration>', 'show the smallest setting whose p90 makespan meets this, e.g. 30m')
    .option(
      '--local',
      'plan for this machine (npm start): local start latency and the PGlite rate from the bench, no provisioning failures',
    )
    .option('--start-p50 <seconds>', 'Fargate task start latency, median')
    .option('--start-p90 <seconds>', 'Fargate task start latency, 90th percentile')
    .option(
      '--provisioning-failure-rate <rate>',
      `share of task starts that fail to provision (default ${ASSUMED_PROVISIONING_FAILURE_RATE}, 0 with --local)`,
    )
    .option(
      '--db-rows-per-second <n>',
      'read throughput of the records database shared by all converter tasks (default: not capped; --local: the bench rate)',
    )
    .option('--region <region>', 'price data', DEFAULT_REGION)
    .option('--replications <n>', 'simulated runs per setting', '200')
    .option('--seed <n>', 'simulation seed', '1')
    .option('--after <instant>', '"as in the database": plan the run after this instant (default now)')
    .option('--json', 'print JSON')
    .addOption(new Option('--lang <lang>', 'language').choices(['en', 'ja']).default('en'))
    .addHelpText(
      'after',
      `
Without --records or --single-process-minutes the targets are counted in the records
database as the job's next run would find them (DATABASE_URL, else the PGlite of
SFN_BATCH_DATA_DIR; stop npm start first, it holds that database).

The batches come from the enqueue Lambda's packing code; each task converts at the rate
"npm run bench -- --record" recorded in lib/cost/converter-throughput.json. Makespan is from the Map's
first iteration to its last; p50/p90 over --replications seeded simulations.

Examples:
  $ batchctl plan export-monthly-records --single-process-minutes 127 --deadline 30m
  $ batchctl plan export-monthly-records --records 5000000 --targets 300 --db-rows-per-second 60000
  $ batchctl plan export-monthly-records --local --concurrency 1,2,4
  $ batchctl plan export-monthly-records --json | jq '.results[0]'`,
    )
    .action(
      async (jobName: string, options: Record<string, string | boolean | undefined>, command: Command) => {
        const catalogue = await loadCatalogue(command);
        const job = findJob(catalogue, jobName);
        if (job.export === undefined) {
          throw new CliError(
            `${job.name} is not an xlsx-export job (workflow: ${job.workflow}); plan works on export jobs`,
            EXIT.usage,
          );
        }
        const lang = options.lang === 'ja' ? 'ja' : 'en';
        const local = options.local === true;
        let throughput: ReturnType<typeof loadThroughput>;
        let book: ReturnType<typeof loadPriceBook>;
        try {
          throughput = loadThroughput();
          book = loadPriceBook(String(options.region));
        } catch (error) {
          if (error instanceof ThroughputDataError || error instanceof PriceDataError)
            throw new CliError(error.message, EXIT.usage);
          throw error;
        }
        const rate = conversionRate(throughput, local ? 'local' : 'aws');
        // The converter is one Node process: a task gets at most one vCPU's worth of it.
        const taskRowsPerSecond = rate.rowsPerSecond * Math.min(1, job.size.cpu / 1024);
        const startLatency: StartLatency = local
          ? {
              p50Seconds: throughput.localStartSeconds.p50Seconds,
              p90Seconds: throughput.localStartSeconds.p90Seconds,
              source: `measured here by npm run bench (${throughput.measuredAt}): converter process start`,
            }
          : { ...FARGATE_START_LATENCY };
        if (options.startP50 !== undefined)
          startLatency.p50Seconds = parseNumber(String(options.startP50), '--start-p50', 0, 3600);
        if (options.startP90 !== undefined)
          startLatency.p90Seconds = parseNumber(String(options.startP90), '--start-p90', 0, 3600);
        if (options.startP50 !== undefined || options.startP90 !== undefined)
          startLatency.source = 'given on the command line';
        // On 2 cores the converter and the PGlite server already use both (docs/benchmarks.md), so locally the
        // end-to-end rate is also the whole machine's rate.
        const databaseRowsPerSecond =
          options.dbRowsPerSecond !== undefined
            ? parseNumber(String(options.dbRowsPerSecond), '--db-rows-per-second', 1, 1e9)
            : local
              ? rate.rowsPerSecond
              : Number.POSITIVE_INFINITY;
        const model: PlanModel = {
          taskRowsPerSecond,
          databaseRowsPerSecond,
          startLatency,
          provisioningFailureRate:
            options.provisioningFailureRate !== undefined
              ? parseNumber(String(options.provisioningFailureRate), '--provisioning-failure-rate', 0, 0.99)
              : local
                ? 0
                : ASSUMED_PROVISIONING_FAILURE_RATE,
          replications: parseNumber(String(options.replications), '--replications', 1, 100_000),
          seed: parseNumber(String(options.seed), '--seed', 0, 2 ** 31),
        };

        let targets: Array<{ recordCount: number }>;
        let sizeSource: string;
        const targetCount = parseNumber(String(options.targets), '--targets', 1, 100_000);
        if (options.records !== undefined) {
          const records = parseNumber(String(options.records), '--records', 1, 1e11);
          targets = syntheticTargets(Math.round(records), targetCount);
          sizeSource = `--records ${records} over ${targetCount} targets (skewed sizes, fixed seed)`;
        } else if (options.singleProcessMinutes !== undefined) {
          const minutes = parseNumber(
            String(options.singleProcessMinutes),
            '--single-process-minutes',
            1,
            100_000,
          );
          const records = Math.round(minutes * 60 * taskRowsPerSecond);
          targets = syntheticTargets(records, targetCount);
          sizeSource = `${minutes} min in one process at ${Math.round(taskRowsPerSecond)} rows/s = ${records} records over ${targetCount} targets`;
        } else {
          const after = options.after === undefined ? new Date() : new Date(String(options.after));
          const scheduled = upcomingRuns(job, after, 1)[0];
          if (scheduled === undefined) throw new CliError(`${job.name} has no upcoming run to plan for`);
          // The database driver is loaded only for the "as in the database" case.
          const { databaseConfigFromEnv, openDatabase } = await import('../../lib/db/index.ts');
          const { targetsInDatabase } = await import('../../lib/cost/database-targets.ts');
          const db = await openDatabase(databaseConfigFromEnv(process.env));
          try {
            const counted = await targetsInDatabase(db, job.export, scheduled, job.timezone);
            targets = counted.targets;
            sizeSource = `as in the database: ${targets.length} targets, ${targets.reduce((sum, t) => sum + t.recordCount, 0)} records for period ${counted.period}`;
          } finally {
            await db.close();
          }
        }

        const concurrency = parseList(
          String(options.concurrency),
          '--concurrency',
          1,
          MAX_EXPORT_CONCURRENCY,
        );
        const batchSizes =
          options.recordsPerBatch !== undefined
            ? parseList(String(options.recordsPerBatch), '--records-per-batch', 1, 10_000_000)
            : [...new Set([50_000, 100_000, 200_000, 500_000, job.export.recordsPerBatch])].sort(
                (a, b) => a - b,
              );
        const settings: PlanSetting[] = concurrency.flatMap((maxConcurrency) =>
          batchSizes.map((recordsPerBatch) => ({ maxConcurrency, recordsPerBatch })),
        );
        const results = planSettings({
          job,
          targets,
          settings,
          model,
          book,
          transitions: await transitionCounts(job),
        });
        let deadlineSeconds: number | undefined;
        if (options.deadline !== undefined) {
          deadlineSeconds = parseDuration(String(options.deadline));
          if (deadlineSeconds === undefined) {
            throw new CliError(
              `--deadline must be a duration such as 30m or 1h30m, got "${options.deadline}"`,
              EXIT.usage,
            );
          }
        }
        const best =
          deadlineSeconds === undefined ? undefined : smallestMeetingDeadline(results, deadlineSeconds);
        const modelText = {
          job: job.name,
          size: sizeSource,
          taskRate: `${Math.round(taskRowsPerSecond)} rows/s per task (${rate.case}, npm run bench ${throughput.measuredAt} on ${throughput.machine}, load ${throughput.loadAverage.before.toFixed(1)})`,
          database: Number.isFinite(databaseRowsPerSecond)
            ? `${Math.round(databaseRowsPerSecond)} rows/s shared`
            : 'not capped (pass --db-rows-per-second)',
          startLatency: `p50 ${startLatency.p50Seconds.toFixed(1)} s, p90 ${startLatency.p90Seconds.toFixed(1)} s; ${startLatency.source}`,
          provisioning: `${model.provisioningFailureRate} of starts fail${local || options.provisioningFailureRate !== undefined ? '' : ' (assumption)'}; retried ${job.retry.maxAttempts - 1} times (waits from ${job.sourceFile})`,
          prices: `${book.region}, ${job.size.cpu} CPU / ${job.size.memory} MiB${job.spot ? ', Spot' : ''}`,
        };
        if (options.json === true) {
          process.stdout.write(
            `${JSON.stringify({ model: modelText, deadlineSeconds, best, results }, null, 2)}\n`,
          );
          return;
        }
        const t = TEXT[lang];
        const rows = results.map((result) => [
          String(result.maxConcurrency),
          String(result.recordsPerBatch),
          String(result.batches),
          String(result.largestBatch),
          formatSeconds(result.makespanP50),
          formatSeconds(result.makespanP90),
          formatUsd(result.costPerRun),
        ]);
        const lines = [
          ...Object.entries(modelText).map(([key, value]) => `${key}: ${value}`),
          '',
          renderTable([...t.header], rows),
        ];
        if (options.deadline !== undefined) {
          lines.push('', best ? t.meets(String(options.deadline), best) : t.none(String(options.deadline)));
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      },
    );
}
