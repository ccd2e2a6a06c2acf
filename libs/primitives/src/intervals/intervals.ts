// Intervals over an ordered type (bytes for rows and columns, numbers for
// timestamps): the shape of the predicate language's sets (DESIGN §3) and of
// the engine's scan spec. normalizeIntervals turns a union as written into
// the form the evaluator and the engine want — sorted, disjoint and
// non-empty — so membership is a binary search and a scan can seek from one
// interval to the next.

import { compareBytes } from '../cells/cell.js';

export interface Bound<T> {
  readonly value: T;
  readonly inclusive: boolean;
}

/** A missing bound is unbounded on that side. */
export interface Interval<T> {
  readonly lower?: Bound<T>;
  readonly upper?: Bound<T>;
}

/** A total order: negative, zero or positive like Array.prototype.sort's comparator. */
export type Compare<T> = (a: T, b: T) => number;

/** Numeric order, the order of time bounds (ascending, unlike cell order). */
export function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Returns intervals admitting exactly the same values as the union of
 * `intervals`, sorted by lower bound, with empty intervals dropped and
 * overlapping or touching ones merged (`[a, b)` and `[b, c]` become `[a, c]`).
 * Consecutive results are disjoint and do not touch, and their upper bounds
 * increase. Does not modify its input. Bytes use `compareBytes` by default.
 */
export function normalizeIntervals(intervals: readonly Interval<Uint8Array>[]): Interval<Uint8Array>[];
export function normalizeIntervals<T>(intervals: readonly Interval<T>[], compare: Compare<T>): Interval<T>[];
export function normalizeIntervals<T>(intervals: readonly Interval<T>[], compare?: Compare<T>): Interval<T>[] {
  const cmp = compare ?? (compareBytes as unknown as Compare<T>);
  const sorted = intervals.filter((iv) => !isEmpty(iv, cmp)).sort((a, b) => compareLowers(a.lower, b.lower, cmp));
  const merged: Interval<T>[] = [];
  let current: Interval<T> | undefined;
  for (const next of sorted) {
    if (current === undefined) {
      current = next;
    } else if (reaches(current.upper, next.lower, cmp)) {
      current = withBounds(current.lower, maxUpper(current.upper, next.upper, cmp));
    } else {
      merged.push(current);
      current = next;
    }
  }
  if (current !== undefined) merged.push(current);
  return merged;
}

/** Whether `value` lies in `interval`. */
export function intervalContains<T>(interval: Interval<T>, value: T, compare: Compare<T>): boolean {
  return aboveLower(value, interval.lower, compare) && belowUpper(value, interval.upper, compare);
}

/** Whether `value` is not below `interval`'s lower bound. */
export function aboveLowerBound<T>(value: T, interval: Interval<T>, compare: Compare<T>): boolean {
  return aboveLower(value, interval.lower, compare);
}

/** Whether `value` is not above `interval`'s upper bound. */
export function belowUpperBound<T>(value: T, interval: Interval<T>, compare: Compare<T>): boolean {
  return belowUpper(value, interval.upper, compare);
}

/** Whether `interval` admits no value. */
export function isEmptyInterval<T>(interval: Interval<T>, compare: Compare<T>): boolean {
  return isEmpty(interval, compare);
}

/** The intersection of two intervals, or undefined when it is empty. Bytes use `compareBytes` by default. */
export function intersectIntervals(a: Interval<Uint8Array>, b: Interval<Uint8Array>): Interval<Uint8Array> | undefined;
export function intersectIntervals<T>(a: Interval<T>, b: Interval<T>, compare: Compare<T>): Interval<T> | undefined;
export function intersectIntervals<T>(a: Interval<T>, b: Interval<T>, compare?: Compare<T>): Interval<T> | undefined {
  const cmp = compare ?? (compareBytes as unknown as Compare<T>);
  const lower = maxLower(a.lower, b.lower, cmp);
  const upper = minUpper(a.upper, b.upper, cmp);
  const result = withBounds(lower, upper);
  return isEmpty(result, cmp) ? undefined : result;
}

/**
 * Whether `value` lies in one of `normalized`, which must be the output of
 * normalizeIntervals with the same order. O(log n).
 */
export function normalizedSetContains<T>(normalized: readonly Interval<T>[], value: T, compare: Compare<T>): boolean {
  // Upper bounds increase, so "value is below the upper bound" is false then
  // true along the list; only the first interval where it holds can contain value.
  let lo = 0;
  let hi = normalized.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const interval = normalized[mid];
    if (interval !== undefined && belowUpper(value, interval.upper, compare)) hi = mid;
    else lo = mid + 1;
  }
  const candidate = normalized[lo];
  return candidate !== undefined && aboveLower(value, candidate.lower, compare);
}

function aboveLower<T>(value: T, lower: Bound<T> | undefined, compare: Compare<T>): boolean {
  if (lower === undefined) return true;
  const c = compare(value, lower.value);
  return c > 0 || (c === 0 && lower.inclusive);
}

function belowUpper<T>(value: T, upper: Bound<T> | undefined, compare: Compare<T>): boolean {
  if (upper === undefined) return true;
  const c = compare(value, upper.value);
  return c < 0 || (c === 0 && upper.inclusive);
}

function isEmpty<T>({ lower, upper }: Interval<T>, compare: Compare<T>): boolean {
  if (lower === undefined || upper === undefined) return false;
  const c = compare(lower.value, upper.value);
  return c > 0 || (c === 0 && !(lower.inclusive && upper.inclusive));
}

/** Orders lower bounds: unbounded first, then by value, inclusive before exclusive. */
function compareLowers<T>(a: Bound<T> | undefined, b: Bound<T> | undefined, compare: Compare<T>): number {
  if (a === undefined || b === undefined) return (a === undefined ? 0 : 1) - (b === undefined ? 0 : 1);
  const c = compare(a.value, b.value);
  if (c !== 0) return c;
  return (a.inclusive ? 0 : 1) - (b.inclusive ? 0 : 1);
}

/** Whether an interval ending at `upper` overlaps or touches one starting at `lower` (lower sorted after). */
function reaches<T>(upper: Bound<T> | undefined, lower: Bound<T> | undefined, compare: Compare<T>): boolean {
  if (upper === undefined || lower === undefined) return true;
  const c = compare(lower.value, upper.value);
  return c < 0 || (c === 0 && (upper.inclusive || lower.inclusive));
}

/** The tighter of two lower bounds (at equal values the exclusive one). */
function maxLower<T>(a: Bound<T> | undefined, b: Bound<T> | undefined, compare: Compare<T>): Bound<T> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const c = compare(a.value, b.value);
  if (c !== 0) return c > 0 ? a : b;
  return a.inclusive ? b : a;
}

/** The tighter of two upper bounds (at equal values the exclusive one). */
function minUpper<T>(a: Bound<T> | undefined, b: Bound<T> | undefined, compare: Compare<T>): Bound<T> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const c = compare(a.value, b.value);
  if (c !== 0) return c < 0 ? a : b;
  return a.inclusive ? b : a;
}

function maxUpper<T>(a: Bound<T> | undefined, b: Bound<T> | undefined, compare: Compare<T>): Bound<T> | undefined {
  if (a === undefined || b === undefined) return undefined;
  const c = compare(a.value, b.value);
  if (c !== 0) return c > 0 ? a : b;
  return a.inclusive ? a : b;
}

function withBounds<T>(lower: Bound<T> | undefined, upper: Bound<T> | undefined): Interval<T> {
  if (lower === undefined) return upper === undefined ? {} : { upper };
  return upper === undefined ? { lower } : { lower, upper };
}
