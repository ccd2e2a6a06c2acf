// The tablet server's domain object (DESIGN §4–§5): it owns the storage
// engine and the tablet map, and is what the HTTP routes (and, later, the
// META/root and membership code) call. It knows nothing of HTTP.
//
// Promises:
//  - an apply is admitted only if every row is in a tablet this server
//    serves (state serving) at the moment the batch is handed to the
//    engine; the engine makes it one atomic txn;
//  - unloadTablet refuses new writes for the tablet first, waits for the
//    applies of its table already admitted, serializes memory data, then
//    stops reads and drops the tablet. Without META the engine deletes the
//    tablet's files; in a cluster they stay for the next server and the
//    config is written without `log:` (DESIGN §7);
//  - a split changes the engine and the tablet map in the same synchronous
//    step, so no request sees one without the other; in a cluster the
//    split is written to META first (the halves share the parent's
//    fragments, so META describing the split before the engine makes it is
//    a correct description of the data either way);
//  - in a cluster (o.meta), a tablet is loaded from its config in META
//    only when `location:` names this server with the epoch the master
//    gave, and serves only after its config names this server's log.

import { KdiError, normalizeIntervals, type Cell, type CellLimits, type Predicate, type TableSchema, META_TABLE } from '@kdi/protocol';
import type { Engine } from '@kdi/storage';
import { rowDetails } from '../api/wire-bytes.js';
import { rowsOverlapRange } from '../scan/scan-position.js';
import { checkName, randomTabletId } from './names.js';
import { isStrictlyInside, rangeCovers, rangesOverlap, sameBound, type RowRange } from './row-range.js';
import { SplitMonitor } from './split-monitor.js';
import { fromStorageError } from './storage-errors.js';
import { TabletMap, type TabletEntry } from './tablet-map.js';
import type { LoadFromMetaRequest, LoadTabletRequest, ServerLogger, SplitResult, TabletServerOptions, TabletStatView, TabletView } from './tablet-types.js';
import { assignedTablet, type AssignedTablet, type MetaSync } from '../meta/meta-sync.js';
import { checkWrite, wrongTablet } from './write-check.js';

export type { LoadFromMetaRequest, LoadTabletRequest, ServerLogger, SplitResult, TabletServerOptions, TabletStatView, TabletView } from './tablet-types.js';
export { checkName } from './names.js';

const silentLogger: ServerLogger = { info: () => {}, warn: () => {}, error: () => {} };

export class TabletServer {
  readonly map = new TabletMap();
  readonly serverId: string;
  readonly limits: CellLimits;
  private readonly schemas = new Map<string, TableSchema>();
  /** Applies handed to the engine and not yet settled, per table (unload waits for them). */
  private readonly writes = new Map<string, Set<Promise<unknown>>>();
  private readonly log: ServerLogger;
  private readonly tabletRemovedListeners: Array<(entry: TabletEntry) => void> = [];
  private readonly splits: SplitMonitor;
  private busyRejections = 0;
  private closed = false;

  constructor(
    readonly engine: Engine,
    private readonly o: TabletServerOptions,
  ) {
    this.serverId = o.serverId;
    this.limits = o.limits;
    this.log = o.logger ?? silentLogger;
    this.splits = new SplitMonitor(this, {
      thresholdBytes: o.splitThresholdBytes,
      intervalMs: o.splitCheckIntervalMs,
      logger: this.log,
      onSplit: o.onSplit,
    });
    this.splits.start();
    o.meta?.start({ engine, map: this.map, abandon: (id, reason) => this.abandon(id, reason) });
  }

  /** In a cluster: META access; undefined for a server whose tablets are loaded with their bounds. */
  get meta(): MetaSync | undefined {
    return this.o.meta;
  }

  /**
   * Splits every serving tablet over the threshold (what the timer does);
   * resolves with the splits made. The halves' separating compactions run
   * on in the background (see splitsSettled).
   */
  checkSplits(): Promise<SplitResult[]> {
    return this.splits.check();
  }

