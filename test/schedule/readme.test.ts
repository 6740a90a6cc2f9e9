import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KNOWN_KEYS } from '../../lib/schedule/schema.ts';

const README = path.resolve(import.meta.dirname, '..', '..', 'README.md');

describe('README.md', () => {
  it('documents every schedule field the loader accepts, and no other', async () => {
    // Prepare
    const text = await readFile(README, 'utf8');
    const section = text.slice(text.indexOf('All fields'), text.indexOf('**Defaults.**'));

    // Act: the first cell of each table row names one or more fields.
    const documented = section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([a-zA-Z]+)`/g)].map((match) => match[1]));

    // Assess
    expect([...documented].sort()).toEqual([...(KNOWN_KEYS[''] ?? [])].sort());
  });
});
