import { spawn } from 'node:child_process';

/** What a bench child (bench/child.ts, bench/e2e-child.ts) prints as its last line. */
export interface CaseResult {
  case: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  /** User + system CPU of the whole child (zlib's thread pool included); bench/child.ts only. */
  cpuSeconds?: number;
  peakRssMiB: number;
  bytes: number;
  /** pglite-wire: the serving process (peak over its life incl. seeding, and sampled while serving). */
  server?: { peakRssMiB: number; servingRssMaxMiB: number };
}

/**
 * Runs one bench child in a fresh node process (so its peak RSS is its own) and
 * parses the JSON line it prints last; a failure, a heap cap or a time cap comes
 * back as `{ failed }` with the reason.
 */
export function runChild(
  script: string,
  args: string[],
  options: { heapMiB?: number; timeoutS?: number; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {},
): Promise<CaseResult | { failed: string }> {
  const nodeArgs = [
    ...(options.nodeArgs ?? []),
    ...(options.heapMiB ? [`--max-old-space-size=${options.heapMiB}`] : []),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
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

/** Thousands separators, at most `digits` decimals. */
export const format = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits });

/** The middle value (mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}
