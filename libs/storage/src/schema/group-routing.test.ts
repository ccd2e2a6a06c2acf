import { describe, expect, it } from 'vitest';
import type { Interval } from '@kdi/primitives';
import { compileFamilyFilter } from './family-filter.js';
import { GroupRouting } from './group-routing.js';

const b = (s: string) => Buffer.from(s);
const closed = (lo: string, hi: string): Interval<Uint8Array> => ({ lower: { value: b(lo), inclusive: true }, upper: { value: b(hi), inclusive: true } });
const prefix = (p: string): Interval<Uint8Array> => ({
  lower: { value: b(p), inclusive: true },
  upper: { value: Buffer.concat([b(p).subarray(0, -1), Buffer.from([b(p).at(-1)! + 1])]), inclusive: false },
});

const routing = new GroupRouting([
  { name: 'anchors', families: ['anchor', 'link'] },
  { name: 'contents', families: ['contents', 'ünï'] },
  { name: 'rest', families: '*' },
]);
const strict = new GroupRouting([
  { name: 'a', families: ['a'] },
  { name: 'b', families: ['b'] },
]);

describe('GroupRouting.groupOfColumn', () => {
  it('routes by the bytes before the first colon: named group, else the wildcard', () => {
    expect(routing.groupOfColumn(b('anchor:com.cnn'))).toBe(0);
    expect(routing.groupOfColumn(b('link'))).toBe(0);
    expect(routing.groupOfColumn(b('ünï:x:y'))).toBe(1);
    expect(routing.groupOfColumn(b('anchors:x'))).toBe(2);
    expect(routing.groupOfColumn(b(':x'))).toBe(2);
    expect(routing.groupOfColumn(Buffer.from([0xff, 0x3a, 0x01]))).toBe(2);
  });

  it('finds no group for other families when there is no wildcard', () => {
    expect(strict.groupOfColumn(b('a:1'))).toBe(0);
    expect(strict.groupOfColumn(b('c:1'))).toBeUndefined();
    expect(strict.wildcard).toBeUndefined();
    expect(new GroupRouting([{ name: 'default', families: '*' }]).single).toBe(true);
    expect(routing.single).toBe(false);
  });
});

describe('GroupRouting.groupsForColumns', () => {
  const groups = (r: GroupRouting, ivs: Interval<Uint8Array>[] | undefined) => [...r.groupsForColumns(ivs)].sort();

  it('every group without a column restriction', () => {
    expect(groups(routing, undefined)).toEqual([0, 1, 2]);
  });

  it('one group for columns inside one family', () => {
    expect(groups(routing, [prefix('anchor:')])).toEqual([0]);
    expect(groups(routing, [closed('contents:', 'contents:')])).toEqual([1]);
    expect(groups(routing, [closed('link', 'link')])).toEqual([0]);
    expect(groups(routing, [prefix('lang:')])).toEqual([2]);
    expect(groups(routing, [prefix('anchor:'), prefix('contents:')])).toEqual([0, 1]);
    expect(groups(strict, [prefix('c:')])).toEqual([]);
  });

  it('wider ranges touch the named groups they overlap, and the wildcard', () => {
    expect(groups(routing, [closed('a', 'b')])).toEqual([0, 2]);
    expect(groups(routing, [closed('b', 'c')])).toEqual([2]);
    expect(groups(routing, [closed('anchor', 'zzz')])).toEqual([0, 1, 2]);
    expect(groups(strict, [closed('a', 'a;')])).toEqual([0]);
    expect(groups(strict, [{ lower: { value: b('a;'), inclusive: true } }])).toEqual([1]);
  });
});

describe('family filters', () => {
  it("keep a named group's families, or everything but the named ones for the wildcard", () => {
    const anchors = compileFamilyFilter(routing.familyFilter(0));
    const rest = compileFamilyFilter(routing.familyFilter(2));
    for (const [col, a, r] of [
      ['anchor:x', true, false],
      ['anchor:x', true, false],
      ['link', true, false],
      ['contents:', false, false],
      ['ünï:q', false, false],
      ['lang:', false, true],
      ['anchorx', false, true],
    ] as const) {
      expect([col, anchors(b(col))]).toEqual([col, a]);
      expect([col, rest(b(col))]).toEqual([col, r]);
    }
  });
});
