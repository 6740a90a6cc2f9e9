import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTAINERS } from '../../lib/workflows/containers.ts';
import { imageEnvironment } from '../../local/ecs/image-environment.ts';

describe('imageEnvironment: the ENV of a Dockerfile final stage, which the local ECS gives the container process', () => {
  it('reads the final stage only, in both ENV forms, with quotes and continuations, a later key winning', () => {
    const text = [
      'FROM node:22 AS deps',
      'ENV BUILD_ONLY=1',
      'FROM node:22-slim AS runtime',
      'ENV NODE_ENV=production',
      'ENV NODE_OPTIONS="--max-semi-space-size=8 --enable-source-maps" \\',
      '    GREETING=hello',
      'ENV LEGACY some value',
      'ENV GREETING=again',
      'ENV PATH=/usr/local/bin:/usr/bin',
    ].join('\n');
    expect(imageEnvironment(text)).toEqual({
      NODE_ENV: 'production',
      NODE_OPTIONS: '--max-semi-space-size=8 --enable-source-maps',
      GREETING: 'again',
      LEGACY: 'some value',
    });
  });

  it('refuses a value that refers to another variable, naming the file, line and variable', () => {
    expect(() =>
      imageEnvironment('FROM node:22\nENV A=1\nENV NODE_PATH=$HOME/lib\n', 'containers/x/Dockerfile'),
    ).toThrow('containers/x/Dockerfile:3: ENV NODE_PATH refers to another variable ($HOME/lib)');
  });

  it('starts a stage built FROM an earlier stage with that stage ENV, as docker build does', () => {
    const text = [
      'FROM node:22 AS base',
      'ENV NODE_ENV=production SHARED=base',
      'FROM node:22 AS unrelated',
      'ENV BUILD_ONLY=1',
      'FROM Base AS runtime',
      'ENV SHARED=runtime',
    ].join('\n');
    expect(imageEnvironment(text)).toEqual({ NODE_ENV: 'production', SHARED: 'runtime' });
  });

  it('keeps an escaped dollar sign as a literal, as docker build does', () => {
    expect(imageEnvironment('FROM node:22\nENV GREETING=\\$HOME\n')).toEqual({ GREETING: '$HOME' });
    // Next to an escaped one, a real reference is still refused.
    expect(() => imageEnvironment('FROM node:22\nENV A=\\$HOME B=$X\n')).toThrow(
      'ENV B refers to another variable ($X)',
    );
  });

  it("gives this project's images what their Dockerfiles set (the converter's young-generation cap included)", () => {
    const read = (name: string) =>
      imageEnvironment(readFileSync(path.resolve('containers', name, 'Dockerfile'), 'utf8'));
    expect(CONTAINERS).toEqual(['batch-jobs', 'xlsx-converter']);
    expect(read('batch-jobs')).toEqual({ NODE_ENV: 'production' });
    expect(read('xlsx-converter')).toEqual({
      NODE_ENV: 'production',
      NODE_OPTIONS: '--max-semi-space-size=8',
    });
  });
});
