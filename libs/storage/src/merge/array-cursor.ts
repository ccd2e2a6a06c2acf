import { compareCellKeys, type Cell } from '@kdi/primitives';
import type { Cursor } from './cursor.js';

/** Cursor over an array of cells already in key order (no duplicates). */
export class ArrayCursor implements Cursor {
  cell: Cell | undefined;
  private i = 0;

  constructor(private readonly cells: readonly Cell[]) {
    this.cell = cells[0];
  }

  next(): void {
    this.cell = this.cells[++this.i];
  }

  seek(key: Cell): void {
    let lo = 0;
    let hi = this.cells.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareCellKeys(this.cells[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.i = lo;
    this.cell = this.cells[lo];
  }
}
