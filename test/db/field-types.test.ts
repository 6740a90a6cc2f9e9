import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIELD_TYPES } from '#lib/db/field-types.ts';

describe('FIELD_TYPES', () => {
  it('lists exactly the types the records schema allows in template_fields.type', () => {
    // Prepare
    const sql = readFileSync(
      path.join(import.meta.dirname, '..', '..', 'lib', 'db', 'migrations', '0001_records.sql'),
      'utf8',
    );

    // Act
    const check = /type\s+text NOT NULL CHECK \(type IN \(([^)]*)\)\)/.exec(sql)?.[1] ?? '';
    const allowed = [...check.matchAll(/'([a-z_]+)'/g)].map((match) => match[1]);

    // Assess
    expect(allowed).toEqual([...FIELD_TYPES]);
  });
});
