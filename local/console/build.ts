/**
 * Builds the console's browser assets with esbuild into local/console/dist (git-ignored):
 * one bundled, minified app.js (Preact + htm + dagre, no CDN) and app.css, plus
 * index.html. `npm run build` runs it; `npm start` runs it when dist is missing or older
 * than the sources, so nothing built is ever committed.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const CONSOLE_SOURCE_DIR = path.join(HERE, 'ui');
export const CONSOLE_DIST_DIR = path.join(HERE, 'dist');
const STAMP = 'build-stamp.json';

/** Newest modification time of the sources (and of the lock file, which pins the bundled libraries). */
function newestSourceTime(): number {
  let newest = 0;
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  visit(CONSOLE_SOURCE_DIR);
  const lock = path.join(HERE, '..', '..', 'package-lock.json');
  if (existsSync(lock)) newest = Math.max(newest, statSync(lock).mtimeMs);
  return newest;
}

/** True when dist is missing, incomplete, or older than a source file. */
export function consoleBuildIsStale(distDir: string = CONSOLE_DIST_DIR): boolean {
  const stamp = path.join(distDir, STAMP);
  if (!existsSync(stamp)) return true;
  for (const file of ['index.html', 'app.js', 'app.css'])
    if (!existsSync(path.join(distDir, file))) return true;
  try {
    const { sourceTime } = JSON.parse(readFileSync(stamp, 'utf8')) as { sourceTime: number };
    return sourceTime < newestSourceTime();
  } catch {
    return true;
  }
}

export async function buildConsole(distDir: string = CONSOLE_DIST_DIR): Promise<void> {
  // esbuild is a devDependency, needed only here.
  const esbuild = await import('esbuild');
  const sourceTime = newestSourceTime();
  mkdirSync(distDir, { recursive: true });
  // Built beside dist, then moved in file by file (rename is atomic): two npm starts building
  // at once, or a page loading meanwhile, never see half a file.
  const staging = mkdtempSync(path.join(path.dirname(distDir), '.dist-'));
  try {
    await esbuild.build({
      entryPoints: {
        app: path.join(CONSOLE_SOURCE_DIR, 'main.ts'),
        'app-styles': path.join(CONSOLE_SOURCE_DIR, 'app.css'),
      },
      outdir: staging,
      bundle: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      minify: true,
      sourcemap: 'linked',
      legalComments: 'linked',
      logLevel: 'warning',
    });
    // esbuild names CSS entries after their key; index.html links one stable name.
    renameSync(path.join(staging, 'app-styles.css'), path.join(staging, 'app.css'));
    copyFileSync(path.join(CONSOLE_SOURCE_DIR, 'index.html'), path.join(staging, 'index.html'));
    for (const file of readdirSync(staging)) renameSync(path.join(staging, file), path.join(distDir, file));
    writeFileSync(
      path.join(staging, STAMP),
      JSON.stringify({ sourceTime, builtAt: new Date().toISOString() }),
    );
    renameSync(path.join(staging, STAMP), path.join(distDir, STAMP));
  } finally {
    rmSync(staging, { recursive: true, force: true });
    // esbuild keeps its service process (~26 MB) alive for more builds; npm start builds once.
    await esbuild.stop();
  }
}

/** Builds when needed; returns whether it built. */
export async function ensureConsoleBuilt(distDir: string = CONSOLE_DIST_DIR): Promise<boolean> {
  if (!consoleBuildIsStale(distDir)) return false;
  await buildConsole(distDir);
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  await buildConsole();
  process.stdout.write(
    `console: built ${path.relative(process.cwd(), CONSOLE_DIST_DIR)} in ${Date.now() - started} ms\n`,
  );
}
