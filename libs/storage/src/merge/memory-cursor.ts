import { compareCellKeys, type Cell } from '@kdi/primitives';
import type { MemoryFragment } from '../memory/memory-fragment.js';
import type { Cursor } from './cursor.js';

/**
 * Cursor over a memory fragment that may still take inserts. Positions are
 * re-found from the current key when the fragment changed (see
 * MemoryFragment), so concurrent writes never make it repeat or skip.
 */
export class MemoryCursor implements Cursor {
  cell: Cell | undefined;
  private ci = 0;
  private i = 0;
  private version: number;

  constructor(private readonly fragment: MemoryFragment) {
    this.version = fragment.version;
    this.cell = fragment.at(0, 0);
  }

  next(): void {
    const current = this.cell;
    if (current === undefined) return;
    if (this.version !== this.fragment.version) {
      this.version = this.fragment.version;
      [this.ci, this.i] = this.fragment.seek(current);
      const at = this.fragment.at(this.ci, this.i);
      if (at !== undefined && compareCellKeys(at, current) === 0) [this.ci, this.i] = this.fragment.step(this.ci, this.i);
    } else {
      [this.ci, this.i] = this.fragment.step(this.ci, this.i);
    }
    this.cell = this.fragment.at(this.ci, this.i);
  }

  seek(key: Cell): void {
    this.version = this.fragment.version;
    [this.ci, this.i] = this.fragment.seek(key);
    this.cell = this.fragment.at(this.ci, this.i);
  }
}
