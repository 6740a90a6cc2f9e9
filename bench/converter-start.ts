import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TASK_INPUT_ENV } from '../lib/contracts/execution-input.ts';

/**
 * How long a converter process takes to be ready locally: spawn, load its modules, and
 * exit at the input check (no task input). The local stand-in for a task's start latency;
 * `npm run bench` records it for the planner and the planner's validation test measures it.
 */
export async function measureConverterStart(
  times: number,
): Promise<{ p50Seconds: number; p90Seconds: number; samples: number[] }> {
  const samples: number[] = [];
  const main = join(import.meta.dirname, '..', 'containers', 'xlsx-converter', 'main.ts');
  for (let index = 0; index < times; index++) {
    const begin = performance.now();
    await new Promise<void>((resolve) => {
      const env = { ...process.env };
      delete env[TASK_INPUT_ENV];
      const child = spawn(process.execPath, [main, 'convert-batch'], { stdio: 'ignore', env });
      child.on('close', () => resolve());
    });
    samples.push((performance.now() - begin) / 1000);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (fraction: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
  return { p50Seconds: pick(0.5), p90Seconds: pick(0.9), samples };
}
