// The heart of serialization and compaction: merge sorted sources (newest
// first) into one fragment writer, restricted to a tablet's rows.
//  - equal keys: the newest source wins;
//  - erasures are kept unless `dropErasures` (the window includes the
//    chain's oldest fragment, so nothing older remains for them to hide);
//  - the purge policy drops versions; version-count purges only when
//    `purgeByVersion` (the window is the whole disk chain), because a newer
//    fragment outside the window could hold more versions or erasures.
//    With purgeByVersion false the test is asked with version index 0,
//    which leaves exactly the age part of an 'or' policy (and nothing of an
//    'and' one): compaction never drops a cell a scan would still return;
//  - `keep` restricts the output to one locality group's families.

import { compareBytes, compareCellKeys, type Cell } from '@kdi/primitives';
import type { FragmentWriter } from '../fragment/fragment-writer.js';
import type { Cursor } from '../merge/cursor.js';
import type { RowRange } from '../merge/row-range.js';
import { rowSuccessorKey, seekKey } from '../memory/memory-fragment.js';
import type { PurgeTest } from '../purge/purge-policy.js';

export interface MergeOptions {
  /** Cursors over the sources, newest first (not yet positioned). */
  readonly cursors: readonly Cursor[];
  readonly range: RowRange;
  readonly dropErasures: boolean;
  readonly purge?: PurgeTest | undefined;
  readonly purgeByVersion: boolean;
  /**
   * Which columns the output keeps (a locality group's families); the
   * rest are consumed and dropped. Equal keys share a column, so the
   * newest-wins rule is unaffected.
   */
  readonly keep?: ((column: Uint8Array) => boolean) | undefined;
  readonly writer: FragmentWriter;
}

/** Unwritten block bytes the writer may hold before the merge waits for the disk. */
const WRITER_PENDING_LIMIT = 4 << 20;

export interface MergeStats {
  cellsIn: number;
  cellsOut: number;
}

export async function mergeIntoWriter(o: MergeOptions): Promise<MergeStats> {
  const cursors = o.cursors;
  const start = o.range.lowerExclusive ? rowSuccessorKey(o.range.lowerExclusive) : seekKey(new Uint8Array(0));
  for (const c of cursors) {
    const p = c.seek(start);
    if (p) await p;
  }
  const upper = o.range.upperInclusive;
  const stats: MergeStats = { cellsIn: 0, cellsOut: 0 };
  let groupRow: Uint8Array | undefined;
  let groupColumn: Uint8Array | undefined;
  let version = 0;
  for (;;) {
    let best: Cell | undefined;
    for (const c of cursors) {
      const cell = c.cell;
      if (cell !== undefined && (best === undefined || compareCellKeys(cell, best) < 0)) best = cell;
    }
    if (best === undefined || (upper && compareBytes(best.row, upper) > 0)) break;
    for (const c of cursors) {
      const cell = c.cell;
      if (cell !== undefined && (cell === best || compareCellKeys(cell, best) === 0)) {
        stats.cellsIn++;
        const p = c.next();
        if (p) await p;
      }
    }
    if (o.keep && !o.keep(best.column)) continue;
    if (groupRow === undefined || compareBytes(best.column, groupColumn!) !== 0 || compareBytes(best.row, groupRow) !== 0) {
      groupRow = best.row;
      groupColumn = best.column;
      version = 0;
    }
    if (best.value === null) {
      if (!o.dropErasures) {
        o.writer.add(best);
        stats.cellsOut++;
      }
      continue;
    }
    const v = version++;
    if (o.purge && o.purge(o.purgeByVersion ? v : 0, best.timestamp)) continue;
    o.writer.add(best);
    stats.cellsOut++;
    if (o.writer.pendingBytes > WRITER_PENDING_LIMIT) await o.writer.drain();
  }
  return stats;
}
