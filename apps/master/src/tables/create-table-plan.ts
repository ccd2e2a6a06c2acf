// Checks a create request and turns it into META rows (pure): the table
// name (not META, the system table), the split rows (decoded from the
// request's encoding, non-empty, within the row limit, distinct) sorted
// into tablet ranges: tablet i holds (split[i-1], split[i]], the last one
// (split[n-1], end). Every problem is INVALID_ARGUMENT naming the field.

import { DEFAULT_LIMITS, KdiError, META_TABLE, type CellEncoding, type TabletConfig } from '@kdi/protocol';
import { decodeWireBytes } from '../http/wire-bytes.js';

export function checkUserTable(name: string, action: 'create' | 'drop' | 'change the schema of'): void {
  if (name === META_TABLE) {
    const code = action === 'create' ? 'INVALID_ARGUMENT' : 'FAILED_PRECONDITION';
    throw new KdiError(code, `${META_TABLE} is the system table (tablet configs); you cannot ${action} it`, { details: { table: name } });
  }
}

/** The sorted, distinct split rows as bytes. */
export function decodeSplits(splits: readonly string[], encoding: CellEncoding, maxRowBytes: number = DEFAULT_LIMITS.maxRowBytes): Buffer[] {
  const rows = splits.map((s, i) => {
    const row = decodeWireBytes(s, encoding, `splits[${i}]`, maxRowBytes);
    if (row.length === 0) throw new KdiError('INVALID_ARGUMENT', `splits[${i}] is empty; a split row must be at least one byte`, { details: { field: `splits[${i}]` } });
    return row;
  });
  const sorted = rows.map((row, i) => ({ row, i })).sort((a, b) => Buffer.compare(a.row, b.row));
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k]!.row.equals(sorted[k - 1]!.row)) {
      const [a, b] = [sorted[k - 1]!.i, sorted[k]!.i].sort((x, y) => x - y);
      throw new KdiError('INVALID_ARGUMENT', `splits[${a}] and splits[${b}] are the same row; split rows must be distinct`, { details: { field: `splits[${b}]` } });
    }
  }
  return sorted.map((s) => s.row);
}

/** The new table's tablet configs (no location) in row order. */
export function tabletConfigsFor(table: string, splits: readonly Buffer[]): TabletConfig[] {
  const out: TabletConfig[] = [];
  for (let i = 0; i <= splits.length; i++) {
    out.push({ table, lowerExclusive: splits[i - 1], upperInclusive: splits[i], location: undefined, logs: [], fragments: {}, state: undefined });
  }
  return out;
}
