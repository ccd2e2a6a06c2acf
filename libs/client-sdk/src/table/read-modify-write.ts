// Read-modify-write of one row (DESIGN §4 transactions; Cloud Bigtable's
// ReadModifyWriteRow / CheckAndMutateRow): read the row at the server that
// serves it (scanTxn), compute the cells to write, apply them there with
// commitMaxTxn = scanTxn. Any change to the row after the read — or a move
// of its tablet, which raises the floor txn — makes the apply ABORTED with
// nothing applied; then the row is read again and `mutate` asked again.
//
// Promises: `mutate` sees a consistent row; its cells are applied at most
// once, and only if the row did not change after the read it was given.
// A write whose outcome is unknown (a reset connection, a deadline while
// the apply was in flight) is not retried — it may have committed, and a
// second try would apply `mutate` twice — and ends the call with its error.

import { compareBytes, isKdiError, KdiError, type Cell } from '@kdi/protocol';
import { backoffMs, notSent, type BackoffPolicy } from './backoff.js';
import { inScope, type CallOptions } from './call-scope.js';
import { normalizeBatch, type Bytes, type CellInput } from './cell-input.js';
import type { Locator } from './locator.js';
import { forgetAfter } from './routing.js';
import type { ServerPools } from './server-pools.js';
import { applyAt } from './table-wire.js';

export interface RowRead {
  /** The row's cells (newest versions, per the read's options). */
  readonly cells: Cell[];
  /** Use as commitMaxTxn at `url`. */
  readonly scanTxn: number;
  /** The server that read the row. */
  readonly url: string;
}

/** Given the row, the cells to write (all in that row) and a result; no cells: write nothing. */
export type RowMutator<T> = (row: readonly Cell[]) => { cells: readonly CellInput[]; result: T } | readonly CellInput[] | undefined;

export interface ReadModifyWriteOptions extends CallOptions {
  /** Only these columns are read (default: every column). */
  readonly columns?: readonly Bytes[] | undefined;
  /** Reply once durable (default true). */
  readonly waitForSync?: boolean | undefined;
}

interface RmwHost {
  readonly name: string;
  readRow(row: Uint8Array, opts: { columns?: readonly Bytes[] | undefined; signal?: AbortSignal; timeoutMs?: number }): Promise<RowRead>;
}

interface RmwContext {
  readonly pools: ServerPools;
  readonly locator: Locator;
  readonly timeoutMs: number;
  readonly backoff: BackoffPolicy;
}

export function readModifyWrite<T>(table: RmwHost, ctx: RmwContext, row: Uint8Array, mutate: RowMutator<T>, opts: ReadModifyWriteOptions): Promise<T> {
  return inScope(`read-modify-write of a row of ${table.name}`, opts, ctx.timeoutMs, async (scope) => {
    for (let attempt = 0; ; attempt++) {
      scope.check();
      const read = await table.readRow(row, { columns: opts.columns, signal: scope.signal, timeoutMs: Math.max(1, scope.remainingMs()) });
      const out = mutate(read.cells);
      const cellsIn = out === undefined ? [] : Array.isArray(out) ? (out as readonly CellInput[]) : (out as { cells: readonly CellInput[] }).cells;
      const result = (out !== undefined && !Array.isArray(out) ? (out as { result: T }).result : undefined) as T;
      if (cellsIn.length === 0) return result;
      const cells = normalizeBatch(cellsIn);
      for (const c of cells) {
        if (compareBytes(c.row, row) !== 0) {
          throw new KdiError('INVALID_ARGUMENT', 'read-modify-write cells must all be in the row that was read', { details: { field: 'cells' } });
        }
      }
      try {
        await applyAt(ctx.pools, read.url, table.name, cells, { commitMaxTxn: read.scanTxn, waitForSync: opts.waitForSync }, scope.signal);
        return result;
      } catch (e) {
        if (scope.aborted) throw scope.reason;
        forgetAfter(ctx.locator, e, table.name, row, read.url);
        const again =
          isKdiError(e) &&
          !ctx.locator.isFinal(e) &&
          (e.code === 'ABORTED' || e.code === 'WRONG_TABLET' || e.code === 'RESOURCE_EXHAUSTED' || (e.code === 'UNAVAILABLE' && notSent(e)));
        if (!again) throw e;
        await scope.sleep(Math.min(backoffMs(attempt, ctx.backoff, Math.random, e.retryAfterMs ?? 0), scope.remainingMs()));
      }
    }
  });
}
