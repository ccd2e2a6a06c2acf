import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes, compareCellKeys, compareNumbers, intervalContains, type Cell, type Interval } from '@kdi/primitives';
import { compilePredicate, filterCells } from './evaluator.js';
import { parsePredicate } from './parser.js';
import type { Predicate } from './predicate.js';

const b = (s: string) => Buffer.from(s, 'utf8');
const put = (row: string, column: string, timestamp: number, value = `${row}/${column}@${timestamp}`): Cell => ({
  row: b(row),
  column: b(column),
  timestamp,
  value: b(value),
});
const erase = (row: string, column: string, timestamp: number): Cell => ({ row: b(row), column: b(column), timestamp, value: null });
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
/** Renders cells compactly so expectations read like the data. */
const show = (cells: readonly Cell[]) => cells.map((c) => `${text(c.row)}/${text(c.column)}@${c.timestamp}=${c.value === null ? 'ERASED' : text(c.value)}`);

describe('compilePredicate', () => {
  it('matches rows, columns and times against their sets', () => {
    const compiled = compilePredicate(parsePredicate("row ~= 'com.foo' or row = 'org' and 'a' < column <= 'c' and time < @0 or time >= @100"));
    expect(compiled.matchesRow(b('com.foo'))).toBe(true);
    expect(compiled.matchesRow(b('com.foo/x'))).toBe(true);
    expect(compiled.matchesRow(b('com.fop'))).toBe(false);
    expect(compiled.matchesRow(b('org'))).toBe(true);
    expect(compiled.matchesRow(b('org.x'))).toBe(false);
    expect(compiled.matchesColumn(b('a'))).toBe(false);
    expect(compiled.matchesColumn(b('a:x'))).toBe(true);
    expect(compiled.matchesColumn(b('c'))).toBe(true);
    expect(compiled.matchesColumn(b('c:x'))).toBe(false);
    expect(compiled.matchesTime(-1)).toBe(true);
    expect(compiled.matchesTime(0)).toBe(false);
    expect(compiled.matchesTime(99)).toBe(false);
    expect(compiled.matchesTime(100)).toBe(true);
  });

  it('admits everything for a missing set and nothing for an empty list', () => {
    const all = compilePredicate({});
    expect(all.matchesRow(b(''))).toBe(true);
    expect(all.matchesColumn(Buffer.from([0xff]))).toBe(true);
    expect(all.matchesTime(Number.MIN_SAFE_INTEGER)).toBe(true);
    expect(compilePredicate({ rows: [] }).matchesRow(b('a'))).toBe(false);
  });

  it('rejects a zero or fractional history', () => {
    expect(() => compilePredicate({ history: 0 })).toThrow(RangeError);
    expect(() => compilePredicate({ history: 0.5 })).toThrow(RangeError);
  });
});

describe('filterCells', () => {
  const cells: Cell[] = [
    put('a', 'f:x', 30),
    put('a', 'f:x', 20),
    put('a', 'f:x', 10),
    put('a', 'f:y', 5),
    put('b', 'f:x', 40),
    erase('b', 'f:x', 30),
    put('b', 'f:x', 20),
    put('c', 'g', 7),
  ];

  it('returns every live cell in order for the empty predicate, hiding erasures', () => {
    expect(show(filterCells(cells, {}))).toStrictEqual([
      'a/f:x@30=a/f:x@30',
      'a/f:x@20=a/f:x@20',
      'a/f:x@10=a/f:x@10',
      'a/f:y@5=a/f:y@5',
      'b/f:x@40=b/f:x@40',
      'b/f:x@20=b/f:x@20',
      'c/g@7=c/g@7',
    ]);
  });

  it('filters by row, column and time', () => {
    expect(show(filterCells(cells, parsePredicate("row = 'a' and column = 'f:x' and time <= @20")))).toStrictEqual(['a/f:x@20=a/f:x@20', 'a/f:x@10=a/f:x@10']);
    expect(show(filterCells(cells, parsePredicate("column ~= 'g'")))).toStrictEqual(['c/g@7=c/g@7']);
    expect(filterCells(cells, parsePredicate("row > 'c'"))).toStrictEqual([]);
  });

  it('history = K keeps the newest K versions per (row, column), not counting erased ones', () => {
    expect(show(filterCells(cells, parsePredicate('history = 1')))).toStrictEqual(['a/f:x@30=a/f:x@30', 'a/f:y@5=a/f:y@5', 'b/f:x@40=b/f:x@40', 'c/g@7=c/g@7']);
    expect(show(filterCells(cells, parsePredicate("row = 'b' and history = 2")))).toStrictEqual(['b/f:x@40=b/f:x@40', 'b/f:x@20=b/f:x@20']);
  });

  it('history applies after the time filter', () => {
    expect(show(filterCells(cells, parsePredicate('time < @25 and history = 1')))).toStrictEqual(['a/f:x@20=a/f:x@20', 'a/f:y@5=a/f:y@5', 'b/f:x@20=b/f:x@20', 'c/g@7=c/g@7']);
  });

  it('history = -K drops the newest K versions and returns the rest', () => {
    expect(show(filterCells(cells, parsePredicate('history = -1')))).toStrictEqual(['a/f:x@20=a/f:x@20', 'a/f:x@10=a/f:x@10', 'b/f:x@20=b/f:x@20']);
    expect(show(filterCells(cells, parsePredicate('time <= @20 and history = -1')))).toStrictEqual(['a/f:x@10=a/f:x@10']);
    expect(filterCells(cells, parsePredicate('history = -3'))).toStrictEqual([]);
  });

  it('lets the first of duplicate keys win, whether value or erasure', () => {
    const merged: Cell[] = [
      put('r', 'c', 9, 'newest'),
      put('r', 'c', 9, 'older'),
      erase('r', 'c', 9),
      erase('r', 'c', 8),
      put('r', 'c', 8, 'resurrected?'),
      put('r', 'c', 7, 'kept'),
    ];
    expect(show(filterCells(merged, {}))).toStrictEqual(['r/c@9=newest', 'r/c@7=kept']);
    expect(show(filterCells(merged, parsePredicate('history = 1')))).toStrictEqual(['r/c@9=newest']);
    expect(show(filterCells(merged, parsePredicate('time < @9 and history = 1')))).toStrictEqual(['r/c@7=kept']);
  });

  it('an erasure hides only its own timestamp', () => {
    expect(show(filterCells([put('r', 'c', 3), erase('r', 'c', 2), put('r', 'c', 1)], {}))).toStrictEqual(['r/c@3=r/c@3', 'r/c@1=r/c@1']);
  });

  it('accepts a compiled predicate and any iterable', () => {
    function* gen() {
      yield* cells;
    }
    expect(show(filterCells(gen(), compilePredicate(parsePredicate("row = 'c'"))))).toStrictEqual(['c/g@7=c/g@7']);
  });

  it('rejects cells out of key order', () => {
    expect(() => filterCells([put('r', 'c', 1), put('r', 'c', 2)], {})).toThrow(/cell 1 is out of key order/);
    expect(() => filterCells([put('r', 'd', 1), put('r', 'c', 1)], {})).toThrow(RangeError);
    expect(() => filterCells([put('s', 'a', 1), put('r', 'z', 1)], {})).toThrow(RangeError);
  });
});

