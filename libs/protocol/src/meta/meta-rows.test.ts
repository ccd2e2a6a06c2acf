import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMetaRow, parseTabletConfig, type TabletConfig, tableRowKey, tabletConfigCells, tabletRowKey, tabletRowsOf } from './meta-rows.js';

const tableName = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/).filter((t) => t !== '.' && t !== '..');
const bytes = fc.uint8Array({ minLength: 0, maxLength: 12 }).map((a) => Buffer.from(a));

describe('META row keys', () => {
  it("a table's rows are contiguous and ordered: table row, tablets by lastRow, then the last tablet", () => {
    fc.assert(
      fc.property(tableName, tableName, bytes, bytes, (t1, t2, r1, r2) => {
        const tableRow = tableRowKey(t1);
        const a = tabletRowKey(t1, r1);
        const last = tabletRowKey(t1, undefined);
        expect(Buffer.compare(tableRow, a)).toBeLessThan(0);
        expect(Buffer.compare(a, last)).toBeLessThan(0);
        expect(Math.sign(Buffer.compare(tabletRowKey(t1, r1), tabletRowKey(t1, r2)))).toBe(Math.sign(Buffer.compare(r1, r2)));
        if (t1 !== t2) {
          // Every row of t2 lies wholly before or wholly after t1's rows.
          const { first, last: end } = tabletRowsOf(t1);
          const other = [tableRowKey(t2), tabletRowKey(t2, r2), tabletRowKey(t2, undefined)];
          const before = other.map((k) => Buffer.compare(k, first) < 0);
          const after = other.map((k) => Buffer.compare(k, end) > 0);
          expect(before.every(Boolean) || after.every(Boolean)).toBe(true);
        }
      }),
    );
  });

  it('parses keys back and refuses malformed ones', () => {
    expect(parseMetaRow(tableRowKey('webtable'))).toEqual({ kind: 'table', table: 'webtable' });
    expect(parseMetaRow(tabletRowKey('webtable', undefined))).toEqual({ kind: 'tablet', table: 'webtable', upperInclusive: undefined });
    const p = parseMetaRow(tabletRowKey('webtable', Buffer.from('com.cnn')));
    expect(p?.kind === 'tablet' && Buffer.from(p.upperInclusive!).toString()).toBe('com.cnn');
    expect(parseMetaRow(Buffer.from('bad/name x'))).toBeUndefined();
    expect(parseMetaRow(Buffer.from('t!x'))).toBeUndefined();
    expect(() => tabletRowKey('../x', undefined)).toThrow(/must be 1-128 characters/);
  });
});

describe('tablet configs as META cells', () => {
  const config: TabletConfig = {
    table: 'webtable',
    lowerExclusive: Buffer.from('com.a'),
    upperInclusive: Buffer.from('com.m'),
    location: { serverId: 'ts-1', url: 'http://127.0.0.1:7101', epoch: 7 },
    logs: [{ dir: '/data/ts-1/disk0/kdi/log', fromSegment: 7 }],
    fragments: { default: ['/data/ts-1/disk0/kdi/tables/webtable/t1/00000001.frag'], anchors: [] },
    state: 'serving',
  };

  it('round-trips through cells', () => {
    const cells = tabletConfigCells(config);
    const row = tabletRowKey('webtable', Buffer.from('com.m'));
    expect(cells.every((c) => Buffer.compare(c.row, row) === 0 && c.timestamp === 0)).toBe(true);
    expect(parseTabletConfig(row, cells)).toEqual(config);
  });

  it('erases what a new config no longer has', () => {
    const cleanUnload: TabletConfig = { ...config, logs: [], location: undefined, fragments: { default: [] } };
    const cells = tabletConfigCells(cleanUnload, ['default', 'anchors']);
    const erased = cells.filter((c) => c.value === null).map((c) => Buffer.from(c.column).toString());
    expect(erased.sort()).toEqual(['fragments:anchors', 'location:', 'log:']);
    const row = tabletRowKey('webtable', Buffer.from('com.m'));
    expect(parseTabletConfig(row, cells)).toEqual({ ...cleanUnload });
  });

  it('takes the newest version of a column and names the row and column of a malformed value', () => {
    const row = tabletRowKey('webtable', undefined);
    const at = (column: string, value: string, timestamp = 0) => ({ row, column: Buffer.from(column), timestamp, value: Buffer.from(value) });
    const cfg = parseTabletConfig(row, [at('state:', 'serving', 2), at('state:', 'loading', 1)]);
    expect(cfg.state).toBe('serving');
    expect(cfg.upperInclusive).toBeUndefined();
    expect(() => parseTabletConfig(row, [at('location:', '{"serverId":1}')])).toThrow(/META row "webtable!" column location:: expected/);
    expect(() => parseTabletConfig(row, [at('fragments:default', 'nope')])).toThrow(/not JSON/);
    expect(() => parseTabletConfig(tableRowKey('webtable'), [])).toThrow(/not a tablet row/);
    // log: entries: {dir, fromSegment}, or a bare directory meaning "from the start".
    expect(parseTabletConfig(row, [at('log:', '["/a/log",{"dir":"/b/log","fromSegment":4}]')]).logs).toEqual([
      { dir: '/a/log', fromSegment: 0 },
      { dir: '/b/log', fromSegment: 4 },
    ]);
    expect(() => parseTabletConfig(row, [at('log:', '[{"dir":"/b/log","fromSegment":-1}]')])).toThrow(/column log:: expected a list of \{dir, fromSegment\}/);
  });
});
