// A tablet's rows: (lowerExclusive, upperInclusive], either side open when
// undefined (DESIGN §5: tablets cover (prevLastRow, lastRow]).

import { compareBytes } from '../cell.js';
import type { Interval } from '../scan/scan-spec.js';

export interface RowRange {
  readonly lowerExclusive?: Uint8Array | undefined;
  readonly upperInclusive?: Uint8Array | undefined;
}

export function rowInRange(row: Uint8Array, r: RowRange): boolean {
  if (r.lowerExclusive && compareBytes(row, r.lowerExclusive) <= 0) return false;
  if (r.upperInclusive && compareBytes(row, r.upperInclusive) > 0) return false;
  return true;
}

export function rangeAsInterval(r: RowRange): Interval<Uint8Array> {
  return {
    ...(r.lowerExclusive ? { lower: { value: r.lowerExclusive, inclusive: false } } : {}),
    ...(r.upperInclusive ? { upper: { value: r.upperInclusive, inclusive: true } } : {}),
  };
}

/** Intersection of two row intervals, or undefined when empty. */
export function intersect(a: Interval<Uint8Array>, b: Interval<Uint8Array>): Interval<Uint8Array> | undefined {
  let lower = a.lower;
  if (b.lower && (!lower || compareBytes(b.lower.value, lower.value) > 0 || (compareBytes(b.lower.value, lower.value) === 0 && !b.lower.inclusive))) {
    lower = b.lower;
  }
  let upper = a.upper;
  if (b.upper && (!upper || compareBytes(b.upper.value, upper.value) < 0 || (compareBytes(b.upper.value, upper.value) === 0 && !b.upper.inclusive))) {
    upper = b.upper;
  }
  if (lower && upper) {
    const c = compareBytes(lower.value, upper.value);
    if (c > 0 || (c === 0 && !(lower.inclusive && upper.inclusive))) return undefined;
  }
  return { ...(lower ? { lower } : {}), ...(upper ? { upper } : {}) };
}
