// Reading one row without the scan machinery (issue 12: a point read was a
// full predicate scan of one row — spec compiled, every source opened as a
// cursor, a merge heap, a page). The short path applies to a tablet with
// one wildcard locality group, no purge policy and no legacy fragments:
//
//   every memory fragment holding the row, and every fragment of the chain
//   whose bloom filter admits it, gives the row's cells — a memory fragment
//   in place, a disk fragment from the one block its index names (found by
//   the block's row hash table) and the blocks after it while the row goes
//   on; with one source that is the answer, with several they are merged,
//   the newest source winning on equal keys (as the scan's merge does);
//   then `history` keeps the newest K per column.
//
// A row with an erasure in any source returns undefined (the general scan
// knows what it hides), as does every tablet outside the case above: the
// caller then runs the scan, whose answer this path must equal (a
// differential test checks it on random histories). Cached blocks and
// memory are read in the calling step; only a block to load makes it wait.

import { compareBytes, compareCellKeys, type Cell } from '@kdi/primitives';
import { rowInRange } from '../merge/row-range.js';
import type { MemoryFragment } from '../memory/memory-fragment.js';
import type { DecodedBlock } from '../fragment/data-block.js';
import type { DiskFragment } from './disk-fragment.js';
import type { Table, Tablet } from './tablet.js';

const EMPTY = new Uint8Array(0);

/** A source's cells of the row (key order), or undefined for an erasure among them. */
type RowRun = Cell[] | undefined;

/** What a disk fragment gives at once: its run, NOT_CACHED (with cachedOnly), or a promise of the run. */
const NOT_CACHED = Symbol('not cached');

/**
 * The row's cells in key order (with `history` K > 0, the newest K per
 * column), or undefined when the short path does not apply. Synchronous
 * when the row's sources are memory or cached blocks (no promise, no
 * await: most warm reads); a promise only when a block must be read —
 * or, with `cachedOnly`, undefined then (no I/O started).
 */
export function readRowFast(t: Tablet, table: Table, row: Uint8Array, history?: number, cachedOnly = false): Cell[] | undefined | Promise<Cell[] | undefined> {
  if (history !== undefined && !(Number.isSafeInteger(history) && history > 0)) return undefined;
  if (!t.routing.single || t.routing.groups[0]!.purge !== undefined || t.legacy.length > 0 || t.readGate !== undefined) return undefined;
  if (!rowInRange(row, t.range)) return undefined;
  // Newest source first, as the scan orders them (tablet-reads.ts): active memory, frozen memory newest first, the chain newest first.
  const runs: RowRun[] = [];
  const memory = memoryRow(table.active, row);
  if (memory === undefined) return undefined;
  if (memory.length > 0) runs.push(memory);
  for (let i = table.frozen.length - 1; i >= 0; i--) {
    const cells = memoryRow(table.frozen[i]!, row);
    if (cells === undefined) return undefined;
    if (cells.length > 0) runs.push(cells);
  }
  const fragments = t.chains[0]!.fragments;
  let waits: Array<Promise<RowRun>> | undefined;
  for (let j = fragments.length - 1; j >= 0; j--) {
    const f = fragments[j]!;
    if (!f.reader.mayContainRow(row)) continue;
    const run = fragmentRow(f, row, cachedOnly);
    if (run === NOT_CACHED) return undefined;
    if (run instanceof Promise) {
      // Keeps the source order: the run is filled in when it arrives.
      const at = runs.push(undefined) - 1;
      const filled = run.then((r) => (runs[at] = r));
      // An older source may still send the read to the scan (an erasure, below) and leave this
      // read behind: its failure is then nobody's (not an unhandled rejection); Promise.all sees it otherwise.
      filled.catch(() => undefined);
      (waits ??= []).push(filled);
      continue;
    }
    if (run === undefined) return undefined;
    if (run.length > 0) runs.push(run);
  }
  if (waits === undefined) return answer(runs, history);
  return Promise.all(waits).then(() => answer(runs, history));
}

/** The merged runs with `history` applied, or undefined when a run held an erasure. */
function answer(runs: readonly RowRun[], history: number | undefined): Cell[] | undefined {
  if (runs.some((r) => r === undefined)) return undefined;
  const cells = runs.length === 0 ? [] : runs.length === 1 ? runs[0]! : mergeRuns(runs as Cell[][]);
  return history === undefined ? cells : newestPerColumn(cells, history);
}

