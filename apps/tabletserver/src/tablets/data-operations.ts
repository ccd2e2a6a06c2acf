// Data operations (DESIGN §4): apply, sync and stat over the tablets this
// server serves, and the in-flight applies an unload and a shutdown wait
// for. Scans read through scan/ (table-scan.ts) with the same map. Which
// tablets exist is tablet-lifecycle.ts's business; this file only reads
// the map. It knows nothing of HTTP.
//
// Promises:
//  - an apply is admitted only if every row is in a tablet this server
//    serves (state serving) at the moment the batch is handed to the
//    engine; the engine makes it one atomic txn;
//  - no write is acknowledged while the server's lease is not live (it
//    fails UNAVAILABLE before the engine, or after it with "may or may not
//    have been applied");
//  - no apply is acknowledged whose rows left this server while it was in
//    the engine (a fenced tablet stays there dormant and would take it);
//  - every apply handed to the engine is tracked per table until it
//    settles (settled / settledAll);
//  - after close() every call fails UNAVAILABLE ("shutting down").
//
// It owns the tablet map and the per-table schemas (tablet lifecycle
// changes them) and the open flag, so the composition can build it first
// and hand it both to what reads META's rows on this server
// (meta/local-meta-rows.ts) and to the TabletServer.

import { KdiError, normalizeIntervals, type Cell, type CellLimits, type Predicate } from '@kdi/protocol';
import { isStorageError, type Engine } from '@kdi/storage';
import { rowDetails } from '../api/wire-bytes.js';
import { rowsOverlapRange } from '../scan/scan-position.js';
import { RequestRates } from '../stats/request-rates.js';
import { checkName } from './names.js';
import { fromStorageError } from './storage-errors.js';
import { TabletMap, type TabletEntry } from './tablet-map.js';
import type { TableSchema } from '@kdi/protocol';
import type { TabletServerOptions, TabletStatView } from './tablet-types.js';
import { checkWrite, wrongTablet } from './write-check.js';

/** What the data path needs of the server's options. */
export type DataOperationsOptions = Pick<TabletServerOptions, 'serverId' | 'limits' | 'backPressureWaitMs' | 'lease' | 'now'>;

export class DataOperations {
  readonly serverId: string;
  readonly limits: CellLimits;
  /** The tablets this server knows (tablet-lifecycle.ts changes it). */
  readonly map = new TabletMap();
  /** Per table, the schema its tablets here were loaded with (kept by tablet-lifecycle.ts). */
  readonly schemas = new Map<string, TableSchema>();
  private closed = false;
  /** Applies handed to the engine and not yet settled, per table (unload waits for them). */
  private readonly writes = new Map<string, Set<Promise<unknown>>>();
  private busyRejections = 0;
  /** Cells written and read per tablet, for the heartbeats' request rates. */
  readonly rates: RequestRates;

