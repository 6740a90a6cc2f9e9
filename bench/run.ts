import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { measureConverterStart } from './converter-start.ts';
import { makespanSuite } from './makespan.ts';
import { schedulerPrecisionSuite } from './scheduler-precision.ts';

/*
 * `npm run bench [-- --rows 100000] [--exceljs-sizes 25000,50000,100000] [--e2e]`
 * `npm run bench -- --e2e-only pglite-wire[,pglite,postgres]`: converter alone + those e2e cases only
 *
 * Each case runs in a fresh child process (bench/child.ts) so its peak RSS is its
 * own. Cases: the converter alone, baseline (a) exceljs as its README shows at the
 * largest size it survives (tried in increasing sizes under a heap and time cap),
 * baseline (b) the zip+zlib lower bound, exceljs's streaming writer with styles
 * (why the converter does not use it), and end to end from the database when
 * --e2e is given (PGlite in process, PGlite served over the wire from another
 * process as `npm start` runs it, and PostgreSQL when DATABASE_URL is set).
 *
 * `--suite converter,makespan,scheduler-precision` picks suites (default: all; with --e2e-only
 * alone: converter). `--quick` runs makespan and scheduler-precision at smoke-test sizes.
 * makespan: bench/makespan.ts, the monthly export end to end at Map MaxConcurrency 1 vs 2
 * (PostgreSQL when DATABASE_URL is set, and PGlite over the wire); scheduler-precision:
 * bench/scheduler-precision.ts, the lateness of npm start's scheduled starts.
 */

interface CaseResult {
  case: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMiB: number;
  bytes: number;
  /** pglite-wire: the serving process (peak over its life incl. seeding, and sampled while serving). */
  server?: { peakRssMiB: number; servingRssMaxMiB: number };
}

const ownSuites = { makespan: makespanSuite, 'scheduler-precision': schedulerPrecisionSuite };
const { values } = parseArgs({
  options: {
    suite: { type: 'string' },
    quick: { type: 'boolean', default: false },
    rows: { type: 'string', default: '1000000' },
    'exceljs-sizes': { type: 'string', default: '25000,50000,100000,200000' },
    'exceljs-heap-mib': { type: 'string', default: '4096' },
    'exceljs-timeout-s': { type: 'string', default: '300' },
    'skip-exceljs-stream': { type: 'boolean', default: false },
    e2e: { type: 'boolean', default: false },
    'e2e-only': { type: 'string' },
    // The month-start planner (batchctl plan) reads the rates from here.
    record: {
      type: 'string',
      default: join(import.meta.dirname, '..', 'lib', 'cost', 'converter-throughput.json'),
    },
    'no-record': { type: 'boolean', default: false },
  },
});
// Default: every suite; --e2e-only alone keeps its meaning (the converter cases only).
const suites = (
  values.suite ?? (values['e2e-only'] ? 'converter' : ['converter', ...Object.keys(ownSuites)].join(','))
)
  .split(',')
  .filter((name) => name !== '');
