// The key order of cells (DESIGN §2): row ascending, column ascending (both
// as unsigned bytes), timestamp descending — newest first.

import type { Cell } from './cell.js';

/** Unsigned byte-wise comparison: negative, 0 or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a === b) return 0;
  return Buffer.compare(a, b);
}

/** The key of a cell: what orders it and makes it unique. */
export type CellKey = Pick<Cell, 'row' | 'column' | 'timestamp'>;

/** Negative when a sorts before b in key order, 0 when the keys are equal. */
export function compareCellKeys(a: CellKey, b: CellKey): number {
  return compareBytes(a.row, b.row) || compareBytes(a.column, b.column) || b.timestamp - a.timestamp;
}
