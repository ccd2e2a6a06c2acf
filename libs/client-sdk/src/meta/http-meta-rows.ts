// META's rows on another tablet server, through the SDK's single-server
// Table API client (binary cells, replies validated against protocol's
// schemas, undici keep-alive): scans page by page with the resume token,
// applies as row transactions. Applies to META carry the cluster secret:
// the server refuses META writes without it (http/cluster-secret.ts).
//
// Errors are the SDK's KdiErrors; a request that never got an answer
// (refused connection, reset, timeout) is UNAVAILABLE or DEADLINE_EXCEEDED
// — for an apply that means "may or may not have happened", which the
// caller's row transaction settles (a retry against a fresh read either
// finds its own write or the row as it was).

import { KdiError, META_TABLE, type Interval, type MetaCell } from '@kdi/protocol';
import { TabletServerClient } from '../table/server-client.js';
import type { MetaRows } from './meta-table.js';

const PAGE_CELLS = 10_000;
const TIMEOUT_MS = 30_000;

export class HttpMetaRows implements MetaRows {
  readonly #client: TabletServerClient;

  constructor(
    /** Base URL of the server serving META, e.g. http://127.0.0.1:7201 */
    readonly url: string,
    clusterSecret: string,
  ) {
    this.#client = new TabletServerClient({ url, token: clusterSecret, timeoutMs: TIMEOUT_MS, connections: 4 });
  }

  async scan(rows: Interval<Uint8Array>, maxCells?: number): Promise<{ cells: MetaCell[]; txn: number }> {
    const predicate = { rows: [rows] };
    const cells: MetaCell[] = [];
    let txn: number | undefined;
    let resume: string | undefined;
    for (;;) {
      const page = await this.#client.scanPage(META_TABLE, predicate, { maxCells: maxCells ?? PAGE_CELLS, resume });
      cells.push(...page.cells);
      txn = txn === undefined ? page.scanTxn : Math.min(txn, page.scanTxn);
      if (page.end || maxCells !== undefined) return { cells, txn };
      if (page.nextRow !== undefined || page.resume === undefined) {
        throw new KdiError('UNAVAILABLE', `${this.url} does not serve all of the ${META_TABLE} table`, { retryAfterMs: 1000 });
      }
      resume = page.resume;
    }
  }

  apply(cells: readonly MetaCell[], commitMaxTxn: number): Promise<number> {
    return this.#client.apply(META_TABLE, cells, { commitMaxTxn, waitForSync: true });
  }

  /**
   * Closes its connections. The router drops a stale instance without
   * closing it (another call may still be using it); idle keep-alive
   * sockets close by themselves after the pool's keep-alive timeout.
   */
  close(): Promise<void> {
    return this.#client.close();
  }
}
