/**
 * The environment a container image sets with `ENV` in its Dockerfile's final stage, which
 * Fargate gives the container and the local ECS gives the container's process (one contract:
 * `NODE_OPTIONS` and `NODE_ENV` of the image apply locally too).
 *
 * Parsed with `dockerfile-ast` (the parser of the Docker language server, already installed
 * through `dockerfile-utils`), which handles `KEY=value` pairs, the legacy `ENV KEY value`
 * form, quotes, escapes and line continuations.
 */
import { readFileSync } from 'node:fs';
import { DockerfileParser } from 'dockerfile-ast';

/** Set by the local runtime itself; an image's value (a Linux image path) would break the local process. */
const KEPT_FROM_HOST = new Set(['PATH', 'HOME']);

export class ImageEnvironmentError extends Error {
  override name = 'ImageEnvironmentError';
}

/**
 * `ENV` of the last stage of the Dockerfile text, in order (a later key wins). A stage built
 * `FROM` an earlier stage of the file starts with that stage's ENV, as docker build does.
 */
export function imageEnvironment(dockerfileText: string, file = 'Dockerfile'): Record<string, string> {
  const dockerfile = DockerfileParser.parse(dockerfileText);
  const froms = dockerfile.getFROMs();
  const envs = dockerfile.getENVs();
  const stageStart = (index: number) => froms[index]?.getRange().start.line ?? -1;
  const environment: Record<string, string> = {};
  const addStage = (index: number): void => {
    const base = froms[index]?.getImageName()?.toLowerCase();
    const parent = froms.findIndex((from, at) => at < index && from.getBuildStage()?.toLowerCase() === base);
    if (parent >= 0) addStage(parent);
    const next = index + 1 < froms.length ? stageStart(index + 1) : Number.POSITIVE_INFINITY;
    for (const instruction of envs) {
      const line = instruction.getRange().start.line;
      if (line >= stageStart(index) && line < next) addEnv(instruction, line);
    }
  };
  const addEnv = (instruction: (typeof envs)[number], line: number): void => {
    // The parser's variable references: an escaped `\$HOME` is a literal, not one of them.
    const references = instruction.getVariables().map((variable) => variable.getRange().start);
    for (const property of instruction.getProperties()) {
      const name = property.getName();
      const value = property.getValue() ?? '';
      if (KEPT_FROM_HOST.has(name)) continue;
      const valueRange = property.getValueRange();
      // Substitution needs the base image's environment, which only a real build has.
      if (valueRange !== null && references.some((at) => isWithin(at, valueRange)))
        throw new ImageEnvironmentError(
          `${file}:${line + 1}: ENV ${name} refers to another variable (${value}); the local runtime cannot expand it. Write the value out.`,
        );
      environment[name] = value;
    }
  };
  addStage(froms.length - 1);
  return environment;
}

/** A place in the Dockerfile text, as dockerfile-ast reports it (0-based). */
interface Position {
  line: number;
  character: number;
}

function isWithin(at: Position, range: { start: Position; end: Position }): boolean {
  const notBefore = (a: Position, b: Position) =>
    a.line > b.line || (a.line === b.line && a.character >= b.character);
  return notBefore(at, range.start) && notBefore(range.end, at);
}

const cache = new Map<string, Record<string, string>>();

/** {@link imageEnvironment} of a Dockerfile on disk, read once per runtime; a missing file sets nothing. */
export function imageEnvironmentOf(dockerfile: string): Record<string, string> {
  const cached = cache.get(dockerfile);
  if (cached !== undefined) return cached;
  let text: string;
  try {
    text = readFileSync(dockerfile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    text = '';
  }
  const environment = imageEnvironment(text, dockerfile);
  cache.set(dockerfile, environment);
  return environment;
}
