// The cell model of DESIGN §2 and its key order, as every package sees it
// (the wire codecs, the engine, the servers). Rows, columns and values are
// bytes (Uint8Array; Buffers at run time) compared as unsigned bytes;
// timestamps are safe integers (microseconds by convention) ordered newest
// first. An erasure is a cell whose value is null: it hides exactly that
// (row, column, timestamp) in older data.

export interface Cell {
  readonly row: Uint8Array;
  readonly column: Uint8Array;
  /** Safe integer, microseconds since the epoch by convention. */
  readonly timestamp: number;
  /** null marks an erasure. */
  readonly value: Uint8Array | null;
}

/** The key of a cell: what orders it and makes it unique. */
export type CellKey = Pick<Cell, 'row' | 'column' | 'timestamp'>;

/**
 * Below this many bytes a JavaScript loop compares faster than a call of
 * Buffer.compare (the native call costs ~50 ns; the loop ~15 ns for a
 * 10-byte key on this machine, docs/benchmarks.md); above it, memcmp wins.
 */
const NATIVE_COMPARE_MIN_BYTES = 32;

/** Unsigned byte-wise comparison: negative, 0 or positive (only the sign means anything). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  if (n >= NATIVE_COMPARE_MIN_BYTES) return Buffer.compare(a, b);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Whether two byte strings are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a === b || (a.length === b.length && compareBytes(a, b) === 0);
}

/**
 * Key order: row ascending, column ascending (both as unsigned bytes),
 * timestamp descending — newest first. Negative when a sorts before b, 0
 * when the keys are equal. The merge heap's and memory inserts' hot path.
 */
export function compareCellKeys(a: CellKey, b: CellKey): number {
  const r = compareBytes(a.row, b.row);
  if (r !== 0) return r;
  const c = compareBytes(a.column, b.column);
  if (c !== 0) return c;
  return b.timestamp - a.timestamp;
}

/** Whether two cells have the same key (row, column and timestamp). */
export function sameKey(a: CellKey, b: CellKey): boolean {
  return a.timestamp === b.timestamp && compareBytes(a.row, b.row) === 0 && compareBytes(a.column, b.column) === 0;
}

/** The family of a column: the bytes before the first ':' (all of it if none). */
export function familyOf(column: Uint8Array): Uint8Array {
  const i = column.indexOf(0x3a);
  return i < 0 ? column : column.subarray(0, i);
}

/** Approximate bytes a cell occupies in memory, used for budgets and sizes. */
export function cellSize(c: Cell): number {
  return c.row.length + c.column.length + 8 + (c.value?.length ?? 0) + 8;
}
