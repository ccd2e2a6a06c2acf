import { describe, expect, it } from 'vitest';
import { compareCellKeys, type Cell } from '@kdi/primitives';
import { MemoryCursor } from '../merge/memory-cursor.js';
import { MemoryFragment } from './memory-fragment.js';

const b = (s: string) => Buffer.from(s);
const cell = (row: string, column: string, timestamp: number, value: string | null = 'v'): Cell => ({
  row: b(row),
  column: b(column),
  timestamp,
  value: value === null ? null : b(value),
});

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

describe('MemoryFragment', () => {
  it('keeps random inserts sorted and replaces equal keys', () => {
    const m = new MemoryFragment(1);
    const model = new Map<string, Cell>();
    const r = rng(7);
    for (let i = 0; i < 5000; i++) {
      const c = cell(`r${Math.floor(r() * 300)}`, `f:${Math.floor(r() * 5)}`, Math.floor(r() * 4), `v${i}`);
      m.insert(c);
      model.set(`${c.row}|${c.column}|${c.timestamp}`, c);
    }
    const got = [...m.cells()];
    const want = [...model.values()].sort(compareCellKeys);
    expect(got.length).toBe(want.length);
    expect(m.cellCount).toBe(want.length);
    got.forEach((c, i) => expect(c).toBe(want[i]));
  });

  it('orders timestamps newest first and keeps erasures', () => {
    const m = new MemoryFragment(1);
    m.insert(cell('a', 'c', 1));
    m.insert(cell('a', 'c', 3, null));
    m.insert(cell('a', 'c', 2));
    expect([...m.cells()].map((c) => [c.timestamp, c.value === null])).toEqual([
      [3, true],
      [2, false],
      [1, false],
    ]);
  });

  it('a cursor neither repeats nor skips keys while inserts happen', () => {
    const m = new MemoryFragment(1);
    for (let i = 0; i < 2000; i += 2) m.insert(cell(String(i).padStart(5, '0'), 'c', 0));
    const cur = new MemoryCursor(m);
    const seen: string[] = [];
    let k = 1;
    while (cur.cell) {
      seen.push(Buffer.from(cur.cell.row).toString());
      // Insert odd rows both behind and ahead of the cursor.
      if (k < 2000) m.insert(cell(String(k).padStart(5, '0'), 'c', 0));
      k += 2;
      cur.next();
    }
    const sorted = [...seen].sort();
    expect(seen).toEqual(sorted);
    expect(new Set(seen).size).toBe(seen.length);
    // Every original (even) row was seen.
    for (let i = 0; i < 2000; i += 2) expect(seen).toContain(String(i).padStart(5, '0'));
  });

  it('cellsInRange honours (lower, upper]', () => {
    const m = new MemoryFragment(1);
    for (const r of ['a', 'b', 'c', 'd']) m.insert(cell(r, 'x', 1));
    const rows = [...m.cellsInRange(b('a'), b('c'))].map((c) => Buffer.from(c.row).toString());
    expect(rows).toEqual(['b', 'c']);
  });
});
