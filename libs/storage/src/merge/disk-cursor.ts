import type { Cell } from '@kdi/primitives';
import type { DecodedBlock, FragmentReader } from '../fragment/fragment-reader.js';
import type { Cursor } from './cursor.js';

/** Which blocks a scan can skip without reading (time range, family mask). */
export interface BlockFilter {
  readonly minTime: number;
  readonly maxTime: number;
  /** undefined: every family may be wanted. */
  readonly familyMask: bigint | undefined;
}

/**
 * Cursor over an immutable disk fragment, one decoded block at a time.
 * Blocks the filter proves useless are never read.
 */
export class DiskCursor implements Cursor {
  cell: Cell | undefined;
  private block: DecodedBlock | undefined;
  private blockIndex = -1;
  private i = 0;

  private constructor(
    private readonly reader: FragmentReader,
    private readonly filter: BlockFilter | undefined,
  ) {}

  /** A cursor positioned at the first cell ≥ key (or the fragment's first cell). */
  static async open(reader: FragmentReader, filter: BlockFilter | undefined, key?: Cell): Promise<DiskCursor> {
    const c = new DiskCursor(reader, filter);
    const p = key ? c.seek(key) : c.loadFrom(0, undefined);
    if (p) await p;
    return c;
  }

  private wanted(b: number): boolean {
    const f = this.filter;
    if (!f) return true;
    const m = this.reader.blockMeta(b);
    if (m.maxTimestamp < f.minTime || m.minTimestamp > f.maxTime) return false;
    return f.familyMask === undefined || (m.familyMask & f.familyMask) !== 0n;
  }

  /** Loads the first wanted block at or after `b` and positions at `key` (or its start). */
  private loadFrom(b: number, key: Cell | undefined): Promise<void> | void {
    const n = this.reader.blockCount;
    while (b < n && !this.wanted(b)) {
      b++;
      key = undefined;
    }
    if (b >= n) {
      this.block = undefined;
      this.blockIndex = n;
      this.cell = undefined;
      return;
    }
    if (b === this.blockIndex && this.block) return this.position(key);
    const cached = this.reader.cachedBlock(b);
    if (cached) {
      this.block = cached;
      this.blockIndex = b;
      return this.position(key);
    }
    return this.reader.readBlock(b).then((block) => {
      this.block = block;
      this.blockIndex = b;
      return this.position(key);
    });
  }

  private position(key: Cell | undefined): Promise<void> | void {
    const block = this.block!;
    this.i = key ? this.reader.findInBlock(block, key.row, key.column, key.timestamp) : 0;
    if (this.i >= block.count) return this.loadFrom(this.blockIndex + 1, undefined);
    this.cell = block.cell(this.i);
  }

  next(): Promise<void> | void {
    const block = this.block;
    if (!block) return;
    if (++this.i < block.count) {
      this.cell = block.cell(this.i);
      return;
    }
    return this.loadFrom(this.blockIndex + 1, undefined);
  }

  seek(key: Cell): Promise<void> | void {
    const b = this.reader.seekBlock(key.row, key.column, key.timestamp);
    return this.loadFrom(b, key);
  }
}