/** The runs (newest source first) as one key-ordered list; on equal keys the newest source's cell. */
function mergeRuns(runs: readonly Cell[][]): Cell[] {
  const tagged: Array<{ c: Cell; source: number }> = [];
  runs.forEach((run, source) => {
    for (const c of run) tagged.push({ c, source });
  });
  tagged.sort((a, b) => compareCellKeys(a.c, b.c) || a.source - b.source);
  const out: Cell[] = [];
  for (const { c } of tagged) {
    const prev = out[out.length - 1];
    if (prev === undefined || compareCellKeys(prev, c) !== 0) out.push(c);
  }
  return out;
}

/** The newest `history` cells of each column (cells in key order: a column's cells adjacent, newest first). */
function newestPerColumn(cells: readonly Cell[], history: number): Cell[] {
  const out: Cell[] = [];
  let column: Uint8Array | undefined;
  let versions = 0;
  for (const c of cells) {
    // Equal columns often share one view (data-block.ts).
    if (column === undefined || (c.column !== column && compareBytes(c.column, column) !== 0)) {
      column = c.column;
      versions = 0;
    }
    if (++versions <= history) out.push(c);
  }
  return out;
}

/** The row's cells in memory fragment `m`, read off in place. */
function memoryRow(m: MemoryFragment, row: Uint8Array): RowRun {
  if (m.cellCount === 0) return [];
  let [ci, i] = m.seek({ row, column: EMPTY, timestamp: Number.MAX_SAFE_INTEGER, value: null });
  const out: Cell[] = [];
  for (let c = m.at(ci, i); c !== undefined && compareBytes(c.row, row) === 0; [ci, i] = m.step(ci, i), c = m.at(ci, i)) {
    if (c.value === null) return undefined;
    out.push(c);
  }
  return out;
}

/** The row's cells in disk fragment `f`: at once from cached blocks, else NOT_CACHED (cachedOnly) or a promise. */
function fragmentRow(f: DiskFragment, row: Uint8Array, cachedOnly: boolean): RowRun | typeof NOT_CACHED | Promise<RowRun> {
  const reader = f.reader;
  const out: Cell[] = [];
  let first = true;
  for (let b = reader.seekBlock(row); b < reader.blockCount; b++) {
    const block = reader.cachedBlock(b);
    if (block === undefined) return cachedOnly ? NOT_CACHED : fragmentRowFrom(f, row, out, b, first);
    const r = takeFromBlock(block, row, out, first);
    first = false;
    if (r !== 'more') return r;
  }
  return out;
}

/** fragmentRow from block `b` on, awaiting blocks not cached; the file stays open meanwhile. */
async function fragmentRowFrom(f: DiskFragment, row: Uint8Array, out: Cell[], b: number, first: boolean): Promise<RowRun> {
  f.ref(); // the file stays open while it is read, whatever compaction does meanwhile
  try {
    const reader = f.reader;
    for (; b < reader.blockCount; b++) {
      const block = reader.cachedBlock(b) ?? (await reader.readBlock(b));
      const r = takeFromBlock(block, row, out, first);
      first = false;
      if (r !== 'more') return r;
    }
    return out;
  } finally {
    f.unref();
  }
}

/** Adds the row's cells in one block to `out`: `out` (the row ended), undefined (an erasure), or 'more' (it goes on in the next block). */
function takeFromBlock(block: DecodedBlock, row: Uint8Array, out: Cell[], first: boolean): RowRun | 'more' {
  let i = 0;
  if (first) {
    i = block.rowStart(row);
    if (i < 0) {
      // Not in this block: absent, unless every cell here sorts before the row (then it may start in the next block).
      return block.count > 0 && block.compareKeyAt(block.count - 1, row, undefined, undefined) < 0 ? 'more' : out;
    }
  }
  for (; i < block.count; i++) {
    if (!block.rowEquals(i, row)) return out; // past the row
    const c = block.cell(i);
    if (c.value === null) return undefined;
    out.push(c);
  }
  return 'more';
}
