// Approximate cells and bytes a predicate touches in a tablet (DESIGN §4
// `stat`), without reading data blocks: whole disk blocks overlapping the
// rows (skipping those the time range or family mask rules out) plus a
// walk of the memory fragments. Overwritten and erased versions count too.

import { belowUpperBound, cellSize, compareBytes, type Interval } from '@kdi/primitives';
import type { FragmentReader } from '../fragment/fragment-reader.js';
import { rowSuccessorKey, seekKey, type MemoryFragment } from '../memory/memory-fragment.js';
import { type CompiledScanSpec, matchesColumn, matchesTime } from '../scan/scan-spec.js';

export interface TabletStat {
  /** Approximate cells and bytes the predicate would touch, from block indexes and memory. */
  readonly cells: number;
  readonly bytes: number;
}

/** `rows`: the predicate's row intervals already cut to the tablet's range. */
export function statSources(readers: readonly FragmentReader[], memories: readonly MemoryFragment[], rows: readonly Interval<Uint8Array>[], c: CompiledScanSpec): TabletStat {
  let cells = 0;
  let bytes = 0;
  for (const r of readers) {
    for (const iv of rows) {
      for (let b = iv.lower ? r.seekBlock(iv.lower.value) : 0; b < r.blockCount; b++) {
        const m = r.blockMeta(b);
        const skip = m.maxTimestamp < c.minTime || m.minTimestamp > c.maxTime || (c.familyMask !== undefined && (m.familyMask & c.familyMask) === 0n);
        if (!skip) {
          cells += m.cellCount;
          bytes += m.rawSize;
        }
        if (iv.upper && Buffer.compare(m.lastRow, iv.upper.value) >= 0) break;
      }
    }
  }
  for (const mem of memories) {
    for (const iv of rows) {
      let [ci, i] = iv.lower ? mem.seek(iv.lower.inclusive ? seekKey(iv.lower.value) : rowSuccessorKey(iv.lower.value)) : [0, 0];
      for (let cell = mem.at(ci, i); cell !== undefined; [ci, i] = mem.step(ci, i), cell = mem.at(ci, i)) {
        if (!belowUpperBound(cell.row, iv, compareBytes)) break;
        if (!matchesColumn(c, cell.column) || !matchesTime(c, cell.timestamp)) continue;
        cells++;
        bytes += cellSize(cell);
      }
    }
  }
  return { cells, bytes };
}
