// One tablet server's Table API, with no routing (DESIGN §4): the calls a
// caller makes when it already knows which server it wants — the tablet
// servers' own META client (whose location comes from /kdi/root), and
// later the master. Binary cells both ways, replies validated with
// protocol's schemas, every failure a KdiError, an AbortSignal and a
// deadline on every call. No retries: the caller knows what is safe to
// repeat. Table handles (connect) route and retry on top of the same
// requests.

import type { Cell } from '@kdi/protocol';
import { inScope, type CallOptions } from './call-scope.js';
import { normalizeBatch, type CellInput } from './cell-input.js';
import { preparePredicate, type PredicateInput } from './predicate-input.js';
import { ServerPools, type PoolOptions } from './server-pools.js';
import { applyAt, metaLocationAt, scanAt, statAt, syncAt, type ApplyOptions, type ScanPage, type StatResult } from './table-wire.js';
import type { TabletLocation } from '@kdi/protocol';

export interface TabletServerClientOptions extends PoolOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:7201. */
  readonly url: string;
  /** Sent as `Authorization: Bearer <token>` (the cluster secret for META writes). */
  readonly token?: string | undefined;
  /** Default deadline of each call (default 30 s). */
  readonly timeoutMs?: number | undefined;
}

export interface ScanPageOptions extends CallOptions {
  readonly resume?: string | undefined;
  readonly maxCells?: number | undefined;
  readonly maxBytes?: number | undefined;
}

export class TabletServerClient {
  readonly url: string;
  readonly #pools: ServerPools;
  readonly #timeoutMs: number;

  constructor(o: TabletServerClientOptions) {
    this.url = o.url.replace(/\/+$/, '');
    this.#pools = new ServerPools(o);
    this.#timeoutMs = o.timeoutMs ?? 30_000;
  }

  /** Applies the batch atomically at this server (keys sorted and deduplicated first); its commitTxn. */
  async apply(table: string, cells: readonly (CellInput | Cell)[], opts: ApplyOptions & CallOptions = {}): Promise<number> {
    const batch = normalizeBatch(cells);
    return inScope(`apply to ${table} at ${this.url}`, opts, this.#timeoutMs, (s) => applyAt(this.#pools, this.url, table, batch, opts, s.signal));
  }

  /** One page of a scan (pass the page's resume token back for the next). */
  async scanPage(table: string, predicate: PredicateInput | undefined, opts: ScanPageOptions = {}): Promise<ScanPage> {
    const p = preparePredicate(predicate);
    return inScope(`scan of ${table} at ${this.url}`, opts, this.#timeoutMs, (s) =>
      scanAt(this.#pools, this.url, table, { predicate: p.text, resume: opts.resume, maxCells: opts.maxCells, maxBytes: opts.maxBytes }, s.signal),
    );
  }

  sync(table: string, atLeastTxn: number, opts: CallOptions = {}): Promise<number> {
    return inScope(`sync at ${this.url}`, opts, this.#timeoutMs, (s) => syncAt(this.#pools, this.url, table, atLeastTxn, s.signal));
  }

  async stat(table: string, predicate: PredicateInput | undefined, opts: CallOptions = {}): Promise<StatResult> {
    const p = preparePredicate(predicate);
    return inScope(`stat of ${table} at ${this.url}`, opts, this.#timeoutMs, (s) => statAt(this.#pools, this.url, table, p.text, s.signal));
  }

  /** META's location as this server reads it from the root. */
  metaLocation(opts: CallOptions = {}): Promise<TabletLocation | undefined> {
    return inScope(`META location at ${this.url}`, opts, this.#timeoutMs, (s) => metaLocationAt(this.#pools, this.url, s.signal));
  }

  close(): Promise<void> {
    return this.#pools.close();
  }
}