  /** Waits for the compactions that separate the halves of automatic splits. */
  splitsSettled(): Promise<void> {
    return this.splits.settled();
  }

  // ---- tablets -----------------------------------------------------------

  /**
   * Starts serving a tablet. A tablet the engine already holds (its
   * manifest survived a restart) is taken over as it is; otherwise it is
   * created empty. The schema's locality groups go to the engine; a schema
   * that differs from the one the table's other tablets here were loaded
   * with replaces it for the whole table (the master's copy is newer).
   * Without a schema, the table's current one (or a single wildcard group).
   */
  async loadTablet(req: LoadTabletRequest): Promise<TabletView> {
    this.checkOpen();
    checkName('table', req.table);
    checkName('tabletId', req.tabletId);
    if (this.o.meta) {
      throw new KdiError('FAILED_PRECONDITION', `server ${this.serverId} is part of a cluster: tablets load from their config in META; give the tablet's upperInclusive and the assignment epoch instead of bounds and schema`, {
        details: { field: 'epoch' },
      });
    }
    const entry: TabletEntry = { id: req.tabletId, table: req.table, lowerExclusive: req.lowerExclusive, upperInclusive: req.upperInclusive, state: 'loading' };
    const current = this.schemas.get(req.table);
    const schema = req.schema ?? current;
    const othersHere = this.map.hasTable(req.table);
    this.map.add(entry);
    try {
      const adopted = this.engine.tabletIds().includes(req.tabletId);
      if (!adopted) {
        await this.engine.createTablet({
          id: req.tabletId,
          table: req.table,
          lowerExclusive: req.lowerExclusive,
          upperInclusive: req.upperInclusive,
          ...(schema !== undefined && { groups: schema.groups }),
        });
      }
      const changed = req.schema !== undefined && JSON.stringify(req.schema) !== JSON.stringify(current);
      if (changed && (othersHere || adopted)) await this.engine.setTableSchema(req.table, req.schema.groups);
    } catch (e) {
      // A tablet the engine created before a later step failed is taken
      // over by the next load of the same id.
      this.map.remove(req.tabletId);
      throw fromStorageError(e);
    }
    if (schema !== undefined) this.schemas.set(req.table, schema);
    entry.state = 'serving';
    this.log.info({ tabletId: entry.id, table: entry.table }, 'tablet loaded');
    return this.view(entry);
  }

