// What a scan asks for: the same shape as the protocol's parsed Predicate
// (DESIGN §3), so a Predicate can be passed in directly, but declared here
// because the engine imports nothing of ours.
//
// compileScanSpec turns the user's intervals into the sorted, merged form
// the scan machinery seeks over, and answers membership questions.

import { compareBytes } from '../cell.js';
import { familyMaskOfColumnRange } from './family-mask.js';

export interface Bound<T> {
  readonly value: T;
  readonly inclusive: boolean;
}
export interface Interval<T> {
  readonly lower?: Bound<T>;
  readonly upper?: Bound<T>;
}
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

type Cmp<T> = (a: T, b: T) => number;
const cmpNum: Cmp<number> = (a, b) => a - b;

/** Lower bounds: unbounded first; at equal values inclusive first. */
function cmpLower<T>(a: Interval<T>, b: Interval<T>, cmp: Cmp<T>): number {
  if (!a.lower) return b.lower ? -1 : 0;
  if (!b.lower) return 1;
  const c = cmp(a.lower.value, b.lower.value);
  if (c !== 0) return c;
  return a.lower.inclusive === b.lower.inclusive ? 0 : a.lower.inclusive ? -1 : 1;
}

/** Does `a`'s upper reach `b`'s lower (overlap or touch with no gap)? */
function touches<T>(a: Interval<T>, b: Interval<T>, cmp: Cmp<T>): boolean {
  if (!a.upper || !b.lower) return true;
  const c = cmp(a.upper.value, b.lower.value);
  return c > 0 || (c === 0 && (a.upper.inclusive || b.lower.inclusive));
}

function maxUpper<T>(a: Bound<T> | undefined, b: Bound<T> | undefined, cmp: Cmp<T>): Bound<T> | undefined {
  if (!a || !b) return undefined;
  const c = cmp(a.value, b.value);
  if (c !== 0) return c > 0 ? a : b;
  return a.inclusive ? a : b;
}

function isEmpty<T>(iv: Interval<T>, cmp: Cmp<T>): boolean {
  if (!iv.lower || !iv.upper) return false;
  const c = cmp(iv.lower.value, iv.upper.value);
  return c > 0 || (c === 0 && !(iv.lower.inclusive && iv.upper.inclusive));
}

/** Sorts and merges a union of intervals into disjoint ascending ones. */
export function normalizeIntervals<T>(ivs: readonly Interval<T>[], cmp: Cmp<T>): Interval<T>[] {
  const sorted = ivs.filter((iv) => !isEmpty(iv, cmp)).sort((a, b) => cmpLower(a, b, cmp));
  const out: Interval<T>[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last && touches(last, iv, cmp)) {
      out[out.length - 1] = { ...(last.lower ? { lower: last.lower } : {}), ...withUpper(maxUpper(last.upper, iv.upper, cmp)) };
    } else {
      out.push(iv);
    }
  }
  return out;
}

function withUpper<T>(upper: Bound<T> | undefined): { upper?: Bound<T> } {
  return upper ? { upper } : {};
}

export function aboveLower<T>(v: T, iv: Interval<T>, cmp: Cmp<T>): boolean {
  if (!iv.lower) return true;
  const c = cmp(v, iv.lower.value);
  return c > 0 || (c === 0 && iv.lower.inclusive);
}

export function belowUpper<T>(v: T, iv: Interval<T>, cmp: Cmp<T>): boolean {
  if (!iv.upper) return true;
  const c = cmp(v, iv.upper.value);
  return c < 0 || (c === 0 && iv.upper.inclusive);
}

export function inInterval<T>(v: T, iv: Interval<T>, cmp: Cmp<T>): boolean {
  return aboveLower(v, iv, cmp) && belowUpper(v, iv, cmp);
}

/** Membership in a normalized (sorted, disjoint) set; undefined set = everything. */
export function inSet<T>(v: T, set: readonly Interval<T>[] | undefined, cmp: Cmp<T>): boolean {
  if (!set) return true;
  for (const iv of set) {
    if (!belowUpper(v, iv, cmp)) continue;
    return aboveLower(v, iv, cmp);
  }
  return false;
}

export function compileScanSpec(spec: ScanSpec): CompiledScanSpec {
  if (spec.history !== undefined && (!Number.isSafeInteger(spec.history) || spec.history === 0)) {
    throw new RangeError(`history must be a non-zero integer, got ${spec.history}`);
  }
  const rows = spec.rows ? normalizeIntervals(spec.rows, compareBytes) : undefined;
  const columns = spec.columns ? normalizeIntervals(spec.columns, compareBytes) : undefined;
  const times = spec.times ? normalizeIntervals(spec.times, cmpNum) : undefined;
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
export const matchesTime = (s: CompiledScanSpec, t: number) => inSet(t, s.times, cmpNum);