// A model written independently of filterCells: dedupe keys with a map
// (first wins), drop erasures and non-matching keys, then slice each
// (row, column) group.
function modelFilter(cells: readonly Cell[], p: Predicate): string[] {
  const inSet = <T>(set: readonly Interval<T>[] | undefined, v: T, cmp: (a: T, b: T) => number) => set === undefined || set.some((iv) => intervalContains(iv, v, cmp));
  const firstByKey = new Map<string, Cell>();
  for (const c of cells) {
    const key = `${hex(c.row)}|${hex(c.column)}|${c.timestamp}`;
    if (!firstByKey.has(key)) firstByKey.set(key, c);
  }
  const groups = new Map<string, Cell[]>();
  for (const c of firstByKey.values()) {
    if (c.value === null) continue;
    if (!inSet(p.rows, c.row, compareBytes) || !inSet(p.columns, c.column, compareBytes)) continue;
    if (!inSet(p.times, c.timestamp, compareNumbers)) continue;
    const g = `${hex(c.row)}|${hex(c.column)}`;
    groups.set(g, [...(groups.get(g) ?? []), c]);
  }
  const out: Cell[] = [];
  for (const group of groups.values()) {
    const k = p.history;
    out.push(...(k === undefined ? group : k > 0 ? group.slice(0, k) : group.slice(-k)));
  }
  return show(out.sort(compareCellKeys));
}

describe('filterCells against a model', () => {
  const key = fc.constantFrom('a', 'b', 'c');
  const cell = fc.record({
    row: key,
    column: key,
    timestamp: fc.integer({ min: 0, max: 5 }),
    erased: fc.boolean(),
    value: fc.string({ maxLength: 3 }),
  });
  const literal = key.map((s) => `'${s}'`);
  const rowClause = fc.constantFrom('row', 'column').chain((field) =>
    fc.oneof(
      fc.tuple(literal, fc.constantFrom('<', '<=', '>', '>=', '=', '~=')).map(([l, op]) => `${field} ${op} ${l}`),
      fc.tuple(literal, literal).map(([l, u]) => `${l} <= ${field} < ${u}`),
    ),
  );
  const timeClause = fc.tuple(fc.constantFrom('<', '<=', '>', '>=', '='), fc.integer({ min: 0, max: 5 })).map(([op, t]) => `time ${op} @${t}`);
  const historyClause = fc
    .integer({ min: -3, max: 3 })
    .filter((k) => k !== 0)
    .map((k) => `history = ${k}`);

  it('agrees for random cells and predicates', () => {
    fc.assert(
      fc.property(fc.array(cell, { maxLength: 30 }), fc.option(rowClause), fc.option(timeClause), fc.option(historyClause), (specs, rows, times, history) => {
        const cells = specs.map((s) => (s.erased ? erase(s.row, s.column, s.timestamp) : put(s.row, s.column, s.timestamp, s.value))).sort(compareCellKeys); // stable: duplicates keep generated order
        const p = parsePredicate([rows, times, history].filter((c) => c !== null).join(' and '));
        expect(show(filterCells(cells, p))).toStrictEqual(modelFilter(cells, p));
      }),
    );
  });
});
