// Reading one row without the scan machinery (issue 12: a point read was a
// full predicate scan of one row — spec compiled, every source opened as a
// cursor, a merge heap, a page). The common case takes a short path:
//
//   one wildcard locality group with no purge policy, no legacy fragments,
//   no memory fragment holding the row, and exactly one fragment of the
//   chain whose bloom filter admits the row
//
// → the fragment's index gives the one block that can hold the row's first
// cell (from the cache without a promise when it is there), a binary search
// in place finds it, and the row's cells are read off in order (into the
// next blocks when the row continues). A row with an erasure among them,
// and every case outside the one above, returns undefined: the caller
// runs the general scan, whose answer this path must equal (a differential
// test checks it on random histories).

import { compareBytes, type Cell } from '@kdi/primitives';
import { rowInRange } from '../merge/row-range.js';
import type { MemoryFragment } from '../memory/memory-fragment.js';
import type { DecodedBlock } from '../fragment/data-block.js';
import type { DiskFragment } from './disk-fragment.js';
import type { Table, Tablet } from './tablet.js';

const EMPTY = new Uint8Array(0);

/**
 * The row's cells in key order (with `history` K > 0, the newest K per
 * column), or undefined when the short path does not apply. Synchronous
 * when the row is in memory or its blocks are cached (no promise, no
 * await: most warm reads); a promise only when a block must be read —
 * or, with `cachedOnly`, undefined then (no I/O started).
 */
export function readRowFast(t: Tablet, table: Table, row: Uint8Array, history?: number, cachedOnly = false): Cell[] | undefined | Promise<Cell[] | undefined> {
  if (history !== undefined && !(Number.isSafeInteger(history) && history > 0)) return undefined;
  if (!t.routing.single || t.routing.groups[0]!.purge !== undefined || t.legacy.length > 0 || t.readGate !== undefined) return undefined;
  if (!rowInRange(row, t.range)) return undefined;
  let inMemory: { m: MemoryFragment; at: [number, number] } | undefined;
  for (const m of [table.active, ...table.frozen]) {
    if (m.cellCount === 0) continue;
    const at = m.seek({ row, column: EMPTY, timestamp: Number.MAX_SAFE_INTEGER, value: null });
    const c = m.at(at[0], at[1]);
    if (c === undefined || compareBytes(c.row, row) !== 0) continue;
    if (inMemory !== undefined) return undefined; // in two memory fragments: the scan merges them
    inMemory = { m, at };
  }
  let only: DiskFragment | undefined;
  for (const f of t.chains[0]!.fragments) {
    if (!f.reader.mayContainRow(row)) continue;
    if (only !== undefined || inMemory !== undefined) return undefined; // two sources to merge: the scan's work
    only = f;
  }
  if (inMemory !== undefined) {
    // Only memory holds the row (just written, not yet serialized): read it off in place.
    const { m } = inMemory;
    let [ci, i] = inMemory.at;
    const take = rowTaker(history);
    for (let c = m.at(ci, i); c !== undefined && compareBytes(c.row, row) === 0; [ci, i] = m.step(ci, i), c = m.at(ci, i)) {
      if (!take.add(c)) return undefined;
    }
    return take.out;
  }
  if (only === undefined) return [];
  // Cached blocks are read in this synchronous step; the first block not cached continues asynchronously.
  const reader = only.reader;
  const take = rowTaker(history);
  let b = reader.seekBlock(row);
  let first = true;
  for (; b < reader.blockCount; b++) {
    const block = reader.cachedBlock(b);
    if (block === undefined) return cachedOnly ? undefined : readRowFrom(only, row, take, b, first);
    const r = takeFromBlock(block, row, take, first);
    first = false;
    if (r !== 'more') return r;
  }
  return take.out;
}

type RowTaker = ReturnType<typeof rowTaker>;

/** Reads the row on from block `b` of `f`, awaiting blocks not cached; the file stays open meanwhile. */
async function readRowFrom(f: DiskFragment, row: Uint8Array, take: RowTaker, b: number, first: boolean): Promise<Cell[] | undefined> {
  f.ref(); // the file stays open while it is read, whatever compaction does meanwhile
  try {
    const reader = f.reader;
    for (; b < reader.blockCount; b++) {
      const block = reader.cachedBlock(b) ?? (await reader.readBlock(b));
      const r = takeFromBlock(block, row, take, first);
      first = false;
      if (r !== 'more') return r;
    }
    return take.out;
  } finally {
    f.unref();
  }
}

/** Takes the row's cells from one block: the row's cells (done), undefined (an erasure), or 'more' (the row goes on in the next block). */
function takeFromBlock(block: DecodedBlock, row: Uint8Array, take: RowTaker, first: boolean): Cell[] | undefined | 'more' {
  let i = 0;
  if (first) {
    i = block.rowStart(row);
    if (i < 0) {
      // Not in this block: absent, unless every cell here sorts before the row (then it may start in the next block).
      return block.count > 0 && block.compareKeyAt(block.count - 1, row, undefined, undefined) < 0 ? 'more' : take.out;
    }
  }
  for (; i < block.count; i++) {
    if (!block.rowEquals(i, row)) return take.out; // past the row
    if (!take.add(block.cell(i))) return undefined;
  }
  return 'more';
}

/**
 * Collects one row's cells, given in key order: with `history` K > 0 only
 * the newest K of each column. add() is false at an erasure (the general
 * scan knows what it hides).
 */
function rowTaker(history: number | undefined): { out: Cell[]; add(c: Cell): boolean } {
  const out: Cell[] = [];
  let column: Uint8Array | undefined;
  let versions = 0;
  return {
    out,
    add(c) {
      if (c.value === null) return false;
      if (history !== undefined) {
        // Cells of one column are adjacent, newest first; equal columns often share one view (data-block.ts).
        if (column === undefined || (c.column !== column && compareBytes(c.column, column) !== 0)) {
          column = c.column;
          versions = 0;
        }
        if (++versions > history) return true;
      }
      out.push(c);
      return true;
    },
  };
}
