// A memory fragment: the sorted, mutable cells written since the last
// serialization (DESIGN §5). Kept as a list of sorted chunks (a two-level
// B-tree): appends in key order are O(1), random inserts are a binary search
// and a splice within one chunk of at most CHUNK_MAX cells. Setting an
// existing key replaces its value (DESIGN §2: the key is unique).
//
// Cursors survive concurrent inserts: every insert bumps `version`, and a
// cursor that sees a new version re-finds its place from the last key it
// returned, so a scan never repeats or skips a key that existed when it
// started (new keys before its position are simply not seen).

import { cellSize, compareCellKeys, type Cell } from '@kdi/primitives';

const CHUNK_MAX = 512;

export class MemoryFragment {
  private chunks: Cell[][] = [[]];
  private _cells = 0;
  private _bytes = 0;
  private _version = 0;
  private _frozen = false;
  minTimestamp = Number.MAX_SAFE_INTEGER;
  /** Oldest log segment holding a record of this fragment (engine bookkeeping for the log floor). */
  oldestLogSegment = Number.POSITIVE_INFINITY;
  /** Highest txn of a batch inserted here (engine bookkeeping for row transactions). */
  maxTxn = 0;
  maxTimestamp = Number.MIN_SAFE_INTEGER;

  constructor(readonly id: number) {}

  get cellCount(): number {
    return this._cells;
  }
  /** Approximate bytes held, for the memory budget. */
  get bytes(): number {
    return this._bytes;
  }
  get version(): number {
    return this._version;
  }
  get frozen(): boolean {
    return this._frozen;
  }
  /** No more inserts: the fragment is being serialized. */
  freeze(): void {
    this._frozen = true;
  }

  insert(cell: Cell): void {
    if (this._frozen) throw new Error(`memory fragment ${this.id} is frozen`);
    this._version++;
    if (cell.timestamp < this.minTimestamp) this.minTimestamp = cell.timestamp;
    if (cell.timestamp > this.maxTimestamp) this.maxTimestamp = cell.timestamp;
    const chunks = this.chunks;
    let ci = chunks.length - 1;
    let chunk = chunks[ci]!;
    const last = chunk[chunk.length - 1];
    if (last === undefined || compareCellKeys(cell, last) > 0) {
      chunk.push(cell); // fast path: append in key order
      this.added(cell, ci);
      return;
    }
    ci = this.chunkFor(cell);
    chunk = chunks[ci]!;
    const pos = lowerBound(chunk, cell);
    const at = chunk[pos];
    if (at !== undefined && compareCellKeys(at, cell) === 0) {
      this._bytes += cellSize(cell) - cellSize(at);
      chunk[pos] = cell;
      return;
    }
    chunk.splice(pos, 0, cell);
    this.added(cell, ci);
  }

  private added(cell: Cell, ci: number): void {
    this._cells++;
    this._bytes += cellSize(cell) + 48;
    const chunk = this.chunks[ci]!;
    if (chunk.length > CHUNK_MAX) {
      this.chunks.splice(ci + 1, 0, chunk.splice(CHUNK_MAX >> 1));
    }
  }

  /** Index of the chunk that holds (or would hold) `key`. */
  private chunkFor(key: Cell): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    // Last chunk whose first cell ≤ key.
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const first = chunks[mid]![0]!;
      if (compareCellKeys(first, key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Position of the first cell ≥ key, as [chunk, index]. */
  seek(key: Cell): [number, number] {
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci]!;
    const i = lowerBound(chunk, key);
    if (i < chunk.length || ci === this.chunks.length - 1) return [ci, i];
    return [ci + 1, 0];
  }

  /**
   * The highest txn of the cells of `row` held here (cells decoded from
   * the log carry their batch's txn, log-batch.ts); 0 when the row has no
   * cell here or none carries a txn. For row-transaction checks (rare):
   * a seek, then the row's cells.
   */
  maxTxnOfRow(row: Uint8Array): number {
    // The smallest key of the row: empty column, highest timestamp (key order puts it first).
    let [ci, i] = this.seek({ row, column: EMPTY, timestamp: Number.MAX_SAFE_INTEGER, value: null });
    let max = 0;
    for (;;) {
      const c = this.chunks[ci]?.[i] as (Cell & { readonly txn?: number }) | undefined;
      if (c === undefined || Buffer.compare(c.row, row) !== 0) return max;
      if (c.txn !== undefined && c.txn > max) max = c.txn;
      [ci, i] = this.step(ci, i);
    }
  }

  /** The cell at a position, or undefined at the end. */
  at(ci: number, i: number): Cell | undefined {
    return this.chunks[ci]?.[i];
  }

  /** Advances a position by one; returns the new [chunk, index]. */
  step(ci: number, i: number): [number, number] {
    if (i + 1 < this.chunks[ci]!.length) return [ci, i + 1];
    return [ci + 1, 0];
  }

  /** Every cell in key order (for serialization and tests). */
  *cells(): IterableIterator<Cell> {
    for (const chunk of this.chunks) yield* chunk;
  }

  /** Cells with row in (lowerExclusive, upperInclusive], in key order. */
  *cellsInRange(lowerExclusive: Uint8Array | undefined, upperInclusive: Uint8Array | undefined): IterableIterator<Cell> {
    let ci = 0;
    let i = 0;
    if (lowerExclusive) [ci, i] = this.seek(rowSuccessorKey(lowerExclusive));
    for (;;) {
      const c = this.at(ci, i);
      if (c === undefined) return;
      if (upperInclusive && Buffer.compare(c.row, upperInclusive) > 0) return;
      yield c;
      [ci, i] = this.step(ci, i);
    }
  }
}

const EMPTY = new Uint8Array(0);

/** The smallest key of the first row after `row`. */
export function rowSuccessorKey(row: Uint8Array): Cell {
  const next = new Uint8Array(row.length + 1);
  next.set(row);
  return { row: next, column: EMPTY, timestamp: Number.MAX_SAFE_INTEGER, value: null };
}

/** The smallest key of `row` at or after `column`. */
export function seekKey(row: Uint8Array, column: Uint8Array = EMPTY): Cell {
  return { row, column, timestamp: Number.MAX_SAFE_INTEGER, value: null };
}

function lowerBound(chunk: Cell[], key: Cell): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareCellKeys(chunk[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
