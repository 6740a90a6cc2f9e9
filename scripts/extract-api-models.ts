/**
 * Extracts the part of AWS's official service models (botocore's `service-2.json.gz`)
 * that the local runtime implements into `local/api/models/<service>.json`: the shapes
 * reachable from each implemented operation's input, output and errors (members,
 * required, lengths, ranges, patterns, enums, types) and the operation's error list.
 * The runtime validates requests against these files, so it never needs Python or
 * botocore; `test/local-api/models.test.ts` checks they still match the model.
 *
 *   node scripts/extract-api-models.ts [--botocore <dir of the botocore package>]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { API_MODEL_SOURCES, type ApiModel, extractApiModel } from '../local/api/api-model.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The botocore package folder of the machine's python3 (the image ships botocore 1.43). */
export function findBotocore(): string | undefined {
  try {
    return execFileSync('python3', ['-c', 'import botocore,os; print(os.path.dirname(botocore.__file__))'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

/** Reads botocore's full model of one service and extracts the implemented subset. */
export function extractFromBotocore(botocoreDir: string, service: keyof typeof API_MODEL_SOURCES): ApiModel {
  const source = API_MODEL_SOURCES[service];
  const file = path.join(botocoreDir, 'data', source.modelPath);
  const full = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as unknown;
  return extractApiModel(full, source.operations);
}

export function modelFile(service: string): string {
  return path.join(REPO_ROOT, 'local', 'api', 'models', `${service}.json`);
}

function main(): void {
  const flag = process.argv.indexOf('--botocore');
  const botocoreDir = flag >= 0 ? process.argv[flag + 1] : findBotocore();
  if (botocoreDir === undefined) {
    process.stderr.write(
      'botocore not found: install it (pip install botocore) or pass --botocore <dir of the botocore package>\n',
    );
    process.exit(1);
  }
  for (const service of Object.keys(API_MODEL_SOURCES) as Array<keyof typeof API_MODEL_SOURCES>) {
    const model = extractFromBotocore(botocoreDir, service);
    writeFileSync(modelFile(service), `${JSON.stringify(model, null, 1)}\n`);
    process.stdout.write(`${modelFile(service)}: ${Object.keys(model.operations).length} operations\n`);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
