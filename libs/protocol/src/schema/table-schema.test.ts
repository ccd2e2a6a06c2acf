import { describe, expect, it } from 'vitest';
import { KdiError } from '../errors/kdi-error.js';
import { DEFAULT_TABLE_SCHEMA, MAX_FAMILIES_PER_GROUP, MAX_LOCALITY_GROUPS, TableSchemaSchema, type TableSchema } from './table-schema.js';
import { parseTableSchema, validateTableSchema } from './validate-table-schema.js';

const group = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ name: 'g', families: ['f'], ...over });
const one = (over: Record<string, unknown> = {}): unknown => ({ groups: [group(over)] });

describe('TableSchemaSchema defaults', () => {
  it('fills compression lz4, blockSize 64 KiB, inMemory false, purge {combine: or}', () => {
    expect(TableSchemaSchema.parse({ groups: [{ name: 'g', families: '*' }] })).toEqual({
      groups: [{ name: 'g', families: '*', compression: 'lz4', blockSize: 65536, inMemory: false, purge: { combine: 'or' } }],
    });
    expect(TableSchemaSchema.parse(one({ purge: { maxHistory: 2 } }))).toMatchObject({
      groups: [{ purge: { maxHistory: 2, combine: 'or' } }],
    });
  });

  it('keeps every given setting', () => {
    const full = {
      groups: [{ name: 'hot', families: ['a', 'b'], compression: 'none', blockSize: 4096, inMemory: true, purge: { maxHistory: 1, maxAgeMicros: 5, combine: 'and' } }],
    };
    expect(TableSchemaSchema.parse(full)).toEqual(full);
  });

  it('DEFAULT_TABLE_SCHEMA is one frozen wildcard group "default" that validates', () => {
    expect(DEFAULT_TABLE_SCHEMA.groups).toHaveLength(1);
    expect(DEFAULT_TABLE_SCHEMA.groups[0]).toMatchObject({ name: 'default', families: '*', compression: 'lz4', blockSize: 65536, inMemory: false });
    expect(validateTableSchema(DEFAULT_TABLE_SCHEMA)).toEqual([]);
    expect(Object.isFrozen(DEFAULT_TABLE_SCHEMA.groups[0]?.purge)).toBe(true);
    expect(() => (DEFAULT_TABLE_SCHEMA.groups as TableSchema['groups'][number][]).push(DEFAULT_TABLE_SCHEMA.groups[0]!)).toThrow();
  });
});

