// `npm run package [-- --stage <stage>]`: bundles the Lambdas with esbuild, then runs
// `osls package` offline (no AWS credentials, no network), which writes
// .serverless/cloudformation-template-update-stack.json.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { WORKFLOW_LAMBDAS } from '#lib/workflows/names.ts';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    stage: { type: 'string', default: 'dev' },
    region: { type: 'string', default: 'ap-northeast-1' },
    // `--param imageTag=<sha>` (repeatable) goes to osls as is, as `osls deploy` takes it.
    param: { type: 'string', multiple: true, default: [] },
  },
});
const stage = values.stage ?? 'dev';

rmSync(path.join(root, 'dist', 'functions'), { recursive: true, force: true });
for (const { folder } of Object.values(WORKFLOW_LAMBDAS)) {
  const entry = path.join(root, 'functions', folder, 'handler.ts');
  if (!existsSync(entry)) {
    console.error(
      `package: ${path.relative(root, entry)} is missing; every Lambda in lib/workflows/names.ts needs a handler`,
    );
    process.exit(1);
  }
  await build({
    entryPoints: [entry],
    outfile: path.join(root, 'dist', 'functions', folder, 'handler.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    sourcemap: true,
    minify: true,
    // `pg-native`: optional native binding of `pg`; the pure-JS client is used.
    // `@electric-sql/pglite`: the embedded database of npm start, loaded lazily and only
    // without DATABASE_URL; a Lambda always has a real PostgreSQL, so it stays out.
    external: ['pg-native', '@electric-sql/pglite'],
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
}

const osls = path.join(root, 'node_modules', 'osls', 'bin', 'serverless.js');
const result = spawnSync(
  process.execPath,
  [
    osls,
    'package',
    '--stage',
    stage,
    '--region',
    values.region ?? '',
    ...(values.param ?? []).flatMap((param) => ['--param', param]),
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      // Packaging resolves nothing remotely; keep the CLI from phoning home.
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      SLS_INTERACTIVE_SETUP_DISABLE: '1',
    },
  },
);
process.exit(result.status ?? 1);
