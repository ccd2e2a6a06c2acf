// Column-range → family mask, for skipping blocks that hold none of the
// families a scan wants (DESIGN §5 "family masks skip blocks"). A block's
// mask has bit (hash(family) mod 64) set for each family in it; the hash
// is the fragment format's (fragment/family-mask).

import { familyMaskOf } from '../fragment/family-mask.js';
import type { Interval } from '@kdi/primitives';

const COLON = 0x3a;

/**
 * The mask of the single family an interval of columns lies in, or
 * undefined when the interval may span several families (then no block can
 * be skipped for it).
 */
export function familyMaskOfColumnRange(iv: Interval<Uint8Array>): bigint | undefined {
  const family = familyOfColumnRange(iv);
  return family === undefined ? undefined : familyMaskOf(family);
}

/**
 * The single family every column of the interval belongs to, or undefined
 * when the interval may span several families. `F:` ≤ column < `F;` is
 * exactly family F's columns with a qualifier; the bare column `F` is in
 * family F too.
 */
export function familyOfColumnRange(iv: Interval<Uint8Array>): Uint8Array | undefined {
  if (!iv.lower || !iv.upper) return undefined;
  const lo = iv.lower.value;
  const colon = lo.indexOf(COLON);
  const family = colon < 0 ? lo : lo.subarray(0, colon);
  // Every column in [lo, hi] must start with `family` followed by ':' or end.
  const limit = Buffer.concat([family, Buffer.from([COLON + 1])]);
  const c = Buffer.compare(iv.upper.value, limit);
  if (c > 0 || (c === 0 && iv.upper.inclusive)) return undefined;
  // `lo` itself may be shorter than "family:" (e.g. lo = "F"), which is fine:
  // columns ≥ "F" and < "F;" are "F" and "F:..." and "F" followed by bytes < ';'.
  // The last case ("Fa", "F0") belongs to other families, so require lo to
  // reach the colon unless the interval is the single bare column.
  if (colon < 0 && Buffer.compare(iv.upper.value, lo) !== 0) return undefined;
  return family;
}
