import { normalizeIntervals, parsePredicate } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { nextStart, rowsAbove, rowsOverlapRange, rowToLocate, type ScanPosition } from './scan-position.js';

const b = (s: string) => Buffer.from(s);
const rowsOf = (text: string) => {
  const p = parsePredicate(text);
  return p.rows === undefined ? undefined : normalizeIntervals(p.rows);
};
const key = (row: string): ScanPosition => ({ kind: 'key', row: b(row), column: b('c'), timestamp: 1 });
const afterRow = (row: string): ScanPosition => ({ kind: 'after-row', row: b(row) });
const show = (s: ReturnType<typeof nextStart>) => (s === null || s === 'first' ? s : `${s.inclusive ? '[' : '('}${Buffer.from(s.value).toString()}`);

describe('nextStart', () => {
  it('starts at the first wanted row', () => {
    expect(show(nextStart(undefined, undefined))).toBe('first');
    expect(show(nextStart(rowsOf("row >= 'k'"), undefined))).toBe('[k');
    expect(show(nextStart(rowsOf("row > 'k'"), undefined))).toBe('(k');
    expect(show(nextStart(rowsOf("row < 'k'"), undefined))).toBe('first');
  });

  it('continues in the row of the last key, after a finished row, or at the next interval', () => {
    const rows = rowsOf("'a' <= row < 'c' or 'x' <= row <= 'y'");
    expect(show(nextStart(rows, key('b')))).toBe('[b');
    expect(show(nextStart(rows, afterRow('b')))).toBe('(b');
    expect(show(nextStart(rows, afterRow('c')))).toBe('[x');
    expect(show(nextStart(rows, key('y')))).toBe('[y');
    expect(nextStart(rows, afterRow('y'))).toBeNull();
    expect(show(nextStart(rowsOf("row <= 'c'"), afterRow('b')))).toBe('(b');
    expect(nextStart(rowsOf("row <= 'c'"), afterRow('c'))).toBeNull();
    expect(nextStart(rowsOf("row < 'c'"), key('c'))).toBeNull();
  });

  it('locates a start by one row', () => {
    expect(rowToLocate('first')).toEqual(new Uint8Array(0));
    expect(Buffer.from(rowToLocate({ value: b('k'), inclusive: true })).toString()).toBe('k');
    expect(Buffer.from(rowToLocate({ value: b('k'), inclusive: false }))).toEqual(Buffer.from('k\0'));
  });
});

describe('rowsAbove', () => {
  it('cuts the row intervals at an exclusive lower bound', () => {
    expect(rowsAbove(undefined, b('m'))).toEqual([{ lower: { value: b('m'), inclusive: false } }]);
    const cut = rowsAbove(rowsOf("'a' <= row < 'c' or row >= 'x'"), b('b'));
    expect(cut).toEqual([{ lower: { value: b('b'), inclusive: false }, upper: { value: b('c'), inclusive: false } }, { lower: { value: b('x'), inclusive: true } }]);
  });
});

describe('rowsOverlapRange', () => {
  const range = { lowerExclusive: b('f'), upperInclusive: b('m') };
  it('decides the boundary rows exactly', () => {
    expect(rowsOverlapRange(undefined, range)).toBe(true);
    expect(rowsOverlapRange(rowsOf("row = 'f'"), range)).toBe(false);
    expect(rowsOverlapRange(rowsOf("row = 'm'"), range)).toBe(true);
    expect(rowsOverlapRange(rowsOf("row > 'm'"), range)).toBe(false);
    expect(rowsOverlapRange(rowsOf("row <= 'f'"), range)).toBe(false);
    expect(rowsOverlapRange(rowsOf("row ~= 'g'"), range)).toBe(true);
    expect(rowsOverlapRange(rowsOf("row < 'a' or row > 'z'"), range)).toBe(false);
  });
});
