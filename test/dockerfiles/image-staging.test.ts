import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueExports } from '#functions/enqueue-exports/enqueue-exports.ts';
import { createLogger } from '#lib/logger.ts';
import { openStorage } from '#lib/storage/index.ts';
import { CONTAINERS } from '#lib/workflows/names.ts';
import { openTestDatabase, type TestDatabase } from '../db/database-fixtures.ts';
import { seedExportFixture } from '../export/export-fixtures.ts';
import { type Instruction, readContainerDockerfile } from '../support/dockerfile.ts';
import { NODE, type ProcessResult, REPO, runProcess } from '../support/processes.ts';
import { startTestS3, type TestS3 } from '../support/s3rver.ts';

// Docker cannot build here, so each image is staged as its Dockerfile describes: the deps
// stage's production install (run offline from the npm cache that `npm ci` filled), then
// the runtime stage's COPY, ENV and ENTRYPOINT, in a folder with no node_modules above it.
// A real job then runs there against PostgreSQL and an S3-compatible server. An image
// that lacks a package its entrypoint needs fails here. Slow: the install takes about
// 15 s; it is shared by both images and reused while package files and command stay the same.

interface StagedImage {
  appDir: string;
  environment: Record<string, string>;
  entrypoint: string[];
}

/** The deps stage's `npm ci ...` (without what follows `&&`, such as `npm cache clean`), plus --offline. */
function productionInstallCommand(deps: Instruction[]): string[] {
  const run = deps.find((instruction) => instruction.keyword === 'RUN' && /^npm ci\b/.test(instruction.args));
  if (run === undefined) throw new Error('the deps stage has no RUN npm ci');
  const [install = ''] = run.args.split('&&');
  return [...install.trim().split(/\s+/), '--offline'];
}

/** Runs the deps stage once into a folder keyed by the package files and the command; returns its node_modules. */
async function installProductionDependencies(deps: Instruction[]): Promise<string> {
  const command = productionInstallCommand(deps);
  const copied = deps.find((instruction) => instruction.keyword === 'COPY');
  expect(copied?.args).toBe('package.json package-lock.json ./');
  const key = createHash('sha256')
    .update(readFileSync(path.join(REPO, 'package.json')))
    .update(readFileSync(path.join(REPO, 'package-lock.json')))
    .update(command.join(' '))
    .digest('hex')
    .slice(0, 16);
  const directory = path.join(tmpdir(), `sfn-batch-production-deps-${key}`);
  const done = path.join(directory, 'installed');
  if (!existsSync(done)) {
    rmSync(directory, { recursive: true, force: true });
    mkdirSync(directory);
    for (const file of ['package.json', 'package-lock.json'])
      cpSync(path.join(REPO, file), path.join(directory, file));
    const [program = 'npm', ...args] = command;
    const result = await runProcess(program, args, {
      cwd: directory,
      // Only what npm needs to find its cache: no npm_config_* of the `npm test` that runs us.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/root',
        ...(process.env.npm_config_cache ? { npm_config_cache: process.env.npm_config_cache } : {}),
      },
    });
    expect(result.code, `${command.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
    writeFileSync(done, command.join(' '));
  }
  return path.join(directory, 'node_modules');
}

/** Lays out the runtime stage: WORKDIR /app, its COPY instructions, ENV and ENTRYPOINT. */
function stageImage(runtime: Instruction[], productionModules: string, root: string): StagedImage {
  const appDir = path.join(root, 'app');
  const environment: Record<string, string> = {};
  let entrypoint: string[] = [];
  for (const { keyword, args } of runtime) {
    if (keyword === 'WORKDIR') expect(args).toBe('/app');
    if (keyword === 'ENV') {
      const [name = '', ...value] = args.split('=');
      environment[name] = value.join('=');
    }
    if (keyword === 'ENTRYPOINT') entrypoint = JSON.parse(args) as string[];
    if (keyword !== 'COPY') continue;
    const parts = args.split(/\s+/);
    if (parts[0] === '--from=deps') {
      expect(parts.slice(1)).toEqual(['/app/node_modules', './node_modules']);
      mkdirSync(appDir, { recursive: true });
      symlinkSync(productionModules, path.join(appDir, 'node_modules'), 'dir');
      continue;
    }
    const destination = parts.at(-1) ?? '';
    for (const source of parts.slice(0, -1)) {
      const target = destination.endsWith('/')
        ? path.join(appDir, destination, path.basename(source))
        : path.join(appDir, destination);
      // .dockerignore keeps test files out of the build context.
      cpSync(path.join(REPO, source), target, {
        recursive: true,
        filter: (file) => !file.endsWith('.test.ts'),
      });
    }
  }
  expect(entrypoint[0]).toBe('node');
  return { appDir, environment, entrypoint };
}

/** Runs the image's entrypoint as the container would: its ENV, argv as the command, SFN_BATCH_INPUT. */
function runImage(
  image: StagedImage,
  argv: string[],
  input: unknown,
  environment: Record<string, string>,
): Promise<ProcessResult> {
  return runProcess(NODE, [...image.entrypoint.slice(1), ...argv], {
    cwd: image.appDir,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: image.appDir,
      ...image.environment,
      ...environment,
      SFN_BATCH_INPUT: JSON.stringify(input),
      POWERTOOLS_LOG_LEVEL: 'WARN',
    },
  });
}

const images = new Map<string, StagedImage>();
let productionModules: string;
let stagingRoot: string;
let database: TestDatabase;
let s3: TestS3;

beforeAll(async () => {
  const dockerfiles = CONTAINERS.map((name) => readContainerDockerfile(name));
  // One install serves both images only while their deps stages are the same.
  for (const dockerfile of dockerfiles) expect(dockerfile.deps).toEqual(dockerfiles[0]?.deps);
  [productionModules, database, s3] = await Promise.all([
    installProductionDependencies(dockerfiles[0]?.deps ?? []),
    openTestDatabase('postgres'),
    startTestS3(),
  ]);
  stagingRoot = mkdtempSync(path.join(tmpdir(), 'sfn-batch-images-'));
  for (const [index, name] of CONTAINERS.entries()) {
    images.set(
      name,
      stageImage(dockerfiles[index]?.runtime ?? [], productionModules, path.join(stagingRoot, name)),
    );
  }
}, 240_000);

afterAll(async () => {
  await Promise.all([database?.dispose(), s3?.close()]);
  if (stagingRoot) rmSync(stagingRoot, { recursive: true, force: true });
});

function image(name: string): StagedImage {
  const staged = images.get(name);
  if (staged === undefined) throw new Error(`image ${name} was not staged`);
  return staged;
}

const storageEnvironment = (prefix: string) => ({
  ...s3.environment,
  SFN_BATCH_STORAGE_URL: `s3://${s3.bucket}/${prefix}/`,
});

