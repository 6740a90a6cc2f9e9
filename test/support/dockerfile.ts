/** A small reader of the containers' Dockerfiles, for the tests that check and stage the images. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './processes.ts';

export interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions with line continuations joined and comments dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** Stages: the instructions from each FROM to the next. */
export function stages(instructions: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') out.push([instruction]);
    else out.at(-1)?.push(instruction);
  }
  return out;
}

/** The text and the deps and runtime stages of `containers/<name>/Dockerfile`. */
export function readContainerDockerfile(name: string): {
  text: string;
  instructions: Instruction[];
  deps: Instruction[];
  runtime: Instruction[];
} {
  const text = readFileSync(path.join(REPO, 'containers', name, 'Dockerfile'), 'utf8');
  const instructions = parseDockerfile(text);
  const [deps = [], runtime = []] = stages(instructions);
  return { text, instructions, deps, runtime };
}
