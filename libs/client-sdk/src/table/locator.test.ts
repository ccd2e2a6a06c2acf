import { tabletRowKey } from '@kdi/protocol';
import { describe, expect, it } from 'vitest';
import { parseTabletRows } from './locator.js';

const b = (s: string) => Buffer.from(s);
const loc = (url: string) => b(JSON.stringify({ serverId: url, url, epoch: 3 }));
const metaCell = (row: Uint8Array, column: string, value: Uint8Array) => ({ row, column: b(column), timestamp: 0, value });

describe('parseTabletRows (META cells → tablet ranges)', () => {
  it('reads first: and location: of each tablet row; the last tablet has no upper bound', () => {
    const cells = [
      metaCell(tabletRowKey('t', b('g')), 'first:', b('')),
      metaCell(tabletRowKey('t', b('g')), 'location:', loc('http://1')),
      metaCell(tabletRowKey('t', undefined), 'first:', b('g')),
      metaCell(tabletRowKey('t', undefined), 'location:', loc('http://2')),
    ];
    const ranges = parseTabletRows('t', cells, true);
    expect(
      ranges.map((r) => [r.lowerExclusive && Buffer.from(r.lowerExclusive).toString(), r.upperInclusive && Buffer.from(r.upperInclusive).toString(), r.location?.url]),
    ).toEqual([
      [undefined, 'g', 'http://1'],
      ['g', undefined, 'http://2'],
    ]);
  });

  it('keeps an unassigned tablet without location, skips other tables, and drops a row a page may have cut', () => {
    const cells = [
      metaCell(tabletRowKey('t', b('a')), 'first:', b('')),
      metaCell(tabletRowKey('t', b('k')), 'first:', b('a')),
      metaCell(tabletRowKey('t', b('k')), 'location:', loc('http://1')),
      metaCell(tabletRowKey('t', b('z')), 'first:', b('k')),
    ];
    const ranges = parseTabletRows('t', cells, false);
    expect(ranges.map((r) => r.location?.url)).toEqual([undefined, 'http://1']);
    expect(parseTabletRows('u', cells, true)).toEqual([]);
  });

  it('calls a malformed location: DATA_CORRUPTION', () => {
    const cells = [metaCell(tabletRowKey('t', undefined), 'location:', b('{"url":1}'))];
    expect(() => parseTabletRows('t', cells, true)).toThrow(expect.objectContaining({ code: 'DATA_CORRUPTION' }));
  });
});
