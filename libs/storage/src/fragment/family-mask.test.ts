import { describe, expect, it } from 'vitest';
import { familyOf } from '@kdi/primitives';
import { familyBit, familyBitOfColumn, familyMaskOf, familyMaskOfAll, maskFromHalves, maskHalves } from './family-mask.js';

describe('family masks', () => {
  it('a column maps to the bit of its family (bytes before the first colon)', () => {
    for (const col of ['anchor:cnn.com', 'anchor', 'contents:', ':x', '', 'a:b:c', 'meta:\u00ff']) {
      const c = Buffer.from(col);
      expect(familyBitOfColumn(c)).toBe(familyBit(familyOf(c)));
    }
    expect(familyBitOfColumn(Buffer.from('anchor:a'))).toBe(familyBitOfColumn(Buffer.from('anchor:zzz')));
  });

  it('spreads families over the 64 bits', () => {
    const bits = new Set<number>();
    for (let i = 0; i < 400; i++) bits.add(familyBit(Buffer.from(`family${i}`)));
    expect(bits.size).toBeGreaterThan(55);
  });

  it('masks are single bits combined by or, and survive the 32-bit halves', () => {
    const a = familyMaskOf(Buffer.from('a'));
    const b = familyMaskOf(Buffer.from('b'));
    expect(a & (a - 1n)).toBe(0n);
    expect(familyMaskOfAll([Buffer.from('a'), Buffer.from('b')])).toBe(a | b);
    for (const m of [0n, 1n, 1n << 31n, 1n << 32n, 1n << 63n, (1n << 64n) - 1n, a | b]) {
      const [lo, hi] = maskHalves(m);
      expect(maskFromHalves(lo, hi)).toBe(m);
    }
    expect(maskFromHalves(1 << 31, 1 << 31)).toBe((1n << 31n) | (1n << 63n));
  });
});
