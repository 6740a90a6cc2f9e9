import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { type CaseResult, format, runChild } from './run-child.ts';

// The suites load lazily (the engine's pulls in the AWS SDK and the local runtime), so a
// usage error answers at once.

/*
 * `npm run bench` runs every suite; `--suite converter,zip,engine,rate,makespan,scheduler-precision` picks some.
 * `--quick`: small sizes and few runs (a couple of minutes; the numbers are only a smoke test).
 *
 * converter: `[--rows 100000] [--exceljs-sizes 25000,50000,100000] [--e2e]`,
 *   `--e2e-only pglite-wire[,pglite,postgres]` (converter alone + those e2e cases only; alone it
 *   implies --suite converter). Each case runs in a fresh child process (bench/child.ts) so its
 *   peak RSS is its own. Cases: the converter alone, baseline (a) exceljs as its README shows at
 *   the largest size it survives (tried in increasing sizes under a heap and time cap), baseline
 *   (b) the zip+zlib lower bound, the deflate-only floor (no zip container), exceljs's streaming
 *   writer with styles (why the converter does not use it), and end to end from the database when
 *   --e2e is given (PGlite in process, PGlite served over the wire from another process as
 *   `npm start` runs it, and PostgreSQL when DATABASE_URL is set).
 *   `--record [file]` writes the rates for `batchctl plan` (default lib/cost/converter-throughput.json).
 * zip: bench/zip-suite.ts (`--zip-rounds`), at --rows.
 * engine: bench/engine.ts overhead, StartExecution → SUCCEEDED of a 1 s job vs the direct spawn (`--engine-runs`).
 * rate: bench/engine.ts trivial executions per minute with N starters (`--starters 1,4`, `--rate-seconds`).
 * makespan: bench/makespan.ts, the monthly export end to end at Map MaxConcurrency 1 vs 2 (PostgreSQL
 *   when DATABASE_URL is set, and PGlite over the wire).
 * scheduler-precision: bench/scheduler-precision.ts, the lateness of npm start's scheduled starts.
 */

const SUITES = ['converter', 'zip', 'engine', 'rate', 'makespan', 'scheduler-precision'];
const THROUGHPUT_RECORD = join(import.meta.dirname, '..', 'lib', 'cost', 'converter-throughput.json');
// `--record` takes an optional file: alone (or before another flag) it means the planner's record.
const argv = process.argv.slice(2);
const recordAt = argv.indexOf('--record');
if (recordAt >= 0 && (argv[recordAt + 1] === undefined || argv[recordAt + 1]?.startsWith('--'))) {
  argv.splice(recordAt, 1, `--record=${THROUGHPUT_RECORD}`);
}
const { values } = parseArgs({
  args: argv,
  options: {
    suite: { type: 'string' },
    quick: { type: 'boolean', default: false },
    rows: { type: 'string' },
    'exceljs-sizes': { type: 'string' },
    'exceljs-heap-mib': { type: 'string', default: '4096' },
    'exceljs-timeout-s': { type: 'string', default: '300' },
    'skip-exceljs-stream': { type: 'boolean', default: false },
    e2e: { type: 'boolean', default: false },
    'e2e-only': { type: 'string' },
    'zip-rounds': { type: 'string' },
    'engine-runs': { type: 'string' },
    'rate-seconds': { type: 'string' },
    starters: { type: 'string' },
    // Opt-in: a run records the converter rates for the month-start planner (batchctl plan)
    // only when asked, so an ordinary run leaves the committed record alone.
    record: { type: 'string' },
    // Kept so older command lines still work; not recording is now the default.
    'no-record': { type: 'boolean', default: false },
  },
});
const usageError = (message: string): never => {
  console.error(message);
  process.exit(2);
};
const quick = values.quick;
const suites = new Set(
  (values.suite ?? (values['e2e-only'] ? 'converter' : SUITES.join(','))).split(',').filter((name) => name),
);
for (const name of suites) {
  if (!SUITES.includes(name))
    usageError(`--suite: unknown suite "${name}"; use a comma list of ${SUITES.join(', ')}`);
}
const positiveInteger = (flag: string, text: string | undefined, fallback: number): number => {
  const value = Number(text ?? fallback);
  if (!Number.isInteger(value) || value <= 0)
    usageError(`--${flag} must be a positive integer, got "${text}"`);
  return value;
};
const recordFile = values['no-record'] ? undefined : values.record;
if (recordFile !== undefined && !suites.has('converter')) {
  usageError('--record writes the converter rates: run it with the converter suite (--suite converter)');
}
const e2eCaseNames = ['pglite', 'pglite-wire', 'postgres'];
const e2eOnly = values['e2e-only']?.split(',').filter((name) => name !== '');
for (const name of e2eOnly ?? []) {
  if (!e2eCaseNames.includes(name)) {
    console.error(`--e2e-only: unknown case "${name}"; use a comma list of ${e2eCaseNames.join(', ')}`);
    process.exit(2);
  }
}
if (e2eOnly?.includes('postgres') && !process.env.DATABASE_URL) {
  console.error('--e2e-only postgres needs DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');
  process.exit(2);
}
const rows = positiveInteger('rows', values.rows, quick ? 20_000 : 1_000_000);
const zipRounds = positiveInteger('zip-rounds', values['zip-rounds'], quick ? 1 : 3);
const engineRuns = positiveInteger('engine-runs', values['engine-runs'], quick ? 3 : 10);
const rateSeconds = positiveInteger('rate-seconds', values['rate-seconds'], quick ? 5 : 30);
const starters = (values.starters ?? (quick ? '1,2' : '1,4'))
  .split(',')
  .map((text) => positiveInteger('starters', text, 1));

