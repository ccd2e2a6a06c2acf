import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cellSize, compareBytes, compareCellKeys, familyOf, sameBytes, sameKey, type Cell } from './cell.js';

const b = (s: string): Buffer => Buffer.from(s);
const cell = (row: Buffer, column: Buffer, timestamp: number, value: Buffer | null): Cell => ({ row, column, timestamp, value });

describe('compareCellKeys', () => {
  it('orders by row, then column (unsigned bytes), then newest timestamp first', () => {
    const cells = [
      cell(Buffer.from([0xff]), b('a'), 1, null),
      cell(b('a'), b('b'), 5, null),
      cell(b('a'), b('a'), 1, null),
      cell(b('a'), b('a'), 9, null),
      cell(Buffer.from([0x00]), b('z'), 0, null),
      cell(b(''), b(''), Number.MIN_SAFE_INTEGER, null),
      cell(b(''), b(''), Number.MAX_SAFE_INTEGER, null),
    ];
    const sorted = [...cells].sort(compareCellKeys).map((c) => `${Buffer.from(c.row).toString('hex')}/${Buffer.from(c.column).toString()}@${c.timestamp}`);
    expect(sorted).toEqual([`/@${Number.MAX_SAFE_INTEGER}`, `/@${Number.MIN_SAFE_INTEGER}`, '00/z@0', '61/a@9', '61/a@1', '61/b@5', 'ff/a@1']);
    expect(compareCellKeys(cells[0]!, cell(Buffer.from([0xff]), b('a'), 1, b('x')))).toBe(0);
  });

  it('agrees with sameKey, and compareBytes with sameBytes', () => {
    const x = cell(b('r'), b('f:q'), 7, b('v'));
    expect(sameKey(x, cell(b('r'), b('f:q'), 7, null))).toBe(true);
    expect(sameKey(x, cell(b('r'), b('f:q'), 8, b('v')))).toBe(false);
    expect(sameKey(x, cell(b('r'), b('f:r'), 7, b('v')))).toBe(false);
    expect(compareBytes(b('ab'), b('abc'))).toBeLessThan(0);
    expect(compareBytes(Buffer.from([0x80]), b('a'))).toBeGreaterThan(0);
    expect(sameBytes(b('ab'), b('ab'))).toBe(true);
    expect(sameBytes(b('ab'), b('ac'))).toBe(false);
  });
});

describe('compareBytes', () => {
  it('has the sign of Buffer.compare for short and long byte strings, prefixes and high bytes', () => {
    // Bytes from a small alphabet, so equal prefixes and equal strings are common.
    const bytes = fc.array(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff), { maxLength: 70 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(bytes, bytes, fc.nat(70), (x, y, cut) => {
        const prefix = x.subarray(0, Math.min(cut, x.length));
        for (const [a, b] of [
          [x, y],
          [x, prefix],
          [prefix, x],
          [x, Buffer.from(x)],
        ] as const) {
          expect(Math.sign(compareBytes(a, b))).toBe(Buffer.compare(a, b));
          expect(sameBytes(a, b)).toBe(Buffer.compare(a, b) === 0);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('familyOf and cellSize', () => {
  it('takes the bytes before the first colon as the family', () => {
    expect(Buffer.from(familyOf(b('anchor:com.cnn'))).toString()).toBe('anchor');
    expect(Buffer.from(familyOf(b('a:b:c'))).toString()).toBe('a');
    expect(Buffer.from(familyOf(b('plain'))).toString()).toBe('plain');
    expect(familyOf(b(':x')).length).toBe(0);
  });

  it('counts row, column, value and two 8-byte words', () => {
    expect(cellSize(cell(b('rr'), b('ccc'), 1, b('vvvv')))).toBe(2 + 3 + 4 + 16);
    expect(cellSize(cell(b('rr'), b('ccc'), 1, null))).toBe(2 + 3 + 16);
  });
});