describe('validateTableSchema: one rule at a time', () => {
  it.each<[string, unknown, string, RegExp]>([
    ['not an object', 7, '', /expected object/],
    ['no groups field', {}, 'groups', /groups must be a list/],
    ['no groups', { groups: [] }, 'groups', /at least one locality group/],
    ['too many groups', { groups: Array.from({ length: MAX_LOCALITY_GROUPS + 1 }, (_, i) => ({ name: `g${i}`, families: [`f${i}`] })) }, 'groups', /at most 64 locality groups/],
    ['unknown top-level field', { groups: [group()], extra: 1 }, '', /unknown field "extra"/],
    ['unknown group field', one({ ttl: 1 }), 'groups[0]', /unknown field "ttl"/],
    ['group name missing', { groups: [{ families: '*' }] }, 'groups[0].name', /group name is a string/],
    ['group name empty', one({ name: '' }), 'groups[0].name', /1-64 characters of \[A-Za-z0-9._-\]/],
    ['group name with /', one({ name: 'a/b' }), 'groups[0].name', /1-64 characters/],
    ['group name with :', one({ name: 'a:b' }), 'groups[0].name', /1-64 characters/],
    ['group name 65 characters', one({ name: 'x'.repeat(65) }), 'groups[0].name', /1-64 characters/],
    ['group name "."', one({ name: '.' }), 'groups[0].name', /reserved/],
    ['group name ".."', one({ name: '..' }), 'groups[0].name', /reserved/],
    ['families missing', { groups: [{ name: 'g' }] }, 'groups[0].families', /"\*" or a list of family names/],
    ['families a number', one({ families: 3 }), 'groups[0].families', /"\*" or a list of family names/],
    ['families "all"', one({ families: 'all' }), 'groups[0].families', /"\*" or a list of family names/],
    ['families empty', one({ families: [] }), 'groups[0].families', /at least one family/],
    ['too many families', one({ families: Array.from({ length: MAX_FAMILIES_PER_GROUP + 1 }, (_, i) => `f${i}`) }), 'groups[0].families', /at most 1024 families/],
    ['family empty', one({ families: [''] }), 'groups[0].families[0]', /must not be empty/],
    ['family with :', one({ families: ['ok', 'a:b'] }), 'groups[0].families[1]', /must not contain ':'/],
    ['family "*" in a list', one({ families: ['*'] }), 'groups[0].families[0]', /write families: "\*"/],
    ['family with a newline', one({ families: ['a\nb'] }), 'groups[0].families[0]', /control characters/],
    ['family with DEL', one({ families: ['a\x7f'] }), 'groups[0].families[0]', /control characters/],
    ['family with a lone surrogate', one({ families: ['a\ud800'] }), 'groups[0].families[0]', /lone surrogate/],
    ['family over 256 bytes', one({ families: ['é'.repeat(129)] }), 'groups[0].families[0]', /258 bytes in UTF-8; the limit is 256/],
    ['family not a string', one({ families: [5] }), 'groups[0].families[0]', /family name is a string/],
    ['compression gzip', one({ compression: 'gzip' }), 'groups[0].compression', /"none" or "lz4"/],
    ['blockSize 4095', one({ blockSize: 4095 }), 'groups[0].blockSize', /at least 4096 bytes/],
    ['blockSize 4 MiB + 1', one({ blockSize: 4 * 1024 * 1024 + 1 }), 'groups[0].blockSize', /at most 4194304 bytes/],
    ['blockSize 8192.5', one({ blockSize: 8192.5 }), 'groups[0].blockSize', /whole number of bytes/],
    ['blockSize "64k"', one({ blockSize: '64k' }), 'groups[0].blockSize', /whole number of bytes/],
    ['inMemory "yes"', one({ inMemory: 'yes' }), 'groups[0].inMemory', /true or false/],
    ['purge.maxHistory 0', one({ purge: { maxHistory: 0 } }), 'groups[0].purge.maxHistory', /at least 1/],
    ['purge.maxHistory 1.5', one({ purge: { maxHistory: 1.5 } }), 'groups[0].purge.maxHistory', /whole number/],
    ['purge.maxAgeMicros 0', one({ purge: { maxAgeMicros: 0 } }), 'groups[0].purge.maxAgeMicros', /at least 1/],
    ['purge.combine "xor"', one({ purge: { combine: 'xor' } }), 'groups[0].purge.combine', /"and" or "or"/],
    ['purge unknown field', one({ purge: { versions: 1 } }), 'groups[0].purge', /unknown field "versions"/],
    ['duplicate group names', { groups: [group({ families: ['a'] }), group({ families: ['b'] })] }, 'groups[1].name', /"g" is already used by groups\[0\]/],
    [
      'two wildcard groups',
      {
        groups: [
          { name: 'a', families: '*' },
          { name: 'b', families: '*' },
        ],
      },
      'groups[1].families',
      /group "b" \(groups\[1\]\) and group "a" \(groups\[0\]\) both have families "\*"/,
    ],
    [
      'family in two groups',
      {
        groups: [
          { name: 'a', families: ['x', 'y'] },
          { name: 'b', families: ['y'] },
        ],
      },
      'groups[1].families[0]',
      /family "y" is already in group "a" \(groups\[0\]\)/,
    ],
    ['family twice in a group', one({ families: ['x', 'y', 'x'] }), 'groups[0].families[2]', /listed twice in group "g" \(groups\[0\]\) \(also at families\[0\]\)/],
  ])('%s', (_what, input, path, message) => {
    const problems = validateTableSchema(input);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe(path);
    expect(problems[0]?.message).toMatch(message);
  });

  it.each<[string, unknown]>([
    [
      'no wildcard group',
      {
        groups: [
          { name: 'a', families: ['x'] },
          { name: 'b', families: ['y'] },
        ],
      },
    ],
    [
      'a wildcard group beside named ones',
      {
        groups: [
          { name: 'a', families: ['x'] },
          { name: 'rest', families: '*' },
        ],
      },
    ],
    ['group names at 64 characters and every allowed character', one({ name: 'A-z.0_9'.padEnd(64, 'x') })],
    ['families with spaces, non-ASCII and 256 bytes', one({ families: ['my family', 'übersicht', '日本', 'é'.repeat(128)] })],
    ['block sizes at both bounds', { groups: [group({ name: 'a', blockSize: 4096 }), group({ name: 'b', families: ['h'], blockSize: 4 * 1024 * 1024 })] }],
    ['64 groups', { groups: Array.from({ length: MAX_LOCALITY_GROUPS }, (_, i) => ({ name: `g${i}`, families: [`f${i}`] })) }],
  ])('accepts %s', (_what, input) => {
    expect(validateTableSchema(input)).toEqual([]);
  });

  it('lists every problem of one schema at once, field and cross-group rules together', () => {
    const problems = validateTableSchema({
      groups: [
        { name: 'a', families: ['x', 'bad:name'], blockSize: 1 },
        { name: 'a', families: '*', compression: 'zstd' },
        { name: 'c', families: ['x'], purge: { maxHistory: -1 } },
        { name: 'd', families: '*', colour: 'red' },
      ],
    });
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        'groups[0].families[1]',
        'groups[0].blockSize',
        'groups[1].compression',
        'groups[1].name',
        'groups[2].families[0]',
        'groups[2].purge.maxHistory',
        'groups[3]',
        'groups[3].families',
      ].sort(),
    );
  });
});

describe('parseTableSchema', () => {
  it('returns the schema with defaults', () => {
    expect(parseTableSchema({ groups: [{ name: 'g', families: '*' }] }).groups[0]?.blockSize).toBe(65536);
  });

  it('throws INVALID_ARGUMENT listing each problem with its path, and the problems in details', () => {
    let error: unknown;
    try {
      parseTableSchema({
        groups: [
          { name: 'a', families: '*' },
          { name: 'a', families: '*', blockSize: 0 },
        ],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KdiError);
    const e = error as KdiError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toMatch(/^invalid table schema: /);
    expect(e.message).toContain('groups[1].blockSize: blockSize must be at least 4096 bytes');
    expect(e.message).toContain('groups[1].name: group name "a" is already used by groups[0]');
    expect(e.message).toContain('groups[1].families: group "a" (groups[1]) and group "a" (groups[0]) both have families "*"');
    expect(e.details?.problems).toHaveLength(3);
  });
});

describe('TableSchemaSchema as JSON Schema (OpenAPI)', () => {
  it('converts, with defaults, enums and bounds a client can read', async () => {
    const { z } = await import('zod');
    const json = JSON.stringify(z.toJSONSchema(TableSchemaSchema, { io: 'input' }));
    expect(json).toContain('"enum":["none","lz4"]');
    expect(json).toContain('"minimum":4096');
    expect(json).toContain('"maximum":4194304');
    expect(json).toContain('"default":65536');
    expect(json).toContain('"additionalProperties":false');
  });
});
