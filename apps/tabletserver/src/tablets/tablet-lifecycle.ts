// Tablet lifecycle (DESIGN §5, §7): which tablets this server serves and
// how they come and go — load (with bounds, or from META), unload, split,
// merge (tablet-merge.ts),
// dormant tablets kept from before a restart, fencing (abandon), and the
// storage upkeep an admin asks for (compact, serialize). The data path is
// in data-operations.ts; META is reached through the TabletMeta port
// (tablet-meta.ts) only. It knows nothing of HTTP.
//
// Promises:
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
//    gave, and serves only after its config names this server's log;
//  - migration (DESIGN §10): the tablet side of a move is tablet-handover.ts
//    (`handover`), which shares this map, engine and listeners.

import { KdiError } from '@kdi/protocol';
import { defaultGroups, type Engine } from '@kdi/storage';
import type { DataOperations } from './data-operations.js';
import { checkName, randomTabletId } from './names.js';
import { isStrictlyInside, rangeCovers, rangesOverlap, sameBound, type RowRange } from './row-range.js';
import { fromStorageError } from './storage-errors.js';
import type { TabletEntry, TabletMap } from './tablet-map.js';
import { TabletHandover } from './tablet-handover.js';
import { assignedTablet, META_TABLE, type AssignedTablet, type TabletMeta } from './tablet-meta.js';
import type { TableSchema } from '@kdi/protocol';
import type {
  DormantTabletView,
  LoadFromMetaRequest,
  LoadTabletRequest,
  MergeResult,
  ServerLogger,
  SplitResult,
  TabletChange,
  TabletServerOptions,
  TabletView,
} from './tablet-types.js';
import { mergeTablets, type MergeContext } from './tablet-merge.js';

export class TabletLifecycle {
  readonly serverId: string;
  private readonly log: ServerLogger;
  private readonly tabletRemovedListeners: Array<(entry: TabletEntry) => void> = [];
  private readonly changeListeners: Array<(change: TabletChange) => void> = [];
  /** Tablets the master gave to another server (abandoned here), with why: the engine keeps them dormant. */
  private readonly fenced = new Map<string, string>();
  /** The migration side (tablet-handover.ts): preloaded tablets, hand-over. */
  readonly handover: TabletHandover;