  /**
   * Cluster load (DESIGN §7): reads the tablet's config (the root for
   * META) and checks that `location:` names this server with `epoch`;
   * loads its fragments and replays the logs named (each from its first
   * segment of the tenure that wrote it); writes the config naming this
   * server's fragments and its log from a fresh segment; then serves.
   *
   * Tablets the engine kept from before a restart ("dormant": in the
   * engine, not served): when the config names this server's own log, the
   * engine's copy is the newest there is (every write since went to that
   * log), so a dormant tablet whose range covers the requested one is
   * taken over — split in the engine first when META split it and the
   * engine had not yet (a crash between the two). Other dormant tablets
   * that overlap are stale: unloaded from the engine (files kept); what
   * META may still name for them is forgotten only when the loaded range
   * covers them whole.
   */
  loadFromMeta(req: LoadFromMetaRequest): Promise<TabletView> {
    this.checkOpen();
    checkName('table', req.table);
    checkName('tabletId', req.tabletId);
    const meta = this.o.meta;
    if (meta === undefined) {
      throw new KdiError('FAILED_PRECONDITION', `server ${this.serverId} runs without a lock service, so it has no META: load tablets with their bounds (no epoch)`, {
        details: { field: 'epoch' },
      });
    }
    return meta.run(async () => {
      this.checkOpen();
      const plan = await meta.planLoad(req.table, req.upperInclusive, req.epoch);
      const range = { lowerExclusive: plan.lowerExclusive, upperInclusive: plan.upperInclusive };
      const ours = plan.logs.find((l) => l.dir === meta.logDir);
      let adopt: string | undefined;
      if (ours !== undefined && plan.logs.length === 1) {
        const holder = this.dormant(req.table).find((id) => rangeCovers(this.engine.tabletRange(id), range));
        if (holder !== undefined) adopt = await this.carve(holder, range, req.tabletId);
      }
      // After the carve: its other pieces are dormant too.
      const stale = this.dormant(req.table).filter((id) => id !== adopt && rangesOverlap(this.engine.tabletRange(id), range));
      const id = adopt ?? req.tabletId;
      const logFrom = adopt !== undefined ? ours!.fromSegment : await this.engine.startLogSegment();
      const entry: TabletEntry = { id, table: req.table, ...range, state: 'loading', epoch: req.epoch, logFrom };
      this.map.add(entry);
      let loaded = false;
      try {
        // Stale copies leave the engine (their files kept) before the load opens what META names.
        for (const s of stale) await this.engine.unloadTablet(s);
        const groups = plan.schema?.groups;
        if (adopt === undefined) {
          await this.engine.loadTablet({ id, table: req.table, ...range, ...(groups && { groups }), fragments: plan.fragments, replayLogs: plan.logs });
          loaded = true;
        } else if (plan.schema !== undefined && JSON.stringify(plan.schema) !== JSON.stringify(this.schemas.get(req.table))) {
          await this.engine.setTableSchema(req.table, plan.schema.groups);
        }
        const lists = await this.engine.beginPublish(id);
        await meta.writeServing({ ...entry, epoch: req.epoch, logFrom }, lists);
        await this.engine.endPublish(id, lists);
        // META's config for this range supersedes what a stale copy inside it published.
        for (const s of stale) {
          const published = this.engine.publishedTablets().find((p) => p.id === s);
          if (published && rangeCovers(range, published)) await this.engine.forgetPublished(s);
        }
      } catch (e) {
        this.map.remove(id);
        // What META may name stays (the engine keeps it until a later load of this tablet settles it).
        if (loaded) await this.engine.unloadTablet(id).catch(() => undefined);
        throw fromStorageError(e);
      }
      if (plan.schema !== undefined) this.schemas.set(req.table, plan.schema);
      entry.state = 'serving';
      this.log.info({ tabletId: id, table: req.table, epoch: req.epoch, adopted: adopt !== undefined, replayedLogs: plan.logs, logFrom }, 'tablet loaded from META');
      return this.view(entry);
    });
  }

  /** Tablets of `table` the engine holds that this server does not serve (kept from before a restart, or fenced). */
  private dormant(table: string): string[] {
    return this.engine.tabletIds().filter((id) => this.map.get(id) === undefined && this.engine.tabletRange(id).table === table);
  }

  /**
   * Splits dormant tablet `id` in the engine so that one piece is exactly
   * `range` (which it covers); returns that piece's id — `wantedId` (the
   * master's) when a split made the piece and the id is free. The other
   * pieces stay dormant, each with its share of what META may name.
   */
  private async carve(id: string, range: RowRange, wantedId: string): Promise<string> {
    const newId = this.o.newTabletId ?? randomTabletId;
    const free = (x: string) => this.map.get(x) === undefined && !this.engine.tabletIds().includes(x);
    let current = id;
    const held = this.engine.tabletRange(current);
    const cutBelow = range.lowerExclusive !== undefined && !sameBound(held.lowerExclusive, range.lowerExclusive);
    const cutAbove = range.upperInclusive !== undefined && !sameBound(held.upperInclusive, range.upperInclusive);
    if (cutBelow) {
      const high = !cutAbove && free(wantedId) ? wantedId : newId();
      await this.engine.splitTablet(current, range.lowerExclusive!, newId(), high);
      current = high;
    }
    if (cutAbove) {
      const low = free(wantedId) ? wantedId : newId();
      await this.engine.splitTablet(current, range.upperInclusive!, low, newId());
      current = low;
    }
    if (current !== id) this.log.info({ tabletId: id, piece: current }, 'dormant tablet split to match META');
    return current;
  }

