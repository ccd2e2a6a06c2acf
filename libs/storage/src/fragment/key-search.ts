// Search keys for seeks. A search key is (row, column?, timestamp?):
// without a column it stands just before the row's first cell, without a
// timestamp just before the (row, column)'s newest cell — so "first cell
// ≥ key" is the first cell of the row, resp. of the column.

import { compareBytes } from '@kdi/primitives';

/** Order of a stored key relative to a search key: < 0 before, 0 equal, > 0 after. */
export function compareToSearchKey(
  row: Uint8Array,
  column: Uint8Array,
  timestamp: number,
  keyRow: Uint8Array,
  keyColumn: Uint8Array | undefined,
  keyTimestamp: number | undefined,
): number {
  const r = compareBytes(row, keyRow);
  if (r !== 0 || keyColumn === undefined) return r === 0 ? 1 : r;
  const c = compareBytes(column, keyColumn);
  if (c !== 0 || keyTimestamp === undefined) return c === 0 ? 1 : c;
  // Timestamps descend: a newer stored cell comes before the key.
  return keyTimestamp - timestamp;
}