  constructor(
    readonly engine: Engine,
    readonly map: TabletMap,
    /** Per table, the schema its tablets here were loaded with (shared with the data path's write check). */
    private readonly schemas: Map<string, TableSchema>,
    private readonly o: TabletServerOptions,
    /** Applies in flight (an unload waits for its table's). */
    private readonly data: Pick<DataOperations, 'settled'>,
    /** Throws UNAVAILABLE once the server is closing. */
    private readonly checkOpen: () => void,
    /** Throws UNAVAILABLE while the server does not hold its lock file (another live process may hold the id). */
    private readonly checkMember: () => void,
    log: ServerLogger,
  ) {
    this.serverId = o.serverId;
    this.log = log;
    this.handover = new TabletHandover({
      engine,
      map,
      schemas,
      serverId: o.serverId,
      meta: o.meta,
      log,
      checkOpen,
      checkMember,
      dormant: (table) => this.dormant(table),
      removed: (entry) => {
        for (const listener of this.tabletRemovedListeners) listener(entry);
      },
      changed: (change) => this.changed(change),
      fence: (id, reason) => (reason === undefined ? this.fenced.delete(id) : this.fenced.set(id, reason)),
      view: (e) => this.view(e),
    });
  }

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
    this.checkMember();
    checkName('table', req.table);
    checkName('tabletId', req.tabletId);
    if (this.o.meta) {
      throw new KdiError(
        'FAILED_PRECONDITION',
        `server ${this.serverId} is part of a cluster: tablets load from their config in META; give the tablet's upperInclusive and the assignment epoch instead of bounds and schema`,
        {
          details: { field: 'epoch' },
        },
      );
    }
    const entry: TabletEntry = { id: req.tabletId, table: req.table, lowerExclusive: req.lowerExclusive, upperInclusive: req.upperInclusive, state: 'loading' };
    const current = this.schemas.get(req.table);
    const schema = req.schema ?? current;
    const othersHere = this.map.hasTable(req.table);
    this.checkNoDormantOverlap(req.tabletId, req.table, { lowerExclusive: req.lowerExclusive, upperInclusive: req.upperInclusive });
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
    this.fenced.delete(entry.id);
    entry.state = 'serving';
    this.log.info({ tabletId: entry.id, table: entry.table }, 'tablet loaded');
    this.changed({ kind: 'load', tabletId: entry.id });
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
    this.checkMember();
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
      this.checkMember();
      const plan = await meta.planLoad(req.table, req.upperInclusive, req.epoch);
      const range = { lowerExclusive: plan.lowerExclusive, upperInclusive: plan.upperInclusive };
      // A migration preloaded these rows here: the master assigned them anew, so that commit can no longer happen.
      for (const id of this.handover.stagedOverlapping(req.table, range)) await this.handover.dropStaged(id);
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
      this.fenced.delete(id);
      entry.state = 'serving';
      this.log.info({ tabletId: id, table: req.table, epoch: req.epoch, adopted: adopt !== undefined, replayedLogs: plan.logs, logFrom }, 'tablet loaded from META');
      this.changed({ kind: 'load', tabletId: id });
      return this.view(entry);
    });
  }

  /** Every tablet the engine holds that this server does not serve, with why (GET /v1/admin/status). */
  dormantTablets(): DormantTabletView[] {
    return this.engine
      .tabletIds()
      .filter((id) => this.map.get(id) === undefined && !this.handover.isIncoming(id))
      .map((id) => {
        const r = this.engine.tabletRange(id);
        const fenced = this.fenced.get(id);
        return {
          tabletId: id,
          table: r.table,
          lowerExclusive: r.lowerExclusive,
          upperInclusive: r.upperInclusive,
          reason: fenced === undefined ? 'restart' : 'fenced',
          detail:
            fenced === undefined
              ? `kept by the storage engine from before a restart, not served; load it by its id ${id} to serve it again`
              : `no longer served here: the master gave it to another server (${fenced}); its data stays until a load here settles it`,
        };
      });
  }

  /**
   * FAILED_PRECONDITION (like an overlap with a served tablet) when a new
   * tablet would overlap one the engine keeps dormant: the client is told
   * which and why, and how to serve it again.
   */
  private checkNoDormantOverlap(id: string, table: string, range: RowRange): void {
    for (const d of this.dormantTablets()) {
      if (d.tabletId === id || d.table !== table || !rangesOverlap(d, range)) continue;
      throw new KdiError('FAILED_PRECONDITION', `tablet ${id} overlaps tablet ${d.tabletId} of table ${table}, which this server holds dormant: ${d.detail}`, {
        details: { tabletId: id, overlaps: d.tabletId, table, dormant: d.reason },
      });
    }
  }

  /** Tablets of `table` the engine holds that this server does not serve (kept from before a restart, or fenced). */
  private dormant(table: string): string[] {
    return this.engine.tabletIds().filter((id) => this.map.get(id) === undefined && !this.handover.isIncoming(id) && this.engine.tabletRange(id).table === table);
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
  abandon(id: string, reason: string): void {
    const entry = this.map.remove(id);
    if (entry === undefined) return;
    this.fenced.set(id, reason);
    for (const listener of this.tabletRemovedListeners) listener(entry);
    this.log.error({ tabletId: id, table: entry.table, reason }, 'tablet fenced: no longer served here');
    this.changed({ kind: 'unload', tabletId: id });
  }

  async unloadTablet(id: string): Promise<void> {
    this.checkOpen();
    const entry = this.requireTablet(id);
    if (entry.state !== 'serving') throw notServing(entry, 'unload');
    const meta = this.o.meta;
    const assigned = assignedTablet(entry);
    if (meta !== undefined && assigned !== undefined) return this.unloadToMeta(meta, entry, assigned);
    entry.state = 'unloading';
    await this.data.settled(entry.table);
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
    this.changed({ kind: 'unload', tabletId: id });
  }

  /** Cluster unload: stop writes, serialize, stop reads, write the config without `log:` (DESIGN §7). */
  private async unloadToMeta(meta: TabletMeta, entry: TabletEntry, assigned: AssignedTablet): Promise<void> {
    entry.state = 'unloading';
    await this.data.settled(entry.table);
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
      this.changed({ kind: 'unload', tabletId: entry.id });
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

  /** Called after every load, unload (fencing included) and split, once the map shows it. */
  onTabletsChanged(listener: (change: TabletChange) => void): void {
    this.changeListeners.push(listener);
  }

  private changed(change: TabletChange): void {
    for (const listener of this.changeListeners) {
      try {
        listener(change);
      } catch (e) {
        this.log.error({ err: e, change }, 'a tablet change listener failed');
      }
    }
  }

  /**
   * Splits a serving tablet at `row` (default: the approximate median of
   * its disk data) into (lower, row] and (row, upper].
   */
  async splitTablet(id: string, row?: Uint8Array, ids?: { low?: string | undefined; high?: string | undefined }): Promise<SplitResult> {
    this.checkOpen();
    const entry = this.requireTablet(id);
    if (entry.state !== 'serving') throw notServing(entry, 'split');
    if (entry.migrating === true) {
      throw new KdiError('FAILED_PRECONDITION', `tablet ${id} is moving to another server; split it after the move`, { details: { tabletId: id, state: 'migrating' } });
    }
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
    for (const [field, value] of [
      ['lowTabletId', lowId],
      ['highTabletId', highId],
    ] as const) {
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

  /** Merges serving tablet `id` with the adjacent tablet `withId` (tablet-merge.ts). */
  mergeTablets(id: string, withId: string, mergedId?: string): Promise<MergeResult> {
    const ctx: MergeContext = {
      engine: this.engine,
      map: this.map,
      meta: this.o.meta,
      log: this.log,
      newTabletId: this.o.newTabletId,
      checkOpen: () => this.checkOpen(),
      requireTablet: (x) => this.requireTablet(x),
      view: (e) => this.view(e),
      changed: (c) => this.changed(c),
      abandon: (x, reason) => this.abandon(x, reason),
    };
    return mergeTablets(ctx, id, withId, mergedId);
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
    this.changed({ kind: 'split', parent: id, low: lowId, high: highId });
    return { parent: id, row: at, low: this.view(low), high: this.view(high) };
  }

  /**
   * Reads the table's schema from META again and applies it to the table's
   * tablets here (DESIGN §6: the master pushes a reload after setting a
   * schema); resolves with how many tablets of the table this server
   * holds. NOT_FOUND when it holds none; FAILED_PRECONDITION without META
   * or when META's schema is invalid — then the last valid schema stays.
   */
  async reloadSchema(table: string): Promise<number> {
    this.checkOpen();
    checkName('table', table);
    const notHere = () => new KdiError('NOT_FOUND', `no tablet of table ${table} is on server ${this.serverId}, so there is no schema to reload here`, { details: { table } });
    if (!this.map.hasTable(table)) throw notHere();
    const meta = this.o.meta;
    if (meta === undefined) {
      throw new KdiError(
        'FAILED_PRECONDITION',
        `server ${this.serverId} runs without a lock service, so it has no META to read the schema from: load the tablets again with the schema`,
        {
          details: { table },
        },
      );
    }
    return meta.run(async () => {
      this.checkOpen();
      const schema = await meta.readTableSchema(table);
      if (!this.map.hasTable(table)) throw notHere();
      if (JSON.stringify(schema) !== JSON.stringify(this.schemas.get(table)) && this.engine.tabletIds().some((id) => this.engine.tabletRange(id).table === table)) {
        try {
          await this.engine.setTableSchema(table, schema?.groups ?? defaultGroups());
        } catch (e) {
          const mapped = fromStorageError(e);
          if (mapped instanceof KdiError && mapped.code === 'INVALID_ARGUMENT') {
            throw new KdiError('FAILED_PRECONDITION', `the schema of table ${table} in META is invalid here (the last valid one stays): ${mapped.message}`, {
              details: { table },
              cause: e,
            });
          }
          throw mapped;
        }
      }
      if (schema === undefined) this.schemas.delete(table);
      else this.schemas.set(table, schema);
      this.log.info({ table, tablets: this.map.tabletsOf(table).length }, 'table schema reloaded from META');
      return this.map.tabletsOf(table).length;
    });
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

  requireTablet(id: string): TabletEntry {
    const entry = this.map.get(id);
    if (entry === undefined) throw new KdiError('NOT_FOUND', `tablet ${id} is not on this server`, { details: { tabletId: id } });
    return entry;
  }

  view(e: TabletEntry): TabletView {
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
}

function notServing(entry: TabletEntry, what: string): KdiError {
  return new KdiError('FAILED_PRECONDITION', `cannot ${what} tablet ${entry.id}: it is ${entry.state}, not serving`, {
    details: { tabletId: entry.id, state: entry.state },
  });
}
