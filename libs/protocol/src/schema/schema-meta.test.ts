import { describe, expect, it } from 'vitest';
import { decodeSchemaColumns, encodeSchemaColumns } from './schema-meta.js';
import { DEFAULT_TABLE_SCHEMA, TableSchemaSchema } from './table-schema.js';

const schema = TableSchemaSchema.parse({
  groups: [
    { name: 'rest', families: '*', compression: 'none' },
    { name: 'anchors', families: ['anchor'], blockSize: 8192, inMemory: true, purge: { maxHistory: 3, maxAgeMicros: 10, combine: 'and' } },
  ],
});

describe('encodeSchemaColumns', () => {
  it('writes schema:<group>:<setting> = JSON, sorted by column', () => {
    expect(encodeSchemaColumns(DEFAULT_TABLE_SCHEMA)).toEqual([
      { column: 'schema:default:blockSize', value: '65536' },
      { column: 'schema:default:compression', value: '"lz4"' },
      { column: 'schema:default:families', value: '"*"' },
      { column: 'schema:default:inMemory', value: 'false' },
      { column: 'schema:default:purge', value: '{"combine":"or"}' },
    ]);
  });
});

describe('decodeSchemaColumns', () => {
  it('round-trips a schema (groups come back in name order), ignoring other columns of the row', () => {
    const cells = [...encodeSchemaColumns(schema), { column: 'state:', value: 'serving' }];
    const decoded = decodeSchemaColumns(cells);
    expect(decoded).toEqual({ ok: true, schema: { groups: [schema.groups[1], schema.groups[0]] } });
  });

  it('fills defaults for missing settings', () => {
    const decoded = decodeSchemaColumns([{ column: 'schema:g:families', value: '["a"]' }]);
    expect(decoded.ok && decoded.schema.groups[0]).toEqual({
      name: 'g',
      families: ['a'],
      compression: 'lz4',
      blockSize: 65536,
      inMemory: false,
      purge: { combine: 'or' },
    });
  });

  it('reports every problem by META column instead of throwing', () => {
    const decoded = decodeSchemaColumns([
      { column: 'schema:a:families', value: '"*"' },
      { column: 'schema:a:blockSize', value: '12' },
      { column: 'schema:b:families', value: '"*"' },
      { column: 'schema:b:purge', value: '{not json' },
      { column: 'schema:c:compression', value: '"lz4"' },
      { column: 'schema:c:colour', value: '"red"' },
      { column: 'schema:nogroup', value: '1' },
    ]);
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    const byPath = Object.fromEntries(decoded.problems.map((p) => [p.path, p.message]));
    expect(Object.keys(byPath).sort()).toEqual(['schema:a:blockSize', 'schema:b:families', 'schema:b:purge', 'schema:c:colour', 'schema:c:families', 'schema:nogroup'].sort());
    expect(byPath['schema:b:purge']).toMatch(/is not JSON/);
    expect(byPath['schema:b:families']).toMatch(/at most one wildcard group/);
    expect(byPath['schema:c:families']).toMatch(/"\*" or a list of family names/);
    expect(byPath['schema:c:colour']).toMatch(/not a schema column/);
  });

  it('reports a row without schema columns as a schema with no groups', () => {
    expect(decodeSchemaColumns([{ column: 'state:', value: 'x' }])).toEqual({
      ok: false,
      problems: [{ path: 'schema:*', message: 'a schema needs at least one locality group' }],
    });
  });
});
