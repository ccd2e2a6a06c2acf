import { describe, expect, it } from 'vitest';
import { TabletMap, type TabletEntry } from './tablet-map.js';

const b = (s: string) => Buffer.from(s);
const entry = (id: string, lower?: string, upper?: string, table = 't'): TabletEntry => ({
  id,
  table,
  lowerExclusive: lower === undefined ? undefined : b(lower),
  upperInclusive: upper === undefined ? undefined : b(upper),
  state: 'serving',
});

describe('TabletMap', () => {
  const map = new TabletMap();
  map.add(entry('c', 'm', undefined));
  map.add(entry('a', undefined, 'f'));
  map.add(entry('b', 'f', 'm'));
  map.add(entry('other', undefined, undefined, 'u'));

  it('keeps tablets in row order and finds the tablet of a row by (lower, upper]', () => {
    expect(map.tabletsOf('t').map((e) => e.id)).toEqual(['a', 'b', 'c']);
    const at = (row: string) => map.containing('t', b(row))?.id;
    expect([at(''), at('a'), at('f'), at('f\0'), at('m'), at('ma'), at('zzz')]).toEqual(['a', 'a', 'a', 'b', 'b', 'c', 'c']);
    expect(map.containing('nope', b('a'))).toBeUndefined();
  });

  it('finds the tablet holding the rows just after a row', () => {
    const after = (row: string) => map.holdingRowsAfter('t', b(row))?.id;
    expect([after(''), after('e'), after('f'), after('l'), after('m'), after('z')]).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
  });

  it('refuses overlaps, duplicate ids and empty ranges, changing nothing', () => {
    expect(() => map.add(entry('x', 'e', 'g'))).toThrow(/overlaps tablet a/);
    expect(() => map.add(entry('a', 'zz', 'zzz', 'v'))).toThrow(/already on this server/);
    expect(() => map.add(entry('y', 'q', 'q', 'v'))).toThrow(/must sort before/);
    expect(map.size).toBe(4);
  });

  it('leaves gaps unserved', () => {
    const m = new TabletMap();
    m.add(entry('a', undefined, 'f'));
    m.add(entry('c', 'm', undefined));
    expect(m.containing('t', b('g'))).toBeUndefined();
    expect(m.holdingRowsAfter('t', b('f'))).toBeUndefined();
    expect(m.holdingRowsAfter('t', b('m'))?.id).toBe('c');
  });

  it('splits a tablet into two halves in one step', () => {
    const m = new TabletMap();
    m.add(entry('a', undefined, 'f'));
    m.add(entry('c', 'm', undefined));
    const { low, high } = m.split('c', b('p'), 'c1', 'c2');
    expect([low.lowerExclusive?.toString(), low.upperInclusive?.toString(), high.lowerExclusive?.toString(), high.upperInclusive]).toEqual(['m', 'p', 'p', undefined]);
    expect(m.tabletsOf('t').map((e) => e.id)).toEqual(['a', 'c1', 'c2']);
    expect(m.get('c')).toBeUndefined();
    expect(m.containing('t', b('p'))?.id).toBe('c1');
    expect(m.containing('t', b('pa'))?.id).toBe('c2');
  });

  it('forgets a table with its last tablet', () => {
    const m = new TabletMap();
    m.add(entry('a'));
    expect(m.remove('a')?.id).toBe('a');
    expect(m.hasTable('t')).toBe(false);
    expect(m.remove('a')).toBeUndefined();
  });
});
