// A model of a table for scan tests: the live cells in key order (an
// erasure removes its key), filtered with the protocol's reference
// evaluator — what every scan must return, however its pages fall.

import { compareCellKeys, filterCells, parsePredicate, type Cell, type JsonCell } from '@kdi/protocol';
import { seededRandom } from '@kdi/primitives/test-support';

export class TableModel {
  private readonly cells = new Map<string, Cell>();

  apply(batch: readonly JsonCell[]): void {
    for (const c of batch) {
      const cell: Cell = { row: Buffer.from(c.row), column: Buffer.from(c.column), timestamp: c.timestamp, value: 'value' in c ? Buffer.from(c.value) : null };
      const key = `${c.row}\u0000${c.column}\u0000${c.timestamp}`;
      if (cell.value === null) this.cells.delete(key);
      else this.cells.set(key, cell);
    }
  }

  /** The expected result of a scan, as JSON cells (utf8). */
  scan(predicate: string): JsonCell[] {
    const sorted = [...this.cells.values()].sort(compareCellKeys);
    return filterCells(sorted, parsePredicate(predicate)).map((c) => ({
      row: Buffer.from(c.row).toString(),
      column: Buffer.from(c.column).toString(),
      timestamp: c.timestamp,
      value: Buffer.from(c.value!).toString(),
    }));
  }

  rows(): string[] {
    return [...new Set([...this.cells.values()].map((c) => Buffer.from(c.row).toString()))].sort();
  }
}

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
export function prng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T } {
  const next = seededRandom(seed);
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)]! };
}

/** Random cells (about 1 in 8 an erasure of an earlier key) over rows r00..r59. */
export function randomBatch(rand: ReturnType<typeof prng>, n: number, earlier: readonly JsonCell[]): JsonCell[] {
  const out: JsonCell[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    let c: JsonCell;
    if (earlier.length > 0 && rand.int(8) === 0) {
      const e = rand.pick(earlier);
      c = { row: e.row, column: e.column, timestamp: e.timestamp, erase: true };
    } else {
      const row = `r${String(rand.int(60)).padStart(2, '0')}`;
      c = { row, column: rand.pick(['f:1', 'f:2', 'g:x', 'h']), timestamp: 1 + rand.int(6), value: `v${rand.int(1000)}-${'x'.repeat(rand.int(40))}` };
    }
    const key = `${c.row}|${c.column}|${c.timestamp}`;
    if (seen.has(key)) continue; // one batch sets a key once
    seen.add(key);
    out.push(c);
  }
  return out;
}
