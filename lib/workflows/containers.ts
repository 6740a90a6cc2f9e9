/**
 * Which containers the project has: the single source for the schedule loader (which
 * `container:` values are valid), synthesis and the deployment (one task definition
 * each) and the local runtime (which `containers/<name>/main.ts` it runs).
 *
 * A container is a folder `containers/<name>/` with both files the two paths need: a
 * `Dockerfile` (the image CI builds and Fargate runs) and `main.ts` (its entry point,
 * which `npm start` runs as a child process). Adding such a folder is all it takes.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Files every container folder needs, with what each one is for. */
export const CONTAINER_FILES = {
  Dockerfile: 'the image Fargate runs',
  'main.ts': 'the entry point npm start runs',
} as const;

export interface ContainerFolders {
  /** Folders with every file in {@link CONTAINER_FILES}, sorted. */
  containers: string[];
  /** Folders that lack some of them: name → missing file names. */
  incomplete: Map<string, string[]>;
}

/** Scans a `containers/` folder; an absent folder means no containers. */
export function scanContainerFolders(dir: string): ContainerFolders {
  const result: ContainerFolders = { containers: [], incomplete: new Map() };
  let entries: string[];
  try {
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return result;
  }
  for (const name of entries) {
    const missing = Object.keys(CONTAINER_FILES).filter((file) => !existsSync(path.join(dir, name, file)));
    if (missing.length === 0) result.containers.push(name);
    else result.incomplete.set(name, missing);
  }
  return result;
}

/** The repository this file belongs to (it lives in `lib/workflows/`). */
const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** This project's containers (complete folders under `containers/`). */
export const CONTAINERS: readonly string[] = scanContainerFolders(
  path.join(PROJECT_ROOT, 'containers'),
).containers;
