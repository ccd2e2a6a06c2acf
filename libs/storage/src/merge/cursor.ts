// A cursor walks one sorted source of cells (a memory or disk fragment).
// next() and seek() return a promise only when they had to do I/O, so the
// merge loop runs synchronously through cached blocks and memory and pays
// for an await only at a block boundary.

import type { Cell } from '@kdi/primitives';

export interface Cursor {
  /** The current cell, or undefined at the end. */
  readonly cell: Cell | undefined;
  /** Moves past the current cell. */
  next(): Promise<void> | void;
  /** Moves to the first cell whose key is ≥ `key`. */
  seek(key: Cell): Promise<void> | void;
}
