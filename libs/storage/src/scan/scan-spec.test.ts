import { describe, expect, it } from 'vitest';
import type { Interval } from '@kdi/primitives';
import { compileScanSpec } from './scan-spec.js';

const iv = (lo?: [number, boolean], hi?: [number, boolean]): Interval<number> => ({
  ...(lo ? { lower: { value: lo[0], inclusive: lo[1] } } : {}),
  ...(hi ? { upper: { value: hi[0], inclusive: hi[1] } } : {}),
});
const b = (s: string) => Buffer.from(s);

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