  /** The master gave the tablet to another server: stop serving it here (its data stays in the engine, dormant). */
  private abandon(id: string, reason: string): void {
    const entry = this.map.remove(id);
    if (entry === undefined) return;
    for (const listener of this.tabletRemovedListeners) listener(entry);
    this.log.error({ tabletId: id, table: entry.table, reason }, 'tablet fenced: no longer served here');
  }

  async unloadTablet(id: string): Promise<void> {
    this.checkOpen();
    const entry = this.requireTablet(id);
    if (entry.state !== 'serving') throw notServing(entry, 'unload');
    const meta = this.o.meta;
    const assigned = assignedTablet(entry);
    if (meta !== undefined && assigned !== undefined) return this.unloadToMeta(meta, entry, assigned);
    entry.state = 'unloading';
    await Promise.allSettled([...(this.writes.get(entry.table) ?? [])]);
    try {
      await this.engine.serialize();
    } catch (e) {
      entry.state = 'serving';
      throw fromStorageError(e);
    }
    this.map.remove(id);
    if (!this.map.hasTable(entry.table)) this.schemas.delete(entry.table);
    for (const listener of this.tabletRemovedListeners) listener(entry);
    try {
      await this.engine.dropTablet(id);
    } catch (e) {
      throw fromStorageError(e);
    }
    this.log.info({ tabletId: id, table: entry.table }, 'tablet unloaded');
  }

  /** Cluster unload: stop writes, serialize, stop reads, write the config without `log:` (DESIGN §7). */
  private async unloadToMeta(meta: MetaSync, entry: TabletEntry, assigned: AssignedTablet): Promise<void> {
    entry.state = 'unloading';
    await Promise.allSettled([...(this.writes.get(entry.table) ?? [])]);
    await meta.run(async () => {
      let lists;
      try {
        lists = (await this.engine.unloadTablet(entry.id)).fragments;
      } catch (e) {
        entry.state = 'serving';
        throw fromStorageError(e);
      }
      this.map.remove(entry.id);
      if (!this.map.hasTable(entry.table)) this.schemas.delete(entry.table);
      for (const listener of this.tabletRemovedListeners) listener(entry);
      try {
        await meta.writeUnloaded(entry.id, assigned, lists);
        await this.engine.forgetPublished(entry.id);
      } catch (e) {
        // Fenced: the master moved the tablet meanwhile; its new owner's config stands.
        if (e instanceof KdiError && e.code === 'FAILED_PRECONDITION') throw e;
        throw new KdiError('UNAVAILABLE', `tablet ${entry.id} is unloaded here, but writing its config to META failed (retried in the background): ${(e as Error).message}`, {
          details: { tabletId: entry.id },
          retryAfterMs: 2000,
          cause: e,
        });
      }
      this.log.info({ tabletId: entry.id, table: entry.table }, 'tablet unloaded; config written without log');
    });
  }

  /** Called when a tablet stops being served here (server-side scanners of its table are closed). */
  onTabletRemoved(listener: (entry: TabletEntry) => void): void {
    this.tabletRemovedListeners.push(listener);
  }

