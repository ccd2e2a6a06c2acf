// A tap on one tablet's writes, for a migration's delta shipping (DESIGN
// §10, docs/migration.md `delta`): from the moment it is opened, every
// cell the write path puts into memory for the tablet's rows is also
// recorded here, in the order it entered memory; take() hands over what
// was recorded since the last take. The migration source opens it just
// before a serialization (which writes every cell already in memory to
// disk fragments), so "the fragment lists after that serialization" plus
// "every cell taken from the tap" is everything the tablet holds — the
// target can be brought up to date in rounds while writes go on, and at
// the freeze only the last round's cells travel.
//
// Promises:
//  - a cell inserted into memory for a row in the tablet's range (as the
//    tablet was when the tap opened) after openTabletWriteTap returned is
//    returned by exactly one take() (until close), in insertion order —
//    so re-applying the takes in order leaves, per key, the value the
//    source ended with (a key set twice comes back twice, later last);
//  - cells are the memory's own (timestamps as assigned at apply):
//    applying one again is idempotent;
//  - close() stops recording and drops what was not taken (idempotent);
//    a closed tap's take() returns [].

import { type Cell, cellSize } from '@kdi/primitives';
import { rowInRange, type RowRange } from '../merge/row-range.js';

/** What the engine hands the caller of tapTabletWrites. */
export interface TabletWriteTap {
  readonly tabletId: string;
  /** Cells recorded since the tap opened or the last take(), oldest first; the tap keeps recording. */
  take(): Cell[];
  /** Cells and their bytes (cellSize) recorded and not taken yet. */
  readonly pendingCells: number;
  readonly pendingBytes: number;
  /** Stops recording; idempotent. */
  close(): void;
}

/** The write path's side: the table's taps are fed every batch it inserts into memory. */
export interface WriteTapSink {
  record(cells: readonly Cell[]): void;
}

export class TabletWriteTapImpl implements TabletWriteTap, WriteTapSink {
  private cells: Cell[] = [];
  private bytes = 0;
  private closed = false;

  constructor(
    readonly tabletId: string,
    private readonly range: RowRange,
    private readonly onClose: (tap: TabletWriteTapImpl) => void,
  ) {}

  get pendingCells(): number {
    return this.cells.length;
  }

  get pendingBytes(): number {
    return this.bytes;
  }

  record(cells: readonly Cell[]): void {
    if (this.closed) return;
    for (const c of cells) {
      if (!rowInRange(c.row, this.range)) continue;
      this.cells.push(c);
      this.bytes += cellSize(c);
    }
  }

  take(): Cell[] {
    const out = this.cells;
    this.cells = [];
    this.bytes = 0;
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cells = [];
    this.bytes = 0;
    this.onClose(this);
  }
}
