// Where a table scan stands between pages, and where it goes next.
//
// A position is either the last key returned (the next page starts
// strictly after it) or "every row up to R is done" (after a tablet ended
// at its upper bound R with nothing more to return there). The second kind
// is what lets a scan move to the next tablet — possibly on another
// server — without re-reading the finished one.
//
// The row intervals here are the predicate's, normalized (sorted,
// disjoint); `undefined` means every row.

import { compareBytes, type Bound, type Interval } from '@kdi/protocol';
import { rowSuccessor, type RowRange } from '../tablets/row-range.js';

export type ScanPosition =
  { readonly kind: 'key'; readonly row: Uint8Array; readonly column: Uint8Array; readonly timestamp: number } | { readonly kind: 'after-row'; readonly row: Uint8Array };

/** The lowest row the scan may still need: the table's first row, or a bound. */
export type StartBound = 'first' | Bound<Uint8Array>;

type Rows = readonly Interval<Uint8Array>[] | undefined;

const EVERY_ROW: readonly Interval<Uint8Array>[] = [{}];

function positionBound(pos: ScanPosition | undefined): Bound<Uint8Array> | undefined {
  if (pos === undefined) return undefined;
  // A key position still needs the rest of its row.
  return pos.kind === 'key' ? { value: pos.row, inclusive: true } : { value: pos.row, inclusive: false };
}

/** Is every row of `upper`'s interval before the position bound? */
function upperBelow(upper: Bound<Uint8Array>, bound: Bound<Uint8Array>): boolean {
  const c = compareBytes(upper.value, bound.value);
  if (c !== 0) return c < 0;
  return !(upper.inclusive && bound.inclusive);
}

/** The tighter of two lower bounds. */
function maxLower(a: Bound<Uint8Array> | undefined, b: Bound<Uint8Array> | undefined): Bound<Uint8Array> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const c = compareBytes(a.value, b.value);
  if (c !== 0) return c > 0 ? a : b;
  return a.inclusive ? b : a;
}

/**
 * The first row bound past `pos` that the predicate still wants, or null
 * when it wants nothing more.
 */
export function nextStart(rows: Rows, pos: ScanPosition | undefined): StartBound | null {
  const bound = positionBound(pos);
  for (const iv of rows ?? EVERY_ROW) {
    if (bound !== undefined && iv.upper !== undefined && upperBelow(iv.upper, bound)) continue;
    return maxLower(iv.lower, bound) ?? 'first';
  }
  return null;
}

/** The one row whose tablet holds `start`: the row itself, its successor for an exclusive bound, '' for the first row. */
export function rowToLocate(start: StartBound): Uint8Array {
  if (start === 'first') return new Uint8Array(0);
  return start.inclusive ? start.value : rowSuccessor(start.value);
}

/** The predicate's rows restricted to rows above `row` (for resuming after a finished tablet). */
export function rowsAbove(rows: Rows, row: Uint8Array): Interval<Uint8Array>[] {
  const bound: Bound<Uint8Array> = { value: row, inclusive: false };
  const out: Interval<Uint8Array>[] = [];
  for (const iv of rows ?? EVERY_ROW) {
    if (iv.upper !== undefined && upperBelow(iv.upper, bound)) continue;
    const lower = maxLower(iv.lower, bound);
    out.push({ ...(lower !== undefined && { lower }), ...(iv.upper !== undefined && { upper: iv.upper }) });
  }
  return out;
}

/** The tighter of two upper bounds. */
function minUpper(a: Bound<Uint8Array> | undefined, b: Bound<Uint8Array> | undefined): Bound<Uint8Array> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const c = compareBytes(a.value, b.value);
  if (c !== 0) return c < 0 ? a : b;
  return a.inclusive ? b : a;
}

/**
 * Does any row interval meet the range (lowerExclusive, upperInclusive]?
 * Decided on bound values, so an exclusive pair with no byte string
 * between them (x and x+'\0') counts as meeting: good enough for stat,
 * which is approximate anyway.
 */
export function rowsOverlapRange(rows: Rows, range: RowRange): boolean {
  const lo = range.lowerExclusive === undefined ? undefined : { value: range.lowerExclusive, inclusive: false };
  const hi = range.upperInclusive === undefined ? undefined : { value: range.upperInclusive, inclusive: true };
  for (const iv of rows ?? EVERY_ROW) {
    const lower = maxLower(iv.lower, lo);
    const upper = minUpper(iv.upper, hi);
    if (lower === undefined || upper === undefined) return true;
    const c = compareBytes(lower.value, upper.value);
    if (c < 0 || (c === 0 && lower.inclusive && upper.inclusive)) return true;
  }
  return false;
}
