// Size limits on cells (DESIGN §2): row ≤ 4 KiB, column ≤ 1 KiB, value ≤
// 8 MiB, one request ≤ 64 MiB. Configurable per process; broken limits are
// INVALID_ARGUMENT with a message naming the cell, the field and the limit.

import { KdiError } from '../errors/kdi-error.js';
import type { Cell } from '@kdi/primitives';

export interface CellLimits {
  readonly maxRowBytes: number;
  readonly maxColumnBytes: number;
  readonly maxValueBytes: number;
  /**
   * Bound on one batch of cells: the sum of cellBytes() over the batch, and
   * the decoded body size of a binary block.
   */
  readonly maxRequestBytes: number;
}

export const DEFAULT_LIMITS: CellLimits = Object.freeze({
  maxRowBytes: 4 * 1024,
  maxColumnBytes: 1024,
  maxValueBytes: 8 * 1024 * 1024,
  maxRequestBytes: 64 * 1024 * 1024,
});

/**
 * No limits: for decoding responses from a trusted KDI server, whose
 * configured limits may exceed the defaults. Never use it for requests.
 */
export const NO_LIMITS: CellLimits = Object.freeze({
  maxRowBytes: Number.POSITIVE_INFINITY,
  maxColumnBytes: Number.POSITIVE_INFINITY,
  maxValueBytes: Number.POSITIVE_INFINITY,
  maxRequestBytes: Number.POSITIVE_INFINITY,
});

/** Bytes a cell counts against maxRequestBytes: row + column + value + 8 for the timestamp. */
export function cellBytes(cell: Cell): number {
  return cell.row.byteLength + cell.column.byteLength + (cell.value === null ? 0 : cell.value.byteLength) + 8;
}

/**
 * Throws INVALID_ARGUMENT when the cell breaks a limit or its timestamp is
 * not a safe integer. `where` names the cell in the message ("cells[3]").
 */
export function validateCell(cell: Cell, limits: CellLimits = DEFAULT_LIMITS, where = 'cell'): void {
  if (cell.row.byteLength > limits.maxRowBytes) throw tooBig(where, 'row', cell.row.byteLength, limits.maxRowBytes);
  if (cell.column.byteLength > limits.maxColumnBytes) throw tooBig(where, 'column', cell.column.byteLength, limits.maxColumnBytes);
  if (cell.value !== null && cell.value.byteLength > limits.maxValueBytes) {
    throw tooBig(where, 'value', cell.value.byteLength, limits.maxValueBytes);
  }
  if (!Number.isSafeInteger(cell.timestamp)) throw badTimestamp(where, cell.timestamp);
}

/** validateCell on each cell (named `cells[i]`), then the batch total against maxRequestBytes. */
export function validateCells(cells: readonly Cell[], limits: CellLimits = DEFAULT_LIMITS): void {
  let total = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i] as Cell;
    validateCell(cell, limits, `cells[${i}]`);
    total += cellBytes(cell);
  }
  if (total > limits.maxRequestBytes) {
    throw new KdiError('INVALID_ARGUMENT', `the ${cells.length} cells add up to ${total} bytes; the request limit is ${limits.maxRequestBytes} (split the batch)`, {
      details: { field: 'cells', bytes: total, limit: limits.maxRequestBytes },
    });
  }
}

export function tooBig(where: string, field: string, bytes: number, limit: number): KdiError {
  return new KdiError('INVALID_ARGUMENT', `${where}.${field} is ${bytes} bytes; the limit is ${limit}`, {
    details: { field: `${where}.${field}`, bytes, limit },
  });
}

export function badTimestamp(where: string, timestamp: unknown): KdiError {
  return new KdiError('INVALID_ARGUMENT', `${where}.timestamp is ${String(timestamp)}; it must be an integer between -(2^53-1) and 2^53-1 (microseconds since the epoch)`, {
    details: { field: `${where}.timestamp` },
  });
}
