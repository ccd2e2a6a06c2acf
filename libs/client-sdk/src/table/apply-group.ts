// Sends a group of concurrent applies bound for one tablet server (the
// call coalescer's groups) as ONE apply: one request, one txn, one log
// sync at the server, instead of one of each per call.
//
// Promises:
//  - every member gets the group's commitTxn: its cells were applied in
//    that txn (the server applies a request atomically);
//  - cells are merged in key order; where two members name the same key,
//    the later member's cell wins — what sending them one after the other
//    would leave;
//  - a group the server refuses as a whole with a definite answer (a 4xx
//    other than WRONG_TABLET / RESOURCE_EXHAUSTED: nothing was applied) is
//    sent again member by member, so each gets the answer its own cells
//    earn (one bad cell does not fail its neighbours);
//  - so is a group refused with WRONG_TABLET (a row of it is not served
//    there; nothing was applied): only the members whose rows moved get
//    it — the others are applied at once, rather than failed with an
//    error that is not theirs (final in single-server mode, where
//    WRONG_TABLET is not retried);
//  - every other failure (UNAVAILABLE, RESOURCE_EXHAUSTED, a reset
//    connection, a deadline) fails every member with it: each member's
//    call then re-routes and retries under its own rules (table.ts
//    applyBatch).

import { ERROR_CATALOGUE, isKdiError, type Cell } from '@kdi/protocol';
import { isRoutingRetry } from './backoff.js';
import { eachAlone, type GroupRunner } from './call-coalescer.js';
import { bytesKey, orderCells } from './cell-input.js';
import type { ServerPools } from './server-pools.js';
import { applyAt, type ApplyOptions } from './table-wire.js';

/**
 * The coalescer key of an unconditional apply: sync mode, server and tablet
 * (its lower bound). Per tablet, not per server: the server applies a
 * request as a whole, so a tablet that holds writes (a move's freeze) or
 * refuses them (loading, moving) would otherwise hold or fail its
 * neighbours' writes. (In single-server mode the SDK knows no tablet
 * bounds: one group per server.)
 */
export function applyGroupKey(sync: boolean, url: string, tabletLower: Uint8Array | undefined): string {
  return `${sync ? 'sync' : 'nosync'} ${url} ${tabletLower === undefined ? '' : bytesKey(tabletLower)}`;
}

export function applyGroupRunner(pools: ServerPools, url: string, table: string, opts: ApplyOptions): GroupRunner<readonly Cell[], number> {
  return async (parts, signal) => {
    if (parts.length === 1) return [await applyAt(pools, url, table, parts[0]!, opts, signal)];
    const merged = orderCells(parts.flat());
    try {
      const txn = await applyAt(pools, url, table, merged, opts, signal);
      return parts.map(() => txn);
    } catch (e) {
      if (signal.aborted || !(refusedAsAWhole(e) || (isKdiError(e) && e.code === 'WRONG_TABLET'))) throw e;
      return eachAlone(parts, (cells) => applyAt(pools, url, table, cells, opts, signal));
    }
  };
}

/** A definite refusal of the whole request, with nothing applied (so the members may be tried one by one). */
function refusedAsAWhole(e: unknown): boolean {
  if (!isKdiError(e)) return false;
  const status = ERROR_CATALOGUE[e.code].status;
  return status >= 400 && status < 499 && !isRoutingRetry(e);
}