  /**
   * Splits a serving tablet at `row` (default: the approximate median of
   * its disk data) into (lower, row] and (row, upper].
   */
  async splitTablet(id: string, row?: Uint8Array, ids?: { low?: string | undefined; high?: string | undefined }): Promise<SplitResult> {
    this.checkOpen();
    const entry = this.requireTablet(id);
    if (entry.state !== 'serving') throw notServing(entry, 'split');
    if (entry.table === META_TABLE) throw new KdiError('FAILED_PRECONDITION', `${META_TABLE} is one tablet and is never split`, { details: { tabletId: id } });
    const at = row ?? this.engine.approximateMedianRow(id);
    if (at === undefined) {
      throw new KdiError('FAILED_PRECONDITION', `tablet ${id} has no disk data to find a median row in; give the split row`, { details: { tabletId: id } });
    }
    if (!isStrictlyInside(entry, at)) {
      throw new KdiError('INVALID_ARGUMENT', `the split row must lie strictly inside tablet ${id}: above its lower bound and below its upper bound`, {
        details: { field: 'row', tabletId: id },
      });
    }
    const newId = this.o.newTabletId ?? randomTabletId;
    const lowId = ids?.low ?? newId();
    const highId = ids?.high ?? newId();
    for (const [field, value] of [['lowTabletId', lowId], ['highTabletId', highId]] as const) {
      checkName(field, value);
      if (this.map.get(value) !== undefined || this.engine.tabletIds().includes(value)) {
        throw new KdiError('ALREADY_EXISTS', `${field}: tablet ${value} already exists on this server`, { details: { field, tabletId: value } });
      }
    }
    if (lowId === highId) throw new KdiError('INVALID_ARGUMENT', 'lowTabletId and highTabletId must differ', { details: { field: 'highTabletId' } });
    const meta = this.o.meta;
    const parent = assignedTablet(entry);
    if (meta !== undefined && parent !== undefined) {
      return meta.run(async () => {
        if (this.map.get(id) !== entry || entry.state !== 'serving') throw notServing(entry, 'split');
        const lists = await this.engine.beginPublish(id);
        try {
          await meta.writeSplit(parent, at, lists);
        } catch (e) {
          // The write may have committed with its answer lost: then the engine must follow META.
          const committed = await meta.splitCommitted(parent, at).catch(() => false);
          if (!committed) throw fromStorageError(e);
          this.log.warn({ err: e, tabletId: id }, 'split reached META although its write failed; splitting to match');
        }
        const split = await this.splitNow(entry, at, lowId, highId);
        await this.engine.endPublish(lowId, lists);
        await this.engine.endPublish(highId, lists);
        return split;
      });
    }
    return this.splitNow(entry, at, lowId, highId);
  }

  private async splitNow(entry: TabletEntry, at: Uint8Array, lowId: string, highId: string): Promise<SplitResult> {
    const id = entry.id;
    // The engine swaps its tablets synchronously before its first await;
    // the map changes in the same step.
    const done = this.engine.splitTablet(id, at, lowId, highId);
    const { low, high } = this.map.split(id, at, lowId, highId);
    try {
      await done;
    } catch (e) {
      if (this.engine.tabletIds().includes(id)) {
        // The engine refused before changing anything: undo ours.
        this.map.remove(lowId);
        this.map.remove(highId);
        this.map.add(entry);
      }
      throw fromStorageError(e);
    }
    this.log.info({ tabletId: id, low: lowId, high: highId }, 'tablet split');
    return { parent: id, row: at, low: this.view(low), high: this.view(high) };
  }

  /** Compacts a tablet's chain (all of it with `full`, else the picker's choice). */
  async compactTablet(id: string, full: boolean): Promise<TabletView> {
    this.checkOpen();
    this.requireTablet(id);
    try {
      await this.engine.compactTablet(id, { full });
    } catch (e) {
      throw fromStorageError(e);
    }
    return this.view(this.requireTablet(id));
  }

  /** Writes every table's memory data to disk fragments. */
  async serialize(): Promise<void> {
    this.checkOpen();
    try {
      await this.engine.serialize();
    } catch (e) {
      throw fromStorageError(e);
    }
  }

  tablets(table?: string): TabletView[] {
    return (table === undefined ? this.map.all() : this.map.tabletsOf(table)).map((e) => this.view(e));
  }

  /** Bytes of the table's memory fragments (0 before its first tablet is in the engine). */
  tableMemoryBytes(table: string): number {
    const ids = this.engine.tabletIds();
    const entry = this.map.tabletsOf(table).find((e) => ids.includes(e.id));
    return entry === undefined ? 0 : this.engine.tabletSizes(entry.id).tableMemoryBytes;
  }

  schemaOf(table: string): TableSchema | undefined {
    return this.schemas.get(table);
  }

  requireTablet(id: string): TabletEntry {
    const entry = this.map.get(id);
    if (entry === undefined) throw new KdiError('NOT_FOUND', `tablet ${id} is not on this server`, { details: { tabletId: id } });
    return entry;
  }

