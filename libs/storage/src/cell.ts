// The cell model as the engine sees it (DESIGN §2). Rows and columns are
// byte strings compared as unsigned bytes; timestamps are safe integers
// (microseconds by convention) ordered newest first. An erasure is a cell
// whose value is null: it hides exactly that (row, column, timestamp) in
// older fragments.

export interface Cell {
  readonly row: Uint8Array;
  readonly column: Uint8Array;
  readonly timestamp: number;
  /** null marks an erasure. */
  readonly value: Uint8Array | null;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Key order: row ascending, column ascending, timestamp descending. */
export function compareKeys(a: Cell, b: Cell): number {
  const r = Buffer.compare(a.row, b.row);
  if (r !== 0) return r;
  const c = Buffer.compare(a.column, b.column);
  if (c !== 0) return c;
  return b.timestamp - a.timestamp;
}

export function sameKey(a: Cell, b: Cell): boolean {
  return a.timestamp === b.timestamp && Buffer.compare(a.row, b.row) === 0 && Buffer.compare(a.column, b.column) === 0;
}

/** The family of a column: the bytes before the first ':' (all of it if none). */
export function familyOf(column: Uint8Array): Uint8Array {
  const i = column.indexOf(0x3a);
  return i < 0 ? column : column.subarray(0, i);
}

/** Approximate bytes a cell occupies, used for budgets and sizes. */
export function cellSize(c: Cell): number {
  return c.row.length + c.column.length + 8 + (c.value?.length ?? 0) + 8;
}
