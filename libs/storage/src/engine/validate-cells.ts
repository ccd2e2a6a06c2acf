import type { Cell } from '@kdi/primitives';
import { invalidArgument } from '../errors.js';

/**
 * The engine's own checks on a batch: field types and safe-integer
 * timestamps. Size limits are the protocol's (DESIGN §2) and are enforced
 * at the server's edge.
 */
export function validateCells(cells: readonly Cell[]): void {
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!;
    if (!(c.row instanceof Uint8Array)) throw invalidArgument(`cells[${i}].row must be bytes`);
    if (!(c.column instanceof Uint8Array)) throw invalidArgument(`cells[${i}].column must be bytes`);
    if (c.value !== null && !(c.value instanceof Uint8Array)) throw invalidArgument(`cells[${i}].value must be bytes or null`);
    if (!Number.isSafeInteger(c.timestamp)) throw invalidArgument(`cells[${i}].timestamp must be a safe integer, got ${c.timestamp}`);
  }
}
