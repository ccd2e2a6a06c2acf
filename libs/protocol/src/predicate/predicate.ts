// The parsed form of a KDI scan predicate (DESIGN §3). The text form is
// parsed into this structure and printed back from it; parse(print(p))
// deep-equals p. A missing set means "all". Intervals keep the order they
// were written in; they are not merged here (normalizeIntervals in
// interval-set.ts sorts and merges them for evaluation).
//
// The storage engine's ScanSpec has the same shape, so a Predicate can be
// passed to it directly.

export interface Bound<T> {
  readonly value: T;
  readonly inclusive: boolean;
}

/** A missing bound is unbounded on that side. */
export interface Interval<T> {
  readonly lower?: Bound<T>;
  readonly upper?: Bound<T>;
}

export interface Predicate {
  readonly rows?: readonly Interval<Uint8Array>[];
  readonly columns?: readonly Interval<Uint8Array>[];
  /** Timestamps in microseconds. */
  readonly times?: readonly Interval<number>[];
  /** K > 0 keeps the newest K cells per (row, column); K < 0 drops the newest |K|. Never 0. */
  readonly history?: number;
}