const workDir = mkdtempSync(join(tmpdir(), 'sfn-batch-bench-'));
const node = process.execPath;
const log = (line: string) => process.stderr.write(`${line}\n`);

async function benchCase(
  name: string,
  caseRows: number,
  nodeArgs: string[] = [],
): Promise<CaseResult | { failed: string }> {
  const output = join(workDir, `${name}.xlsx`);
  process.stderr.write(`running ${name} ${nodeArgs.join(' ')} (${caseRows.toLocaleString('en')} rows)...\n`);
  const result = await runChild(join(import.meta.dirname, 'child.ts'), [name, String(caseRows), output], {
    nodeArgs,
  });
  rmSync(output, { force: true });
  return result;
}

const notes: string[] = [];
const sections: string[] = [];
const started = new Date();
const loadBefore = loadavg();

/** The converter and its baselines (and the end-to-end cases); the record for batchctl plan. */
async function converterSuite(): Promise<void> {
  const results: Record<string, CaseResult> = {};
  const converterNotes: string[] = [];

  for (const name of e2eOnly ? ['converter'] : ['deflate-only', 'lower-bound', 'converter']) {
    const result = await benchCase(name, rows);
    if ('failed' in result) throw new Error(`${name} failed: ${result.failed}`);
    results[name] = result;
  }
  // --quick leaves it out: a smoke test of the scripts, not of V8's flags.
  if (!e2eOnly && !quick) {
    // V8 sizes the young generation for throughput; 8 MiB semi-spaces keep the same
    // speed with less RSS (the converter's live heap is ~11 MiB). Containers set it
    // through NODE_OPTIONS.
    const result = await benchCase('converter', rows, ['--max-semi-space-size=8']);
    if ('failed' in result)
      converterNotes.push(`converter with --max-semi-space-size=8 failed: ${result.failed}`);
    else results['converter-semi-8'] = result;
  }
  if (!values['skip-exceljs-stream'] && !e2eOnly) {
    const streamRows = Math.min(rows, 200_000);
    const result = await benchCase('exceljs-stream-styled', streamRows);
    if ('failed' in result)
      converterNotes.push(`exceljs streaming (styled) failed at ${streamRows}: ${result.failed}`);
    else results['exceljs-stream-styled'] = result;
  }

  const sizes = (e2eOnly ? '' : (values['exceljs-sizes'] ?? (quick ? '5000' : '25000,50000,100000,200000')))
    .split(',')
    .map(Number)
    .filter((size) => Number.isInteger(size) && size > 0 && size <= rows);
  for (const size of sizes) {
    const output = join(workDir, 'readme.xlsx');
    process.stderr.write(`running exceljs-readme (${size.toLocaleString('en')} rows)...\n`);
    const result = await runChild(
      join(import.meta.dirname, 'child.ts'),
      ['exceljs-readme', String(size), output],
      {
        heapMiB: Number(values['exceljs-heap-mib']),
        timeoutS: Number(values['exceljs-timeout-s']),
      },
    );
    rmSync(output, { force: true });
    if ('failed' in result) {
      converterNotes.push(
        `exceljs README style did not survive ${size.toLocaleString('en')} rows: ${result.failed}`,
      );
      break;
    }
    results['exceljs-readme'] = result;
  }

  /**
   * PGlite served over the wire as `npm start` runs it: a server child opens PGlite on
   * disk, seeds and serves it; the converter child reads it with `pg` (DATABASE_URL).
   */
  async function pgliteWireCase(): Promise<CaseResult | { failed: string }> {
    const server = spawn(node, [join(import.meta.dirname, 'pglite-server-child.ts'), String(rows), workDir], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, DATABASE_URL: '' },
    });
    let stdout = '';
    let stderr = '';
    server.stderr.on('data', (data: Buffer) => {
      stderr += data.toString();
    });
    const closed = new Promise<number | null>((resolve) => server.on('close', (code) => resolve(code)));
    const url = await new Promise<string | undefined>((resolve) => {
      server.stdout.on('data', (data: Buffer) => {
        stdout += data.toString();
        const first = stdout.split('\n')[0];
        if (stdout.includes('\n') && first?.startsWith('{'))
          resolve((JSON.parse(first) as { url: string }).url);
      });
      void closed.then(() => resolve(undefined));
    });
    if (!url) {
      return { failed: `PGlite server child: ${stderr.trim().split('\n').slice(-3).join(' | ')}` };
    }
    process.stderr.write(`${stderr.trim()}\nserving at ${url}; converting...\n`);
    const result = await runChild(
      join(import.meta.dirname, 'e2e-child.ts'),
      [String(rows), workDir, '--seeded'],
      {
        env: { ...process.env, DATABASE_URL: url },
      },
    );
    server.stdin.end('stop\n');
    const code = await closed;
    const last = stdout.trim().split('\n').at(-1) ?? '';
    if ('failed' in result) return result;
    if (code !== 0 || !last.includes('peakRssMiB')) {
      return {
        failed: `PGlite server child exit ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
      };
    }
    return { ...result, server: JSON.parse(last) as { peakRssMiB: number; servingRssMaxMiB: number } };
  }

  const e2eCases =
    e2eOnly ??
    (values.e2e ? e2eCaseNames.filter((name) => name !== 'postgres' || process.env.DATABASE_URL) : []);
  for (const caseName of e2eCases) {
    const name = `e2e-${caseName}`;
    process.stderr.write(`running ${name} (${rows.toLocaleString('en')} rows, seeding first)...\n`);
    if (caseName === 'pglite-wire') {
      const result = await pgliteWireCase();
      if ('failed' in result) converterNotes.push(`${name} failed: ${result.failed}`);
      else {
        results[name] = result;
        if (result.server) {
          converterNotes.push(
            `${name}: peak RSS is the converter process; the PGlite server process peaked at ` +
              `${format(result.server.peakRssMiB)} MiB over its life (seeding included), ` +
              `${format(result.server.servingRssMaxMiB)} MiB sampled while serving`,
          );
        }
      }
    } else {
      const env = caseName === 'pglite' ? { ...process.env, DATABASE_URL: '' } : process.env;
      const result = await runChild(join(import.meta.dirname, 'e2e-child.ts'), [String(rows), workDir], {
        env,
      });
      if ('failed' in result) converterNotes.push(`${name} failed: ${result.failed}`);
      else results[name] = result;
    }
  }

  const deflateOnly = results['deflate-only'];
  const lower = results['lower-bound'];
  const converter = results.converter;
  const lines = [
    `| case | rows | rows/s | peak RSS MiB | xlsx MiB | rows/s vs deflate only | rows/s vs lower bound | rows/s vs converter |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  const labels: Record<string, string> = {
    'deflate-only': 'deflate only: same XML made ready beforehand → node:zlib level 1, no zip container',
    'lower-bound': '(b) lower bound: same XML → zip, node:zlib level 1',
    converter: 'converter alone (typed + styled)',
    'converter-semi-8': 'converter alone, node --max-semi-space-size=8',
    'exceljs-stream-styled': 'exceljs streaming writer, styled (style cache), not used',
    'exceljs-readme': '(a) exceljs README: in-memory Workbook + writeFile',
    'e2e-pglite': 'end to end: PGlite (in process) → xlsx',
    'e2e-pglite-wire': 'end to end: PGlite served over the wire (as npm start runs it) → xlsx',
    'e2e-postgres': 'end to end: PostgreSQL → xlsx',
  };
  for (const [name, result] of Object.entries(results)) {
    lines.push(
      `| ${labels[name] ?? name} | ${format(result.rows)} | ${format(result.rowsPerSecond)} | ${format(result.peakRssMiB)} | ${format(result.bytes / 1_048_576, 1)} | ${deflateOnly ? format(result.rowsPerSecond / deflateOnly.rowsPerSecond, 2) : '–'} | ${lower ? format(result.rowsPerSecond / lower.rowsPerSecond, 2) : '–'} | ${converter ? format(result.rowsPerSecond / converter.rowsPerSecond, 2) : '–'} |`,
    );
  }
  const readme = results['exceljs-readme'];
  if (readme && converter) {
    converterNotes.push(
      `converter vs (a): ${format(converter.rowsPerSecond / readme.rowsPerSecond, 1)}x the rows/s, ` +
        `${format(readme.peakRssMiB / converter.peakRssMiB, 1)}x less peak RSS ` +
        `(at ${format(converter.rows)} rows vs ${format(readme.rows)} rows)`,
    );
  }
  const { measureConverterStart } = await import('./converter-start.ts');
  const startRuns = quick ? 2 : 7;
  const startLatency = await measureConverterStart(startRuns);
  converterNotes.push(
    `converter process start (spawn → modules loaded → exit on missing input), ${startRuns} runs: p50 ${format(startLatency.p50Seconds, 2)} s, p90 ${format(startLatency.p90Seconds, 2)} s`,
  );
  if (recordFile !== undefined) {
    const record = {
      measuredAt: started.toISOString(),
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
      cores: cpus().length,
      node: process.version,
      // One-minute load averages: the rates move with the machine's load.
      loadAverage: { before: loadBefore[0] ?? 0, after: loadavg()[0] ?? 0 },
      rows,
      rowsPerSecond: Object.fromEntries(
        Object.entries(results).map(([name, result]) => [name, Math.round(result.rowsPerSecond)]),
      ),
      localStartSeconds: {
        p50Seconds: startLatency.p50Seconds,
        p90Seconds: startLatency.p90Seconds,
        runs: startLatency.samples.length,
      },
    };
    writeFileSync(recordFile, `${JSON.stringify(record, null, 2)}\n`);
    converterNotes.push(`recorded the rates for batchctl plan in ${relative(process.cwd(), recordFile)}`);
  }
  sections.push(
    `## converter (${format(rows)} rows)\n\n${lines.join('\n')}\n\n${converterNotes.map((note) => `- ${note}`).join('\n')}`,
  );
}

if (suites.has('converter')) await converterSuite();
if (suites.has('zip')) {
  const { formatZipSuite, runZipSuite } = await import('./zip-suite.ts');
  const figures = await runZipSuite({ rows, rounds: zipRounds, workDir, log });
  const { lines, notes: zipNotes } = formatZipSuite(figures, zipRounds);
  sections.push(
    `## zip writers (${format(rows)} rows)\n\n${lines.join('\n')}\n\n${zipNotes.map((note) => `- ${note}`).join('\n')}`,
  );
}
rmSync(workDir, { recursive: true, force: true });
if (suites.has('engine') || suites.has('rate')) {
  const { formatEngineFigures, runEngineSuite } = await import('./engine.ts');
  const figures = await runEngineSuite({
    runs: engineRuns,
    rateSeconds,
    starters,
    overhead: suites.has('engine'),
    rate: suites.has('rate'),
    log,
  });
  sections.push(...formatEngineFigures(figures));
}
if (suites.has('makespan')) {
  const { makespanSuite } = await import('./makespan.ts');
  sections.push(await makespanSuite({ quick, log }));
}
if (suites.has('scheduler-precision')) {
  const { schedulerPrecisionSuite } = await import('./scheduler-precision.ts');
  sections.push(await schedulerPrecisionSuite({ quick, log }));
}
const loadAfter = loadavg();
notes.push(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; load average ` +
    `${loadBefore.map((n) => n.toFixed(1)).join('/')} before, ${loadAfter.map((n) => n.toFixed(1)).join('/')} after; ` +
    `started ${started.toISOString()}, took ${format((Date.now() - started.getTime()) / 1000)} s`,
);
console.log(sections.join('\n\n'));
console.log();
for (const note of notes) console.log(`- ${note}`);
