// What a scan asks for: the same shape as the protocol's parsed Predicate
// (DESIGN §3), so a Predicate can be passed in directly; both are written in
// @kdi/primitives' intervals (the engine does not import protocol).
//
// compileScanSpec turns the user's intervals into the sorted, merged form
// the scan machinery seeks over, and answers membership questions.

import { compareBytes, compareNumbers, normalizedSetContains, normalizeIntervals, type Compare, type Interval } from '@kdi/primitives';
import { familyMaskOfColumnRange } from './family-mask.js';

export interface ScanSpec {
  readonly rows?: readonly Interval<Uint8Array>[];
  readonly columns?: readonly Interval<Uint8Array>[];
  readonly times?: readonly Interval<number>[];
  /** K > 0: newest K per (row, column); K < 0: all but the newest |K|. */
  readonly history?: number;
}

export interface CompiledScanSpec {
  /** Sorted, disjoint; undefined means every row. */
  readonly rows: readonly Interval<Uint8Array>[] | undefined;
  readonly columns: readonly Interval<Uint8Array>[] | undefined;
  readonly times: readonly Interval<number>[] | undefined;
  readonly history: number | undefined;
  /** When set, a block whose family mask shares no bit with this holds no wanted column. */
  readonly familyMask: bigint | undefined;
  /** Set when the scan wants exactly one row (bloom filters apply). */
  readonly pointRow: Uint8Array | undefined;
  /** Earliest and latest wanted timestamps, for block skipping. */
  readonly minTime: number;
  readonly maxTime: number;
}

/** Membership in a normalized set; undefined = everything. */
function inSet<T>(v: T, set: readonly Interval<T>[] | undefined, cmp: Compare<T>): boolean {
  return set === undefined || normalizedSetContains(set, v, cmp);
}

export function compileScanSpec(spec: ScanSpec): CompiledScanSpec {
  if (spec.history !== undefined && (!Number.isSafeInteger(spec.history) || spec.history === 0)) {
    throw new RangeError(`history must be a non-zero integer, got ${spec.history}`);
  }
  const rows = spec.rows ? normalizeIntervals(spec.rows, compareBytes) : undefined;
  const columns = spec.columns ? normalizeIntervals(spec.columns, compareBytes) : undefined;
  const times = spec.times ? normalizeIntervals(spec.times, compareNumbers) : undefined;
  let familyMask: bigint | undefined;
  if (columns) {
    familyMask = 0n;
    for (const iv of columns) {
      const m = familyMaskOfColumnRange(iv);
      if (m === undefined) {
        familyMask = undefined;
        break;
      }
      familyMask |= m;
    }
  }
  let pointRow: Uint8Array | undefined;
  const only = rows?.length === 1 ? rows[0] : undefined;
  if (only?.lower && only.upper && only.lower.inclusive && only.upper.inclusive && compareBytes(only.lower.value, only.upper.value) === 0) {
    pointRow = only.lower.value;
  }
  let minTime = Number.MIN_SAFE_INTEGER;
  let maxTime = Number.MAX_SAFE_INTEGER;
  if (times) {
    const first = times[0];
    const last = times[times.length - 1];
    minTime = first?.lower ? first.lower.value : Number.MIN_SAFE_INTEGER;
    maxTime = last?.upper ? last.upper.value : Number.MAX_SAFE_INTEGER;
    if (times.length === 0) {
      minTime = Number.MAX_SAFE_INTEGER;
      maxTime = Number.MIN_SAFE_INTEGER;
    }
  }
  return { rows, columns, times, history: spec.history, familyMask, pointRow, minTime, maxTime };
}

export const matchesRow = (s: CompiledScanSpec, row: Uint8Array) => inSet(row, s.rows, compareBytes);
export const matchesColumn = (s: CompiledScanSpec, column: Uint8Array) => inSet(column, s.columns, compareBytes);
export const matchesTime = (s: CompiledScanSpec, t: number) => inSet(t, s.times, compareNumbers);
