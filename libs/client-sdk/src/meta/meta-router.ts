// Where META is (DESIGN §7): on this server when it serves the META
// tablet (a tablet server passes its local rows), else on the server the
// root (/kdi/root) names. Each call goes to
// the right place; when that place does not answer or no longer serves
// META (UNAVAILABLE, WRONG_TABLET), the root is read again and the call
// retried, a bounded number of times with growing pauses — META moves
// when its server dies and the master reassigns it.
//
// Retrying an apply is safe: every META apply is a row transaction
// (commitMaxTxn), so one that did happen the first time is ABORTED the
// second, and the config writer reads again (meta-table.ts).

import { isKdiError, KdiError, type Interval, type MetaCell } from '@kdi/protocol';
import type { LockClient } from '../lock/lock-client.js';
import type { MetaRows } from './meta-table.js';
import { HttpMetaRows } from './http-meta-rows.js';
import { readRoot } from './root-file.js';

const RETRYABLE = new Set(['UNAVAILABLE', 'WRONG_TABLET', 'DEADLINE_EXCEEDED']);

/** META rows in this process, used while `serving` (a tablet server that serves META). */
export interface LocalRows extends MetaRows {
  readonly serving: boolean;
}

export interface MetaRouterOptions {
  readonly local?: LocalRows | undefined;
  readonly lockClient: LockClient;
  readonly clusterSecret: string;
  /** Attempts per call (default 6). */
  readonly attempts?: number;
  /** First pause between attempts, doubled each time (default 100 ms). */
  readonly pauseMs?: number;
}

export class MetaRouter implements MetaRows {
  private remote: HttpMetaRows | undefined;

  constructor(private readonly o: MetaRouterOptions) {}

  scan(rows: Interval<Uint8Array>, maxCells?: number): Promise<{ cells: MetaCell[]; txn: number }> {
    return this.withRetry((t) => t.scan(rows, maxCells));
  }

  apply(cells: readonly MetaCell[], commitMaxTxn: number): Promise<number> {
    return this.withRetry((t) => t.apply(cells, commitMaxTxn));
  }

  private async target(): Promise<MetaRows> {
    if (this.o.local?.serving === true) return this.o.local;
    if (this.remote) return this.remote;
    const root = await readRoot(this.o.lockClient);
    const loc = root?.config.location;
    if (loc === undefined) {
      throw new KdiError('UNAVAILABLE', 'META has no location yet: /kdi/root names no server (the master assigns it)', { retryAfterMs: 1000 });
    }
    this.remote = new HttpMetaRows(loc.url, this.o.clusterSecret);
    return this.remote;
  }

  private async withRetry<T>(call: (t: MetaRows) => Promise<T>): Promise<T> {
    const attempts = this.o.attempts ?? 6;
    let pause = this.o.pauseMs ?? 100;
    for (let i = 1; ; i++) {
      try {
        return await call(await this.target());
      } catch (e) {
        if (!(isKdiError(e) && RETRYABLE.has(e.code)) || i >= attempts) throw e;
        this.remote = undefined; // read the root again
        await new Promise((r) => setTimeout(r, pause));
        pause *= 2;
      }
    }
  }
}
