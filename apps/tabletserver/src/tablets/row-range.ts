// Tablet row ranges (DESIGN §5 Split): a tablet covers
// (lowerExclusive, upperInclusive]; an absent bound is open on that side.
// Rows are byte strings compared as unsigned bytes. These are the only
// comparisons the range map and the scan planner use, so the boundary
// rules live in one place.

export interface RowRange {
  readonly lowerExclusive: Uint8Array | undefined;
  readonly upperInclusive: Uint8Array | undefined;
}

export function compareRows(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Orders upper bounds; an open upper bound (undefined) sorts last. */
export function compareUpper(a: Uint8Array | undefined, b: Uint8Array | undefined): number {
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  return compareRows(a, b);
}

/** Is `row` in (lowerExclusive, upperInclusive]? */
/** Equal bounds (undefined = open, equal only to undefined). */
export function sameBound(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a === undefined || b === undefined ? a === b : compareRows(a, b) === 0;
}

export function rangeContains(range: RowRange, row: Uint8Array): boolean {
  if (range.lowerExclusive !== undefined && compareRows(row, range.lowerExclusive) <= 0) return false;
  if (range.upperInclusive !== undefined && compareRows(row, range.upperInclusive) > 0) return false;
  return true;
}

/** Does the range hold the rows just above `row` (every row r with row < r ≤ some bound)? */
export function rangeContainsRowsAfter(range: RowRange, row: Uint8Array): boolean {
  if (range.lowerExclusive !== undefined && compareRows(range.lowerExclusive, row) > 0) return false;
  if (range.upperInclusive !== undefined && compareRows(range.upperInclusive, row) <= 0) return false;
  return true;
}

/** Do the two ranges share a row? */
export function rangesOverlap(a: RowRange, b: RowRange): boolean {
  const aBeforeB = a.upperInclusive !== undefined && b.lowerExclusive !== undefined && compareRows(a.upperInclusive, b.lowerExclusive) <= 0;
  const bBeforeA = b.upperInclusive !== undefined && a.lowerExclusive !== undefined && compareRows(b.upperInclusive, a.lowerExclusive) <= 0;
  return !aBeforeB && !bBeforeA;
}

/** Does `outer` cover every row of `inner`? */
export function rangeCovers(outer: RowRange, inner: RowRange): boolean {
  const lowerOk = outer.lowerExclusive === undefined || (inner.lowerExclusive !== undefined && compareRows(outer.lowerExclusive, inner.lowerExclusive) <= 0);
  const upperOk = outer.upperInclusive === undefined || (inner.upperInclusive !== undefined && compareRows(inner.upperInclusive, outer.upperInclusive) <= 0);
  return lowerOk && upperOk;
}

/** Is `row` a valid split point: inside the range and not its upper bound (both halves non-empty as ranges)? */
export function isStrictlyInside(range: RowRange, row: Uint8Array): boolean {
  return rangeContains(range, row) && !(range.upperInclusive !== undefined && compareRows(row, range.upperInclusive) === 0);
}

/** The smallest row greater than `row`: row followed by one zero byte. */
export function rowSuccessor(row: Uint8Array): Uint8Array {
  const out = new Uint8Array(row.length + 1);
  out.set(row);
  return out;
}
