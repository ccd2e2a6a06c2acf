// The parsed form of a KDI scan predicate (DESIGN §3). The text form is
// parsed into this structure and printed back from it; parse(print(p))
// deep-equals p. A missing set means "all". Intervals keep the order they
// were written in; they are not merged here (normalizeIntervals in
// @kdi/primitives sorts and merges them for evaluation).
//
// The storage engine's ScanSpec has the same shape, so a Predicate can be
// passed to it directly. Bound and Interval are @kdi/primitives'.

import type { Interval } from '@kdi/primitives';

export interface Predicate {
  readonly rows?: readonly Interval<Uint8Array>[];
  readonly columns?: readonly Interval<Uint8Array>[];
  /** Timestamps in microseconds. */
  readonly times?: readonly Interval<number>[];
  /** K > 0 keeps the newest K cells per (row, column); K < 0 drops the newest |K|. Never 0. */
  readonly history?: number;
}