  private view(e: TabletEntry): TabletView {
    const s = this.engine.tabletIds().includes(e.id) ? this.engine.tabletSizes(e.id) : { fragments: 0, diskBytes: 0, diskCells: 0 };
    return {
      tabletId: e.id,
      table: e.table,
      lowerExclusive: e.lowerExclusive,
      upperInclusive: e.upperInclusive,
      state: e.state,
      fragments: s.fragments,
      diskBytes: s.diskBytes,
      diskCells: s.diskCells,
    };
  }

  // ---- table API -----------------------------------------------------------

  /** One atomic batch; resolves with its txn (durable when waitForSync). */
  async apply(table: string, cells: readonly Cell[], opts: { commitMaxTxn?: number | undefined; waitForSync: boolean }): Promise<number> {
    this.checkOpen();
    this.checkLease('no write was applied');
    checkName('table', table);
    checkWrite(
      { map: this.map, limits: this.limits, serverId: this.serverId, schema: this.schemas.get(table) },
      table,
      cells,
    );
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
      return txn;
    } catch (e) {
      if (e instanceof KdiError) throw e;
      const details = conflictDetails(e, cells);
      const mapped = fromStorageError(e, details);
      if (mapped instanceof KdiError && mapped.code === 'RESOURCE_EXHAUSTED') this.busyRejections++;
      throw mapped;
    } finally {
      set.delete(pending);
      if (set.size === 0 && this.writes.get(table) === set) this.writes.delete(table);
    }
  }

  /** Refuses (UNAVAILABLE) when the server's lease is not live. */
  private checkLease(outcome: string): void {
    if (this.o.lease && !this.o.lease.isLive()) {
      throw new KdiError('UNAVAILABLE', `server ${this.serverId} has lost its lease on the lock service; ${outcome}. Ask the master where the tablet is now`, {
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

  /** Approximate cells and bytes of the predicate, per tablet served here whose rows it meets. */
  stat(table: string, predicate: Predicate): { cells: number; bytes: number; tablets: TabletStatView[] } {
    this.checkOpen();
    checkName('table', table);
    const entries = this.map.tabletsOf(table).filter((e) => e.state !== 'loading');
    if (entries.length === 0) throw wrongTablet(this.wrongTabletContext(), table, new Uint8Array(0), undefined, 'every row');
    const rows = predicate.rows === undefined ? undefined : normalizeIntervals(predicate.rows);
    const tablets: TabletStatView[] = [];
    let cells = 0;
    let bytes = 0;
    for (const e of entries) {
      if (!rowsOverlapRange(rows, e)) continue;
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

  // ---- status and lifecycle ---------------------------------------------

  status(): {
    serverId: string;
    tablets: TabletView[];
    memoryBytes: number;
    memoryBudgetBytes: number;
    diskBytes: number;
    currentTxn: number;
    appliesInFlight: number;
    busyRejections: number;
    pendingSplitSeparations: number;
  } {
    const tablets = this.tablets();
    let appliesInFlight = 0;
    for (const set of this.writes.values()) appliesInFlight += set.size;
    return {
      serverId: this.serverId,
      tablets,
      memoryBytes: this.engine.memoryBytes(),
      memoryBudgetBytes: this.o.memoryBudgetBytes,
      diskBytes: tablets.reduce((n, t) => n + t.diskBytes, 0),
      currentTxn: this.engine.currentTxn,
      appliesInFlight,
      busyRejections: this.busyRejections,
      pendingSplitSeparations: this.splits.pendingSeparations,
    };
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Stops taking requests and closes the engine (waiting for its background work). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.splits.stop();
    await this.o.meta?.stop();
    await Promise.allSettled([...this.writes.values()].flatMap((s) => [...s]));
    await this.engine.close();
  }

  checkOpen(): void {
    if (this.closed) throw new KdiError('UNAVAILABLE', `tablet server ${this.serverId} is shutting down`);
  }
}

function notServing(entry: TabletEntry, what: string): KdiError {
  return new KdiError('FAILED_PRECONDITION', `cannot ${what} tablet ${entry.id}: it is ${entry.state}, not serving`, {
    details: { tabletId: entry.id, state: entry.state },
  });
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
