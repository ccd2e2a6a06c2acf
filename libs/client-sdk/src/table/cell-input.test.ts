import { describe, expect, it } from 'vitest';
import { normalizeBatch, orderCells } from './cell-input.js';

const s = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString());

describe('normalizeBatch', () => {
  it('sorts by row, column, newest first, and keeps the later of equal keys', () => {
    const out = normalizeBatch([
      { row: 'b', column: 'f:a', timestamp: 1, value: 'first' },
      { row: 'a', column: 'f:b', timestamp: 1, value: 'x' },
      { row: 'a', column: 'f:b', timestamp: 5, value: 'y' },
      { row: 'b', column: 'f:a', timestamp: 1, erase: true },
      { row: Buffer.from('a'), column: 'f:a', timestamp: 2, value: Buffer.from([0xff]) },
    ]);
    expect(out.map((c) => [s(c.row), s(c.column), c.timestamp])).toEqual([
      ['a', 'f:a', 2],
      ['a', 'f:b', 5],
      ['a', 'f:b', 1],
      ['b', 'f:a', 1],
    ]);
    expect(out[3]!.value).toBeNull();
    expect([...out[0]!.value!]).toEqual([0xff]);
  });

  it('refuses a cell without value or erase, and a timestamp that is not a safe integer, naming the cell', () => {
    expect(() => normalizeBatch([{ row: 'a', column: 'f:' }])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('cells[0]') }));
    expect(() =>
      normalizeBatch([
        { row: 'a', column: 'f:', value: 'v' },
        { row: 'a', column: 'f:', value: 'v', timestamp: 1.5 },
      ]),
    ).toThrow(/cells\[1\]\.timestamp/);
  });

  it('stamps cells without a timestamp with the current time in microseconds', () => {
    const before = Date.now() * 1000;
    const [c] = normalizeBatch([{ row: 'a', column: 'f:', value: 'v' }]);
    expect(c!.timestamp).toBeGreaterThanOrEqual(before);
    expect(Number.isSafeInteger(c!.timestamp)).toBe(true);
  });

  it('returns a batch already in strict order as it is, and orders one that is not', () => {
    const [a, b] = normalizeBatch([
      { row: 'a', column: 'f:', value: 'v', timestamp: 1 },
      { row: 'b', column: 'f:', value: 'v', timestamp: 1 },
    ]);
    const sorted = [a!, b!];
    expect(orderCells(sorted)).toBe(sorted);
    expect(orderCells([b!, a!]).map((c) => s(c.row))).toEqual(['a', 'b']);
    expect(orderCells([a!, { ...a!, value: Buffer.from('later') }]).map((c) => s(c.value))).toEqual(['later']);
  });
});
