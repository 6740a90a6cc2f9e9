import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/*
 * `npm run bench [-- --rows 100000] [--exceljs-sizes 25000,50000,100000] [--e2e]`
 *
 * Each case runs in a fresh child process (bench/child.ts) so its peak RSS is its
 * own. Cases: the converter alone, baseline (a) exceljs as its README shows at the
 * largest size it survives (tried in increasing sizes under a heap and time cap),
 * baseline (b) the zip+zlib lower bound, exceljs's streaming writer with styles
 * (why the converter does not use it), and end to end from the database when
 * --e2e is given (PGlite, and PostgreSQL when DATABASE_URL is set).
 */

interface CaseResult {
  case: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMiB: number;
  bytes: number;
}

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'exceljs-sizes': { type: 'string', default: '25000,50000,100000,200000' },
    'exceljs-heap-mib': { type: 'string', default: '4096' },
    'exceljs-timeout-s': { type: 'string', default: '300' },
    'skip-exceljs-stream': { type: 'boolean', default: false },
    e2e: { type: 'boolean', default: false },
  },
});
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

const results: Record<string, CaseResult> = {};
const notes: string[] = [];
const started = new Date();
const loadBefore = loadavg();

for (const name of ['lower-bound', 'converter']) {
  const result = await benchCase(name, rows);
  if ('failed' in result) throw new Error(`${name} failed: ${result.failed}`);
  results[name] = result;
}
{
  // V8 sizes the young generation for throughput; 8 MiB semi-spaces keep the same
  // speed with less RSS (the converter's live heap is ~11 MiB). Containers set it
  // through NODE_OPTIONS.
  const result = await benchCase('converter', rows, ['--max-semi-space-size=8']);
  if ('failed' in result) notes.push(`converter with --max-semi-space-size=8 failed: ${result.failed}`);
  else results['converter-semi-8'] = result;
}
if (!values['skip-exceljs-stream']) {
  const streamRows = Math.min(rows, 200_000);
  const result = await benchCase('exceljs-stream-styled', streamRows);
  if ('failed' in result) notes.push(`exceljs streaming (styled) failed at ${streamRows}: ${result.failed}`);
  else results['exceljs-stream-styled'] = result;
}

const sizes = (values['exceljs-sizes'] ?? '')
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

if (values.e2e) {
  const e2eTargets: [string, NodeJS.ProcessEnv][] = [['e2e-pglite', { ...process.env, DATABASE_URL: '' }]];
  if (process.env.DATABASE_URL) e2eTargets.push(['e2e-postgres', process.env]);
  for (const [name, env] of e2eTargets) {
    process.stderr.write(`running ${name} (${rows.toLocaleString('en')} rows, seeding first)...\n`);
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
const format = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits });
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
  'e2e-pglite': 'end to end: PGlite → xlsx',
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
console.log(lines.join('\n'));
console.log();
for (const note of notes) console.log(`- ${note}`);
