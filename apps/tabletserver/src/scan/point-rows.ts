// The point-read path of a scan page (DESIGN §4 scan; issue 12): a first
// page that wants only whole rows named one by one — `row = 'a'`, or
// `row = 'a' or row = 'b' …` (the SDK's get, and its coalesced gets) —
// with no column or time condition is read row by row with the engine's
// point read (readRow: bloom, index seek, one block) instead of a scan.
//
// Promises:
//  - the cells are those the engine's scan of the same spec would return,
//    in the same order (rows ascending), for the rows inside the tablet;
//  - the answer's scanTxn is the visible txn taken before the first read,
//    so a read-modify-write using it is conservative, as for a scan;
//  - the page budget holds: when the next row would pass it, the part ends
//    (end: false) after the rows read so far; when not even the first row
//    fits, undefined — the caller scans, which splits a row across pages.

import type { Cell } from '@kdi/protocol';
import { cellSize } from '@kdi/primitives';
import type { Engine, ScanSpec } from '@kdi/storage';
import { compareRows, type RowRange } from '../tablets/row-range.js';

export interface PointRowsPart {
  readonly cells: Cell[];
  readonly end: boolean;
  readonly scanTxn: number;
}

/** The rows when `spec` wants only whole rows named one by one (sorted, as normalized); else undefined. */
export function pointRowsOf(spec: ScanSpec): Uint8Array[] | undefined {
  if (spec.columns !== undefined || spec.times !== undefined || spec.rows === undefined || spec.rows.length === 0) return undefined;
  const rows: Uint8Array[] = [];
  for (const { lower, upper } of spec.rows) {
    if (!lower?.inclusive || !upper?.inclusive || compareRows(lower.value, upper.value) !== 0) return undefined;
    rows.push(lower.value);
  }
  return rows;
}

/** Reads `rows` (sorted) that lie in `range` from tablet `tabletId`, within the page budget. */
export async function readPointRows(
  engine: Pick<Engine, 'readRow' | 'readRowIfCached' | 'currentTxn'>,
  tabletId: string,
  range: RowRange,
  rows: readonly Uint8Array[],
  history: number | undefined,
  maxCells: number,
  maxBytes: number,
): Promise<PointRowsPart | undefined> {
  const scanTxn = engine.currentTxn;
  const cells: Cell[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (range.lowerExclusive !== undefined && compareRows(row, range.lowerExclusive) <= 0) continue;
    if (range.upperInclusive !== undefined && compareRows(row, range.upperInclusive) > 0) break;
    // Warm rows are read in this step; a row needing I/O (or the general path) awaits.
    const got = engine.readRowIfCached(tabletId, row, { history }) ?? (await engine.readRow(tabletId, row, { history }));
    let b = 0;
    for (const c of got) b += cellSize(c);
    if (cells.length + got.length > maxCells || bytes + b > maxBytes) return cells.length === 0 ? undefined : { cells, end: false, scanTxn };
    for (const c of got) cells.push(c);
    bytes += b;
  }
  return { cells, end: true, scanTxn };
}
