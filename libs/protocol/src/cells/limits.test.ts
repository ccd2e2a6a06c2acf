import { describe, expect, it } from 'vitest';
import { KdiError } from '../errors/kdi-error.js';
import type { Cell } from '@kdi/primitives';
import { cellBytes, DEFAULT_LIMITS, validateCell, validateCells, type CellLimits } from './limits.js';

const b = (s: string | number): Buffer => (typeof s === 'number' ? Buffer.alloc(s) : Buffer.from(s));
const cell = (row: Buffer, column: Buffer, timestamp: number, value: Buffer | null): Cell => ({ row, column, timestamp, value });

function errorOf(fn: () => void): KdiError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KdiError);
    return e as KdiError;
  }
  throw new Error('expected a KdiError');
}

describe('DEFAULT_LIMITS', () => {
  it('are the limits of DESIGN §2', () => {
    expect(DEFAULT_LIMITS).toEqual({ maxRowBytes: 4096, maxColumnBytes: 1024, maxValueBytes: 8 * 1024 * 1024, maxRequestBytes: 64 * 1024 * 1024 });
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true);
  });
});

describe('validateCell / validateCells', () => {
  it('accepts cells exactly at the limits, and erasures', () => {
    validateCells([cell(b(4096), b(1024), 0, b(8 * 1024 * 1024)), cell(b(''), b(''), -1, null)]);
  });

  it.each([
    ['row', cell(b(4097), b('c'), 1, b('v')), 'cells[0].row is 4097 bytes; the limit is 4096'],
    ['column', cell(b('r'), b(1025), 1, b('v')), 'cells[0].column is 1025 bytes; the limit is 1024'],
    ['value', cell(b('r'), b('c'), 1, b(8 * 1024 * 1024 + 1)), 'cells[0].value is 8388609 bytes; the limit is 8388608'],
  ])('rejects a %s over its limit, naming the cell, field and limit', (_f, bad, message) => {
    const e = errorOf(() => validateCells([bad]));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe(message);
  });

  it('names the index of the offending cell', () => {
    const cells = [cell(b('a'), b('c'), 1, b('v')), cell(b('b'), b('c'), 1, b('v')), cell(b('c'), b('c'), 1, b('v')), cell(b(5000), b('c'), 1, b('v'))];
    expect(errorOf(() => validateCells(cells)).message).toBe('cells[3].row is 5000 bytes; the limit is 4096');
    expect(errorOf(() => validateCell(cells[3]!)).message).toBe('cell.row is 5000 bytes; the limit is 4096');
  });

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -(2 ** 53)])('rejects timestamp %d', (timestamp) => {
    const e = errorOf(() => validateCells([cell(b('r'), b('c'), 0, b('')), cell(b('r'), b('c'), timestamp, b(''))]));
    expect(e.message).toMatch(/^cells\[1\]\.timestamp is .+; it must be an integer/);
  });

  it('accepts the extreme safe timestamps', () => {
    validateCells([cell(b('r'), b('c'), Number.MAX_SAFE_INTEGER, null), cell(b('r'), b('c'), Number.MIN_SAFE_INTEGER, null)]);
  });

  it('bounds the batch total with maxRequestBytes, counting row + column + value + 8', () => {
    const limits: CellLimits = { ...DEFAULT_LIMITS, maxRequestBytes: 100 };
    const c = cell(b(10), b(10), 0, b(20));
    expect(cellBytes(c)).toBe(48);
    expect(cellBytes(cell(b(10), b(10), 0, null))).toBe(28);
    validateCells([c, c], limits);
    const e = errorOf(() => validateCells([c, c, c], limits));
    expect(e.message).toMatch(/add up to 144 bytes; the request limit is 100/);
  });

  it('applies configured limits', () => {
    const limits: CellLimits = { ...DEFAULT_LIMITS, maxValueBytes: 3 };
    expect(errorOf(() => validateCell(cell(b('r'), b('c'), 0, b('abcd')), limits, 'cells[7]')).message).toBe('cells[7].value is 4 bytes; the limit is 3');
  });
});
