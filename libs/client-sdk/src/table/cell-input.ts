// Cells as callers write them: rows, columns and values as strings (UTF-8)
// or bytes; the timestamp defaults to now in microseconds. A batch is
// normalized to what the server takes in a binary apply: keys in order
// (row asc, column asc, timestamp desc) and unique — when a batch names
// one key twice, the later cell wins, as if applied one after the other.

import { compareCellKeys, KdiError, type Cell } from '@kdi/protocol';

export type Bytes = string | Uint8Array;

export interface CellInput {
  readonly row: Bytes;
  readonly column: Bytes;
  /** Microseconds since the epoch; default: now. */
  readonly timestamp?: number | undefined;
  /** The value; null (or erase: true) marks an erasure of exactly (row, column, timestamp). */
  readonly value?: Bytes | null | undefined;
  readonly erase?: boolean | undefined;
}

export function toBytes(b: Bytes): Uint8Array {
  return typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
}

/** Bytes as a map key: a latin1 string, one character per byte (so string order is byte order). */
export function bytesKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

export function nowMicros(): number {
  return Date.now() * 1000;
}

export function toCell(c: CellInput, index: number, now: number): Cell {
  const erase = c.erase === true || c.value === null;
  if (!erase && c.value === undefined) {
    throw new KdiError('INVALID_ARGUMENT', `cells[${index}] has no value: give value, or erase: true for an erasure`, { details: { field: `cells[${index}].value` } });
  }
  const timestamp = c.timestamp ?? now;
  if (!Number.isSafeInteger(timestamp)) {
    throw new KdiError('INVALID_ARGUMENT', `cells[${index}].timestamp ${timestamp} is not a safe integer (microseconds since the epoch)`, {
      details: { field: `cells[${index}].timestamp` },
    });
  }
  return { row: toBytes(c.row), column: toBytes(c.column), timestamp, value: erase ? null : toBytes(c.value as Bytes) };
}

/** The batch in key order with one cell per key (the later of equal keys). */
export function normalizeBatch(cells: readonly (CellInput | Cell)[]): Cell[] {
  const now = nowMicros();
  return orderCells(cells.map((c, i) => toCell(c as CellInput, i, now)));
}

/**
 * Cells in key order with one cell per key (the later of equal keys wins).
 * A batch already in strict order (the common case: writers and loaders
 * produce sorted keys) is returned as it is, after one linear check.
 */
export function orderCells(cells: Cell[]): Cell[] {
  let sorted = true;
  for (let i = 1; i < cells.length && sorted; i++) sorted = compareCellKeys(cells[i - 1]!, cells[i]!) < 0;
  if (sorted) return cells;
  const indexed = cells.map((c, i) => ({ c, i }));
  indexed.sort((a, b) => compareCellKeys(a.c, b.c) || a.i - b.i);
  const out: Cell[] = [];
  for (const { c } of indexed) {
    const prev = out[out.length - 1];
    if (prev !== undefined && compareCellKeys(prev, c) === 0) out[out.length - 1] = c;
    else out.push(c);
  }
  return out;
}