  constructor(
    readonly engine: Engine,
    private readonly o: DataOperationsOptions,
  ) {
    this.serverId = o.serverId;
    this.limits = o.limits;
    this.rates = new RequestRates(o.now);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Throws UNAVAILABLE once the server is closing. */
  checkOpen(): void {
    if (this.closed) throw new KdiError('UNAVAILABLE', `tablet server ${this.serverId} is shutting down`);
  }

  /** Stops taking requests (every later call fails UNAVAILABLE); false when already closed. */
  close(): boolean {
    if (this.closed) return false;
    this.closed = true;
    return true;
  }

  /** One atomic batch; resolves with its txn (durable when waitForSync). */
  async apply(table: string, cells: readonly Cell[], opts: { commitMaxTxn?: number | undefined; waitForSync: boolean }): Promise<number> {
    this.checkOpen();
    this.checkLease('no write was applied');
    checkName('table', table);
    const touched = checkWrite({ map: this.map, limits: this.limits, serverId: this.serverId, schema: this.schemas.get(table) }, table, cells);
    // Handed to the engine in the same step as the checks: the engine
    // routes the rows synchronously before its first await.
    const pending = this.engine.apply(table, cells, {
      sync: opts.waitForSync,
      ...(opts.commitMaxTxn !== undefined && { commitMaxTxn: opts.commitMaxTxn }),
      maxWaitMs: this.o.backPressureWaitMs,
    });
    let set = this.writes.get(table);
    if (set === undefined) this.writes.set(table, (set = new Set()));
    set.add(pending);
    try {
      const txn = await pending;
      // The lease may have run out while the write was logged: then it is
      // not acknowledged (it may or may not survive; the client retries elsewhere).
      this.checkLease('the write may or may not have been applied');
      this.checkStillServed(table, cells, touched);
      for (const [tablet, n] of touched) this.rates.recordWrites(tablet.id, n);
      return txn;
    } catch (e) {
      if (e instanceof KdiError) throw e;
      // A write that waited on a frozen tablet (a migration) may find it
      // gone: the map says so, and the client re-routes.
      if (isStorageError(e, 'invalid-argument') || isStorageError(e, 'unavailable')) {
        checkWrite({ map: this.map, limits: this.limits, serverId: this.serverId, schema: this.schemas.get(table) }, table, cells);
      }
      const details = conflictDetails(e, cells);
      const mapped = fromStorageError(e, details);
      if (mapped instanceof KdiError && mapped.code === 'RESOURCE_EXHAUSTED') this.busyRejections++;
      throw mapped;
    } finally {
      set.delete(pending);
      if (set.size === 0 && this.writes.get(table) === set) this.writes.delete(table);
    }
  }

  /**
   * After the engine applied a batch: every row must still be in a tablet
   * this server has. A tablet fenced meanwhile (a refused META write: the
   * master or a migration's target has it now) stays in the engine,
   * dormant, and takes the write — which no serving copy has, so it is not
   * acknowledged (UNAVAILABLE, "may or may not"; the client retries where
   * META says). Entries replaced by a split or a merge still hold the rows.
   */
  private checkStillServed(table: string, cells: readonly Cell[], touched: ReadonlyMap<TabletEntry, number>): void {
    let moved = false;
    for (const e of touched.keys()) if (this.map.get(e.id) !== e) moved = true;
    if (!moved) return;
    for (const c of cells) {
      if (this.map.containing(table, c.row) === undefined) {
        throw new KdiError(
          'UNAVAILABLE',
          `the tablet holding row ${JSON.stringify(Buffer.from(c.row).toString('utf8'))} left server ${this.serverId} while the write was applied; the write may or may not have been applied. Ask the master where the tablet is now`,
          { details: { serverId: this.serverId, reason: 'tablet-left' }, retryAfterMs: 100 },
        );
      }
    }
  }

  /** Refuses (UNAVAILABLE) when the server's lease is not live. */
  private checkLease(outcome: string): void {
    if (this.o.lease && !this.o.lease.isLive()) {
      throw new KdiError('UNAVAILABLE', `server ${this.serverId} ${leaseProblem(this.o.lease)}; ${outcome}. Ask the master where the tablet is now`, {
        details: { serverId: this.serverId, reason: 'lease-lost' },
        retryAfterMs: 1000,
      });
    }
  }

  /** Waits until every txn ≤ atLeastTxn is durable; returns the durable txn. */
  async sync(atLeastTxn: number): Promise<number> {
    this.checkOpen();
    try {
      return await this.engine.sync(atLeastTxn);
    } catch (e) {
      throw fromStorageError(e, { field: 'atLeastTxn' });
    }
  }

  /** The latest txn visible to scans. */
  get currentTxn(): number {
    return this.engine.currentTxn;
  }

  /**
   * Approximate cells and bytes of the predicate, per tablet served here
   * whose rows it meets. A tablet whose reads are gated (a migration hands
   * it over: storage read-gate.ts) is waited for; if it left meanwhile the
   * answer is WRONG_TABLET for its rows (the client asks META again), so
   * a stat never silently leaves out rows that moved.
   */
  async stat(table: string, predicate: Predicate): Promise<{ cells: number; bytes: number; tablets: TabletStatView[] }> {
    this.checkOpen();
    checkName('table', table);
    const rows = predicate.rows === undefined ? undefined : normalizeIntervals(predicate.rows);
    const waitedFor = new Set<TabletEntry>();
    for (;;) {
      this.checkOpen();
      const entries = this.map.tabletsOf(table).filter((e) => e.state !== 'loading' && rowsOverlapRange(rows, e));
      const left = [...waitedFor].find((e) => this.map.get(e.id) !== e);
      if (left !== undefined) throw wrongTablet(this.wrongTabletContext(), table, rowOf(left), undefined, 'the rows of the stat continue at row');
      if (entries.length === 0 && this.map.tabletsOf(table).every((e) => e.state === 'loading'))
        throw wrongTablet(this.wrongTabletContext(), table, new Uint8Array(0), undefined, 'every row');
      const held = new Set(this.engine.tabletIds());
      const gated = entries.find((e) => held.has(e.id) && this.engine.readsGated(e.id));
      if (gated === undefined) return this.statNow(entries, predicate);
      waitedFor.add(gated);
      try {
        await this.engine.readable(gated.id);
      } catch (e) {
        if (!isStorageError(e, 'not-found')) throw fromStorageError(e);
      }
    }
  }

  /** The stat of `entries` as they are now (synchronous: none is gated). */
  private statNow(entries: readonly TabletEntry[], predicate: Predicate): { cells: number; bytes: number; tablets: TabletStatView[] } {
    const tablets: TabletStatView[] = [];
    let cells = 0;
    let bytes = 0;
    for (const e of entries) {
      let s: { cells: number; bytes: number };
      try {
        s = this.engine.stat(e.id, predicate);
      } catch (err) {
        throw fromStorageError(err);
      }
      tablets.push({ tabletId: e.id, cells: s.cells, bytes: s.bytes });
      cells += s.cells;
      bytes += s.bytes;
    }
    return { cells, bytes, tablets };
  }

  wrongTabletContext(): { serverId: string } {
    return { serverId: this.serverId };
  }

  /** Resolves once every apply of `table` handed to the engine so far has settled. */
  async settled(table: string): Promise<void> {
    await Promise.allSettled([...(this.writes.get(table) ?? [])]);
  }

  /** Resolves once every apply handed to the engine so far has settled. */
  async settledAll(): Promise<void> {
    await Promise.allSettled([...this.writes.values()].flatMap((s) => [...s]));
  }

  /** Applies handed to the engine and not yet settled. */
  get appliesInFlight(): number {
    let n = 0;
    for (const set of this.writes.values()) n += set.size;
    return n;
  }

  /** Applies refused with RESOURCE_EXHAUSTED (back-pressure) so far. */
  get busyRejectionCount(): number {
    return this.busyRejections;
  }
}

/** A row of the tablet (its upper bound, or the row just above its lower bound), to name it in WRONG_TABLET. */
function rowOf(e: TabletEntry): Uint8Array {
  if (e.upperInclusive !== undefined) return e.upperInclusive;
  return e.lowerExclusive === undefined ? new Uint8Array(0) : Buffer.concat([e.lowerExclusive, Buffer.from([0])]);
}

/** For an engine conflict: the row that changed, as text or base64 (the engine names it by index). */
function conflictDetails(e: unknown, cells: readonly Cell[]): Record<string, unknown> | undefined {
  const d = (e as { details?: Record<string, unknown> } | undefined)?.details;
  const i = d?.['cellIndex'];
  if (typeof i !== 'number') return undefined;
  const cell = cells[i];
  if (cell === undefined) return undefined;
  return rowDetails(cell.row);
}

/** Why the server's lease is not live, as the end of a sentence that starts with the server. */
export function leaseProblem(lease: { notLiveReason?(): string | undefined } | undefined): string {
  return lease?.notLiveReason?.() ?? 'has lost its lease on the lock service';
}