for (const name of suites) {
  if (name !== 'converter' && !(name in ownSuites)) {
    console.error(
      `--suite: unknown suite "${name}"; use a comma list of converter, ${Object.keys(ownSuites).join(', ')}`,
    );
    process.exit(2);
  }
}
async function runOwnSuites(): Promise<void> {
  for (const [name, suite] of Object.entries(ownSuites)) {
    if (!suites.includes(name)) continue;
    console.log(
      `\n${await suite({ quick: values.quick, log: (line) => process.stderr.write(`${line}\n`) })}`,
    );
  }
}
if (!suites.includes('converter')) {
  await runOwnSuites();
  process.exit();
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
const rows = Number(values.rows);
if (!Number.isInteger(rows) || rows <= 0) {
  console.error(`--rows must be a positive integer, got "${values.rows}"`);
  process.exit(2);
}

const workDir = mkdtempSync(join(tmpdir(), 'sfn-batch-bench-'));
const node = process.execPath;

function runChild(
  script: string,
  args: string[],
  options: { heapMiB?: number; timeoutS?: number; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {},
): Promise<CaseResult | { failed: string }> {
  const nodeArgs = [
    ...(options.nodeArgs ?? []),
    ...(options.heapMiB ? [`--max-old-space-size=${options.heapMiB}`] : []),
  ];
  return new Promise((resolve) => {
    const child = spawn(node, [...nodeArgs, script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString();
    });
    const timer = options.timeoutS
      ? setTimeout(() => child.kill('SIGKILL'), options.timeoutS * 1000)
      : undefined;
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) {
        resolve(JSON.parse(line) as CaseResult);
        return;
      }
      const reason = signal
        ? `killed (${signal}) after the ${options.timeoutS}s cap`
        : /heap out of memory|Allocation failed/i.test(stderr)
          ? `out of memory at the ${options.heapMiB} MiB heap cap`
          : `exit ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
      resolve({ failed: reason });
    });
  });
}

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

const format = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits });
const results: Record<string, CaseResult> = {};
const notes: string[] = [];
const started = new Date();
const loadBefore = loadavg();

for (const name of e2eOnly ? ['converter'] : ['lower-bound', 'converter']) {
  const result = await benchCase(name, rows);
  if ('failed' in result) throw new Error(`${name} failed: ${result.failed}`);
  results[name] = result;
}
if (!e2eOnly) {
  // V8 sizes the young generation for throughput; 8 MiB semi-spaces keep the same
  // speed with less RSS (the converter's live heap is ~11 MiB). Containers set it
  // through NODE_OPTIONS.
  const result = await benchCase('converter', rows, ['--max-semi-space-size=8']);
  if ('failed' in result) notes.push(`converter with --max-semi-space-size=8 failed: ${result.failed}`);
  else results['converter-semi-8'] = result;
}
if (!values['skip-exceljs-stream'] && !e2eOnly) {
  const streamRows = Math.min(rows, 200_000);
  const result = await benchCase('exceljs-stream-styled', streamRows);
  if ('failed' in result) notes.push(`exceljs streaming (styled) failed at ${streamRows}: ${result.failed}`);
  else results['exceljs-stream-styled'] = result;
}

const sizes = (e2eOnly ? '' : (values['exceljs-sizes'] ?? ''))
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
    notes.push(`exceljs README style did not survive ${size.toLocaleString('en')} rows: ${result.failed}`);
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
    return { failed: `PGlite server child exit ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` };
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
    if ('failed' in result) notes.push(`${name} failed: ${result.failed}`);
    else {
      results[name] = result;
      if (result.server) {
        notes.push(
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
    if ('failed' in result) notes.push(`${name} failed: ${result.failed}`);
    else results[name] = result;
  }
}
rmSync(workDir, { recursive: true, force: true });

const lower = results['lower-bound'];
const converter = results.converter;
const lines = [
  `| case | rows | rows/s | peak RSS MiB | xlsx MiB | rows/s vs lower bound | rows/s vs converter |`,
  `|---|---:|---:|---:|---:|---:|---:|`,
];
const labels: Record<string, string> = {
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
    `| ${labels[name] ?? name} | ${format(result.rows)} | ${format(result.rowsPerSecond)} | ${format(result.peakRssMiB)} | ${format(result.bytes / 1_048_576, 1)} | ${lower ? format(result.rowsPerSecond / lower.rowsPerSecond, 2) : '–'} | ${converter ? format(result.rowsPerSecond / converter.rowsPerSecond, 2) : '–'} |`,
  );
}
const readme = results['exceljs-readme'];
if (readme && converter) {
  notes.push(
    `converter vs (a): ${format(converter.rowsPerSecond / readme.rowsPerSecond, 1)}x the rows/s, ` +
      `${format(readme.peakRssMiB / converter.peakRssMiB, 1)}x less peak RSS ` +
      `(at ${format(converter.rows)} rows vs ${format(readme.rows)} rows)`,
  );
}
const loadAfter = loadavg();
notes.push(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; load average ` +
    `${loadBefore.map((n) => n.toFixed(1)).join('/')} before, ${loadAfter.map((n) => n.toFixed(1)).join('/')} after; ` +
    `started ${started.toISOString()}, took ${format((Date.now() - started.getTime()) / 1000)} s`,
);
const startLatency = await measureConverterStart(7);
notes.push(
  `converter process start (spawn → modules loaded → exit on missing input), 7 runs: p50 ${format(startLatency.p50Seconds, 2)} s, p90 ${format(startLatency.p90Seconds, 2)} s`,
);
if (!values['no-record'] && values.record) {
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
  writeFileSync(values.record, `${JSON.stringify(record, null, 2)}\n`);
  notes.push(`recorded the rates for batchctl plan in ${relative(process.cwd(), values.record)}`);
}
console.log(lines.join('\n'));
console.log();
for (const note of notes) console.log(`- ${note}`);
await runOwnSuites();