async function objectText(key: string): Promise<Buffer> {
  const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  return Buffer.from((await object.Body?.transformToByteArray()) ?? []);
}

describe('container images staged from their Dockerfiles', () => {
  it('install the production dependencies only, without the embedded database', () => {
    for (const name of CONTAINERS) {
      for (let above = image(name).appDir; above !== path.dirname(above); above = path.dirname(above)) {
        if (above !== image(name).appDir)
          expect(existsSync(path.join(above, 'node_modules')), above).toBe(false);
      }
    }
    for (const development of [
      '@electric-sql/pglite',
      'exceljs',
      'aws-local-stepfunctions',
      'commander',
      'cronstrue',
    ]) {
      expect(existsSync(path.join(productionModules, development)), development).toBe(false);
    }
    expect(existsSync(path.join(productionModules, 'pg'))).toBe(true);
  });

  it('batch-jobs archives old audit logs to S3 through its entrypoint', async () => {
    const workspace = await database.db.query<{ id: number }>(
      `INSERT INTO workspaces (name, time_zone, locale) VALUES ('Image staging', 'UTC', 'en') RETURNING id`,
    );
    const workspaceId = workspace.rows[0]?.id;
    for (const [at, action] of [
      ['2026-07-01T08:00:00Z', 'record.created'],
      ['2026-11-01T00:00:00Z', 'record.recent'],
    ]) {
      await database.db.query(
        `INSERT INTO audit_logs (workspace_id, action, entity_type, entity_id, at, detail) VALUES ($1, $2, 'record', '1', $3, '{}')`,
        [workspaceId, action, at],
      );
    }

    const run = await runImage(
      image('batch-jobs'),
      ['archive-audit-logs', '--older-than-days', '90'],
      {
        job: 'archive-audit-logs',
        executionArn:
          'arn:aws:states:ap-northeast-1:000000000000:execution:sfn-batch-prod-archive-audit-logs:image',
        scheduledTime: '2026-11-21T18:00:00Z',
        params: {},
      },
      { DATABASE_URL: database.url ?? '', ...storageEnvironment('batch-jobs') },
    );

    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const archived = await objectText('batch-jobs/audit-archive/2026/07/01.jsonl.gz');
    expect(archived.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const left = await database.db.query<{ action: string }>(
      'SELECT action FROM audit_logs WHERE workspace_id = $1',
      [workspaceId],
    );
    expect(left.rows).toEqual([{ action: 'record.recent' }]);
  });

  it('xlsx-converter converts an enqueued batch to S3 through its entrypoint', async () => {
    await seedExportFixture(database.db, 20);
    const executionArn = 'arn:aws:states:ap-northeast-1:000000000000:execution:sfn-batch-prod-export:image';
    const scheduledTime = '2026-11-01T01:00:00+09:00';
    const enqueued = await enqueueExports(
      {
        job: 'export-monthly',
        executionArn,
        scheduledTime,
        timezone: 'Asia/Tokyo',
        frequency: 'monthly',
        recordsPerBatch: 1000,
      },
      {
        db: database.db,
        storage: openStorage({ url: `s3://${s3.bucket}/xlsx-converter/`, s3Client: s3.client }),
        logger: createLogger('image-staging-test'),
      },
    );

    for (const batch of enqueued.batches) {
      const run = await runImage(
        image('xlsx-converter'),
        ['convert-batch'],
        {
          job: 'export-monthly',
          executionArn,
          scheduledTime,
          params: { runId: batch.runId, manifestKey: batch.manifestKey, batchIndex: batch.batchIndex },
        },
        { DATABASE_URL: database.url ?? '', ...storageEnvironment('xlsx-converter') },
      );
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    }

    const targets = await database.db.query<{ status: string; object_key: string }>(
      'SELECT status, object_key FROM export_targets WHERE run_id = $1',
      [enqueued.runId],
    );
    expect(targets.rows.length).toBe(enqueued.targetCount);
    expect(targets.rows.map((row) => row.status)).toEqual(targets.rows.map(() => 'done'));
    for (const target of targets.rows) {
      const xlsx = await objectText(`xlsx-converter/${target.object_key}`);
      expect(xlsx.subarray(0, 2).toString('latin1')).toBe('PK');
    }
  });
});
