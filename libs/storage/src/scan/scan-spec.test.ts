import { describe, expect, it } from 'vitest';
import { compileScanSpec, inSet, type Interval, normalizeIntervals } from './scan-spec.js';

const num = (a: number, b: number) => a - b;
const iv = (lo?: [number, boolean], hi?: [number, boolean]): Interval<number> => ({
  ...(lo ? { lower: { value: lo[0], inclusive: lo[1] } } : {}),
  ...(hi ? { upper: { value: hi[0], inclusive: hi[1] } } : {}),
});
const b = (s: string) => Buffer.from(s);

describe('normalizeIntervals', () => {
  it('sorts, merges overlapping and touching intervals, drops empty ones', () => {
    expect(normalizeIntervals([iv([5, true], [9, false]), iv([1, true], [3, true]), iv([3, false], [4, true])], num)).toEqual([
      iv([1, true], [4, true]),
      iv([5, true], [9, false]),
    ]);
    // [1,3) and (3,5] leave a hole at 3.
    expect(normalizeIntervals([iv([1, true], [3, false]), iv([3, false], [5, true])], num)).toHaveLength(2);
    expect(normalizeIntervals([iv([3, true], [3, false]), iv([4, true], [2, true])], num)).toEqual([]);
    expect(normalizeIntervals([iv(undefined, [2, true]), iv([1, true])], num)).toEqual([{}]);
  });

  it('membership agrees with the raw union for every point', () => {
    const raw = [iv([2, false], [6, true]), iv([8, true], [8, true]), iv([10, true])];
    const set = normalizeIntervals(raw, num);
    for (let x = 0; x < 14; x++) {
      const want = raw.some((i) => (!i.lower || x > i.lower.value || (x === i.lower.value && i.lower.inclusive)) && (!i.upper || x < i.upper.value || (x === i.upper.value && i.upper.inclusive)));
      expect(inSet(x, set, num)).toBe(want);
    }
  });
});

describe('compileScanSpec', () => {
  it('finds a point row, time bounds and rejects history 0', () => {
    const s = compileScanSpec({
      rows: [{ lower: { value: b('k'), inclusive: true }, upper: { value: b('k'), inclusive: true } }],
      times: [iv([5, true], [7, true]), iv([1, true], [2, true])],
    });
    expect(Buffer.from(s.pointRow!).toString()).toBe('k');
    expect([s.minTime, s.maxTime]).toEqual([1, 7]);
    expect(() => compileScanSpec({ history: 0 })).toThrow(/history/);
  });

  it('computes a family mask only when every column interval stays in one family', () => {
    const fam = (lo: string, hi: string, hiInc = false) => ({ lower: { value: b(lo), inclusive: true }, upper: { value: b(hi), inclusive: hiInc } });
    expect(compileScanSpec({ columns: [fam('a:', 'a;')] }).familyMask).toBeDefined();
    expect(compileScanSpec({ columns: [fam('a:x', 'a:z', true)] }).familyMask).toBeDefined();
    expect(compileScanSpec({ columns: [fam('a', 'a', true)] }).familyMask).toBeDefined();
    expect(compileScanSpec({ columns: [fam('a:', 'b:')] }).familyMask).toBeUndefined();
    expect(compileScanSpec({ columns: [fam('a', 'a;')] }).familyMask).toBeUndefined(); // "ab" is another family
    expect(compileScanSpec({ columns: [fam('a:', 'a;'), { lower: { value: b('z'), inclusive: true } }] }).familyMask).toBeUndefined();
    expect(compileScanSpec({}).familyMask).toBeUndefined();
  });
});
