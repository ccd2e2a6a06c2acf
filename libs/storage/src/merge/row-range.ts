// A tablet's rows: (lowerExclusive, upperInclusive], either side open when
// undefined (DESIGN §5: tablets cover (prevLastRow, lastRow]).

import { compareBytes, type Interval } from '@kdi/primitives';

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
