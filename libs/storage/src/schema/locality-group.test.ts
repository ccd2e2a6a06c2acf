// The same rules as libs/protocol's validateTableSchema (kept in step by
// hand: storage imports nothing of ours). Paths name what to fix.
import { describe, expect, it } from 'vitest';
import { defaultGroups, type LocalityGroupSpec, validateLocalityGroups } from './locality-group.js';

const one = (over: Partial<Record<keyof LocalityGroupSpec, unknown>>): LocalityGroupSpec[] => [{ name: 'g', families: ['f'], ...over } as LocalityGroupSpec];

describe('validateLocalityGroups', () => {
  it.each<[string, LocalityGroupSpec[], string, RegExp]>([
    ['no groups', [], 'groups', /at least one locality group/],
    ['65 groups', Array.from({ length: 65 }, (_, i) => ({ name: `g${i}`, families: [`f${i}`] })), 'groups', /at most 64/],
    ['bad group name', one({ name: 'a/b' }), 'groups[0].name', /1-64 characters of \[A-Za-z0-9._-\]/],
    ['empty group name', one({ name: '' }), 'groups[0].name', /1-64 characters/],
    ['65-character group name', one({ name: 'x'.repeat(65) }), 'groups[0].name', /1-64 characters/],
    ['group name ..', one({ name: '..' }), 'groups[0].name', /reserved/],
    ['group name .', one({ name: '.' }), 'groups[0].name', /reserved/],
    [
      'duplicate names',
      [
        { name: 'g', families: ['a'] },
        { name: 'g', families: ['b'] },
      ],
      'groups[1].name',
      /already used by groups\[0\]/,
    ],
    [
      'two wildcards',
      [
        { name: 'a', families: '*' },
        { name: 'b', families: '*' },
      ],
      'groups[1].families',
      /at most one group may have families "\*"/,
    ],
    ['families not a list', one({ families: 'all' }), 'groups[0].families', /"\*" or a list/],
    ['no families', one({ families: [] }), 'groups[0].families', /at least one family/],
    ['1025 families', one({ families: Array.from({ length: 1025 }, (_, i) => `f${i}`) }), 'groups[0].families', /at most 1024/],
    ['empty family', one({ families: [''] }), 'groups[0].families[0]', /must not be empty/],
    ['family with colon', one({ families: ['a:b'] }), 'groups[0].families[0]', /must not contain ':'/],
    ['family "*"', one({ families: ['*'] }), 'groups[0].families[0]', /wildcard/],
    ['family with control character', one({ families: ['a\tb'] }), 'groups[0].families[0]', /control characters/],
    ['family with lone surrogate', one({ families: ['\udc00'] }), 'groups[0].families[0]', /lone surrogate/],
    ['family over 256 bytes', one({ families: ['é'.repeat(129)] }), 'groups[0].families[0]', /258 bytes.*limit is 256/],
    ['family not a string', one({ families: [7] }), 'groups[0].families[0]', /must be a string/],
    [
      'family in two groups',
      [
        { name: 'a', families: ['x'] },
        { name: 'b', families: ['y', 'x'] },
      ],
      'groups[1].families[1]',
      /"x" is already in groups\[0\]/,
    ],
    ['family twice in a group', one({ families: ['x', 'x'] }), 'groups[0].families[1]', /"x" is already in groups\[0\]/],
    ['compression zstd', one({ compression: 'zstd' }), 'groups[0].compression', /"none" or "lz4"/],
    ['blockSize 4095', one({ blockSize: 4095 }), 'groups[0].blockSize', /from 4096 to 4194304/],
    ['blockSize 4 MiB + 1', one({ blockSize: 4194305 }), 'groups[0].blockSize', /from 4096 to 4194304/],
    ['blockSize not an integer', one({ blockSize: 5000.5 }), 'groups[0].blockSize', /integer/],
    ['inMemory not boolean', one({ inMemory: 'yes' }), 'groups[0].inMemory', /true or false/],
    ['purge maxHistory 0', one({ purge: { maxHistory: 0 } }), 'groups[0].purge', /maxHistory must be a positive integer/],
    ['purge maxAgeMicros 0', one({ purge: { maxAgeMicros: 0 } }), 'groups[0].purge', /maxAgeMicros must be a positive integer/],
    ['purge combine xor', one({ purge: { combine: 'xor' } }), 'groups[0].purge', /combine must be "and" or "or"/],
  ])('rejects %s', (_what, groups, path, message) => {
    const problems = validateLocalityGroups(groups);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe(path);
    expect(problems[0]!.message).toMatch(message);
  });

  it('accepts the limits and what the protocol produces (every setting present)', () => {
    expect(validateLocalityGroups([{ name: 'A-z.0_9'.padEnd(64, 'x'), families: ['é'.repeat(128), 'with space', '日本'] }])).toEqual([]);
    expect(
      validateLocalityGroups([
        { name: 'hot', families: ['a'], compression: 'none', blockSize: 4096, inMemory: true, purge: { maxHistory: 1, maxAgeMicros: 5, combine: 'and' } },
        { name: 'rest', families: '*', compression: 'lz4', blockSize: 4 << 20, inMemory: false, purge: { combine: 'or' } },
      ]),
    ).toEqual([]);
  });

  it('lists every problem at once', () => {
    const problems = validateLocalityGroups([
      { name: 'a', families: '*', blockSize: 1 },
      { name: 'a', families: '*' },
    ]);
    expect(problems.map((p) => p.path)).toEqual(['groups[0].blockSize', 'groups[1].name', 'groups[1].families']);
  });

  it('defaultGroups is one wildcard group "default" carrying the tablet-level purge and inMemory', () => {
    expect(defaultGroups()).toEqual([{ name: 'default', families: '*' }]);
    expect(defaultGroups({ maxHistory: 2 }, true)).toEqual([{ name: 'default', families: '*', purge: { maxHistory: 2 }, inMemory: true }]);
    expect(validateLocalityGroups(defaultGroups({ maxHistory: 2 }, true))).toEqual([]);
  });
});
