import { isKdiError } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { checkUserTable, decodeSplits, tabletConfigsFor } from './create-table-plan.js';

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isKdiError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a KdiError');
}

describe('create-table plan', () => {
  it('sorts the split rows into ranges', () => {
    const splits = decodeSplits(['t', 'g', 'n'], 'utf8');
    const ranges = tabletConfigsFor('people', splits).map((t) => [t.lowerExclusive?.toString() ?? null, t.upperInclusive?.toString() ?? null]);
    expect(ranges).toEqual([
      [null, 'g'],
      ['g', 'n'],
      ['n', 't'],
      ['t', null],
    ]);
    expect(tabletConfigsFor('x', [])).toHaveLength(1);
  });

  it('decodes base64 split rows', () => {
    expect(decodeSplits(['AP8='], 'base64')[0]).toEqual(Buffer.from([0, 255]));
  });

  it('refuses empty, repeated and oversized split rows, naming them', () => {
    expect(errorOf(() => decodeSplits(['a', ''], 'utf8'))).toEqual({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('splits[1] is empty') });
    expect(errorOf(() => decodeSplits(['b', 'a', 'b'], 'utf8')).message).toMatch(/splits\[0\] and splits\[2\] are the same row/);
    expect(errorOf(() => decodeSplits(['x'.repeat(10)], 'utf8', 4)).message).toMatch(/splits\[0\] is 10 bytes; the limit is 4/);
  });

  it('keeps META out of DDL', () => {
    expect(errorOf(() => checkUserTable('META', 'create'))).toEqual({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('META is the system table') });
    expect(errorOf(() => checkUserTable('META', 'drop')).code).toBe('FAILED_PRECONDITION');
    expect(() => checkUserTable('people', 'drop')).not.toThrow();
  });
});
