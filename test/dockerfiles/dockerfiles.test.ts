import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { CONTAINERS } from '#lib/workflows/names.ts';
import { readContainerDockerfile } from '../support/dockerfile.ts';
import { REPO as ROOT } from '../support/processes.ts';

// Docker cannot build here, so the images are kept correct by construction: a linter
// (dockerfile-utils, the validator behind VS Code's Dockerfile support) plus the
// properties below, checked against the files the image actually needs.

const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

/**
 * Loaded on first use only, and only without DATABASE_URL (lib/db/pglite-driver.ts then
 * says what to set): development packages the images do not install.
 */
const LAZY_DEVELOPMENT_PACKAGES = new Set(['@electric-sql/pglite']);

/** Walks the import graph from an entry file (type-only imports are erased): local files reached and bare packages used. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  const specifiers =
    /(?:^|\n)\s*(?:import|export)\s(?!type\s)[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;
  while (pending.length > 0) {
    const file = pending.pop();
    if (!file || files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(specifiers)) {
      const specifier = match[1] ?? match[2] ?? '';
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier));
      else if (specifier.startsWith('#lib/'))
        pending.push(join(ROOT, 'lib', specifier.slice('#lib/'.length)));
      else if (specifier.startsWith('#'))
        pending.push(join(ROOT, specifier.slice(1).replace(/^([a-z]+)\//, '$1/')));
      else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) {
        const parts = specifier.split('/');
        packages.add(specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? specifier));
      }
    }
  }
  return { files, packages };
}

describe.each(CONTAINERS)('containers/%s/Dockerfile', (name) => {
  const { text, instructions, deps, runtime } = readContainerDockerfile(name);

  it('passes the Dockerfile linter without findings', () => {
    const findings = validate(text).map(
      (diagnostic) => `${diagnostic.range.start.line + 1}: ${diagnostic.message}`,
    );

    expect(findings).toEqual([]);
  });

  it('builds in two stages from a Node 22.18+ bookworm-slim image', () => {
    const version = /ARG NODE_VERSION=(\d+)\.(\d+)\.(\d+)/.exec(text);
    const froms = instructions
      .filter((instruction) => instruction.keyword === 'FROM')
      .map((instruction) => instruction.args);

    expect(froms).toEqual([
      `node:\${NODE_VERSION}-bookworm-slim AS deps`,
      `node:\${NODE_VERSION}-bookworm-slim AS runtime`,
    ]);
    expect(Number(version?.[1])).toBe(22);
    expect(Number(version?.[2])).toBeGreaterThanOrEqual(18);
  });

  it('installs exactly the locked production dependencies in the deps stage', () => {
    const runs = (deps ?? [])
      .filter((instruction) => instruction.keyword === 'RUN')
      .map((instruction) => instruction.args);

    expect(runs.some((run) => /\bnpm ci\b.*--omit=dev/.test(run))).toBe(true);
    expect(runs.some((run) => /\bnpm (install|i)\b/.test(run))).toBe(false);
  });

  it('runs as the non-root node user with the container entrypoint', () => {
    const keywords = (runtime ?? []).map((instruction) => instruction.keyword);
    const user = (runtime ?? []).find((instruction) => instruction.keyword === 'USER');
    const entrypoint = (runtime ?? []).find((instruction) => instruction.keyword === 'ENTRYPOINT');

    expect(user?.args).toBe('node');
    expect(keywords.lastIndexOf('USER')).toBeLessThan(keywords.indexOf('ENTRYPOINT'));
    expect(keywords.slice(keywords.lastIndexOf('USER')).filter((keyword) => keyword === 'RUN')).toEqual([]);
    expect(JSON.parse(entrypoint?.args ?? 'null')).toEqual(['node', `containers/${name}/main.ts`]);
    expect(existsSync(join(ROOT, 'containers', name, 'main.ts'))).toBe(true);
  });

  it('copies only paths that exist and that .dockerignore lets into the context', () => {
    const allowed = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1).replace(/\/$/, ''));
    const sources = (runtime ?? [])
      .concat(deps ?? [])
      .filter((instruction) => instruction.keyword === 'COPY' && !instruction.args.startsWith('--from'))
      .flatMap((instruction) => instruction.args.split(/\s+/).slice(0, -1));

    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect({ source, exists: existsSync(join(ROOT, source)) }).toEqual({ source, exists: true });
      const admitted = allowed.some((entry) => source === entry || source.startsWith(`${entry}/`));
      expect({ source, admitted }).toEqual({ source, admitted: true });
    }
  });

  it('contains every file the entrypoint imports and only production dependencies', () => {
    const { files, packages } = importGraph(join(ROOT, 'containers', name, 'main.ts'));
    const copied = [join(ROOT, 'lib'), join(ROOT, 'containers', name)];

    const outside = [...files].filter((file) => !copied.some((dir) => file.startsWith(`${dir}/`)));
    const missing = [...files].filter((file) => !existsSync(file)).map((file) => relative(ROOT, file));
    const notProduction = [...packages].filter(
      (pkg) => !(pkg in packageJson.dependencies) && !LAZY_DEVELOPMENT_PACKAGES.has(pkg),
    );

    expect(files.size).toBeGreaterThan(1);
    expect(outside.map((file) => relative(ROOT, file))).toEqual([]);
    expect(missing).toEqual([]);
    expect(notProduction).toEqual([]);
  });

  it('installs no package that its entrypoint never imports', () => {
    const { packages } = importGraph(join(ROOT, 'containers', name, 'main.ts'));

    const unused = Object.keys(packageJson.dependencies).filter((pkg) => !packages.has(pkg));

    expect(unused).toEqual([]);
  });

  it('holds no secrets in ENV or ARG', () => {
    const settings = instructions.filter(
      (instruction) => instruction.keyword === 'ENV' || instruction.keyword === 'ARG',
    );

    for (const setting of settings) {
      expect(setting.args).not.toMatch(
        /SECRET|PASSWORD|TOKEN|AWS_ACCESS|PRIVATE|postgres:\/\/[^@\s]+:[^@\s]+@/i,
      );
    }
  });
});
