// Tablets moving between servers (DESIGN §10; the protocol is in
// migration/): this server's tablet side of a migration, beside the
// lifecycle (tablet-lifecycle.ts) whose map, engine and listeners it uses.
//
// Promises:
//  - source: markMigrating writes the tablet's config with `state:
//    migrating` (or back to `serving`, which fences a commit that has not
//    landed) — for META, the root's state (move-config.ts); handOver removes the tablet from the map before the engine
//    drops it, so writes released from the freeze find no tablet and get
//    WRONG_TABLET (with the target's location, as its commit answered, as
//    the hint; for HANDED_OVER_KEEP_MS, then META's) — dropped from
//    the engine also when a refused META write fenced it first (the map
//    no longer has it, the engine still does, frozen);
//  - target: a preloaded tablet is in the engine (compactions held) but
//    not in the map — never served, not dormant, not a tablet that left
//    for META reconciliation — until its commit's META write (conditioned
//    on the source's location, epoch and `state: migrating`) succeeded;
//    a migration that ends otherwise drops it (its files: this server's).

import { KdiError, type Cell, type TableSchema } from '@kdi/protocol';
import type { Engine } from '@kdi/storage';
import { rangeContains, rangeCovers, rangesOverlap, type RowRange } from './row-range.js';
import { fromStorageError } from './storage-errors.js';
import type { TabletEntry, TabletMap } from './tablet-map.js';
import { moveConfigFor } from './move-config.js';
import { assignedTablet, META_TABLE, type MigrationMetaRead, type RowLocation, type TabletMeta } from './tablet-meta.js';
import type { MigratedTabletRequest, PreloadTabletRequest, ServerLogger, TabletChange, TabletView } from './tablet-types.js';

/** What the migration side needs of the lifecycle. */
export interface HandoverHost {
  readonly engine: Engine;
  readonly map: TabletMap;
  readonly schemas: Map<string, TableSchema>;
  readonly serverId: string;
  readonly meta: TabletMeta | undefined;
  readonly log: ServerLogger;
  checkOpen(): void;
  checkMember(): void;
  /** Tablets of `table` in the engine and not served (preloaded ones excluded). */
  dormant(table: string): string[];
  /** The tablet stopped being served: the lifecycle's removal listeners. */
  removed(entry: TabletEntry): void;
  changed(change: TabletChange): void;
  /** Records (or with undefined clears) why a tablet the engine keeps is not served. */
  fence(id: string, reason: string | undefined): void;
  view(e: TabletEntry): TabletView;
}

type Staged = RowRange & {
  tabletId: string;
  table: string;
  schema: TableSchema | undefined;
  stale: string[];
  logFrom: number;
  /** The tablet's META row as last read (at preload, refreshed by each delta round): the commit's write skips its own read. */
  metaRead: MigrationMetaRead | undefined;
};

/** Where a migration handed a tablet to: the target's id, URL and the new epoch. */
export interface HandedOverTo {
  readonly serverId: string;
  readonly url: string;
  readonly epoch: number;
}

type HandedOver = RowRange & { table: string; location: RowLocation; until: number };

/** How long a handed-over tablet's new location answers WRONG_TABLET hints here without a META read. */
const HANDED_OVER_KEEP_MS = 10_000;

export class TabletHandover {
  /** Tablets a migration preloaded here (in the engine, compactions held), until its commit or abort. */
  private readonly staged = new Map<string, Staged>();
  /** Tablets handed over lately, by id: their rows' new location (the WRONG_TABLET hint without reading META). */
  private readonly handedOver = new Map<string, HandedOver>();

  constructor(private readonly h: HandoverHost) {}

  /** Preloaded tablets of `table` whose rows overlap `range`. */
  stagedOverlapping(table: string, range: RowRange): string[] {
    return [...this.staged.values()].filter((s) => s.table === table && rangesOverlap(s, range)).map((s) => s.tabletId);
  }

  /**
   * Source, after the target committed: stop serving the tablet (reads
   * and writes get WRONG_TABLET, with META's new location as the hint) and
   * drop it from the engine — META names the target's copies now, so this
   * server's files and log are needed by no config. Writes waiting on the
   * freeze find the tablet gone.
   */
  async handOver(id: string, to: HandedOverTo): Promise<void> {
    const entry = this.h.map.remove(id);
    if (entry !== undefined) {
      // Before anything awaits: the writes released from the freeze are answered with this hint, not after a META read.
      this.handedOver.set(id, {
        table: entry.table,
        lowerExclusive: entry.lowerExclusive,
        upperInclusive: entry.upperInclusive,
        location: { serverId: to.serverId, url: to.url, epoch: to.epoch, state: 'serving' },
        until: performance.now() + HANDED_OVER_KEEP_MS,
      });
      if (!this.h.map.hasTable(entry.table)) this.h.schemas.delete(entry.table);
      this.h.removed(entry);
      this.h.changed({ kind: 'unload', tabletId: id });
    }
    // Dropped from the engine even when the map no longer had it: this
    // server's publisher may have found META naming the target already
    // (its write refused) and fenced the tablet — which leaves it in the
    // engine, dormant, still frozen. Writes waiting on that freeze must
    // find it gone, or they would be applied (and acknowledged) here after
    // the target took over: lost.
    this.h.fence(id, undefined);
    if (this.h.engine.tabletIds().includes(id)) {
      try {
        await this.h.engine.dropTablet(id);
      } catch (e) {
        throw fromStorageError(e);
      }
    }
    this.h.log.info({ tabletId: id, table: entry?.table, to: to.serverId, fencedBefore: entry === undefined }, 'tablet handed over to its new server');
  }

  /**
   * Where a row of a tablet this server handed over in the last
   * HANDED_OVER_KEEP_MS is served: the migration's target, as its commit
   * answered (the WRONG_TABLET hint for the writes that waited on the
   * freeze, without a META read). Undefined otherwise (then META is asked).
   */
  handedOverLocation(table: string, row: Uint8Array): RowLocation | undefined {
    const now = performance.now();
    for (const [id, h] of this.handedOver) {
      if (h.until <= now) {
        this.handedOver.delete(id);
        continue;
      }
      if (h.table === table && rangeContains(h, row)) return h.location;
    }
    return undefined;
  }

  /**
   * Target's preload (DESIGN §10: before the commit, the target loads the
   * tablet's indexes and in-memory groups and warms its block cache): the
   * files received so far are adopted into the engine with compactions
   * held (not served, not in the map), the source's hot blocks read into
   * the cache, a log segment started for the tablet's `log:`. Resolves
   * with the adopted lists (received path → adopted path, per position).
   */
  preloadMigrated(req: PreloadTabletRequest): Promise<Map<string, string>> {
    this.h.checkOpen();
    this.h.checkMember();
    const meta = this.h.meta;
    if (meta === undefined) throw new KdiError('FAILED_PRECONDITION', `server ${this.h.serverId} runs without a lock service: it takes no migrations`);
    return meta.run(async () => {
      this.h.checkOpen();
      this.h.checkMember();
      const range = { lowerExclusive: req.lowerExclusive, upperInclusive: req.upperInclusive };
      if (this.h.map.get(req.tabletId) !== undefined || this.staged.has(req.tabletId) || this.h.engine.tabletIds().includes(req.tabletId)) {
        throw new KdiError('ALREADY_EXISTS', `tablet ${req.tabletId} is already on server ${this.h.serverId}`, { details: { tabletId: req.tabletId } });
      }
      const clash = this.h.map.tabletsOf(req.table).find((e) => rangesOverlap(e, range)) ?? [...this.staged.values()].find((x) => x.table === req.table && rangesOverlap(x, range));
      if (clash !== undefined) {
        throw new KdiError('FAILED_PRECONDITION', `tablet ${req.tabletId} overlaps tablet ${'id' in clash ? clash.id : clash.tabletId} of table ${req.table} on this server`, {
          details: { tabletId: req.tabletId },
        });
      }
      // META has no schema row (as when it is loaded: planLoad).
      const schema = req.table === META_TABLE ? undefined : await meta.readTableSchema(req.table);
      // Copies kept from an earlier tenure here are stale: they leave the engine (files kept) first.
      const stale = this.h.dormant(req.table).filter((id) => rangesOverlap(this.h.engine.tabletRange(id), range));
      for (const id of stale) await this.h.engine.unloadTablet(id);
      // Every write to the tablet here (its memory cells at commit, then clients') is in this segment or later.
      const logFrom = await this.h.engine.startLogSegment();
      let loaded;
      try {
        loaded = await this.h.engine.adoptTablet({ id: req.tabletId, table: req.table, ...range, ...(schema && { groups: schema.groups }), files: req.files, staged: true });
      } catch (e) {
        throw fromStorageError(e);
      }
      this.staged.set(req.tabletId, { tabletId: req.tabletId, table: req.table, ...range, schema, stale, logFrom, metaRead: undefined });
      const adopted = adoptedPaths(req.files, loaded.fragments);
      const warmed = await this.h.engine
        .warmBlocks(
          req.tabletId,
          req.hotBlocks.flatMap((h) => (adopted.has(h.path) ? [{ path: adopted.get(h.path)!, block: h.block }] : [])),
        )
        .catch((e: unknown) => this.h.log.warn({ err: e, tabletId: req.tabletId }, 'warming the cache for a migrating tablet failed'));
      this.refreshMetaRead(req.tabletId);
      this.h.log.info({ tabletId: req.tabletId, table: req.table, files: adopted.size, warmedBlocks: warmed }, 'migrating tablet preloaded');
      return adopted;
    });
  }

  /**
   * Source of a migration: marks the serving tablet as moving (or not) and
   * writes its config now — `state: migrating` while it moves, which the
   * target's commit requires; writing `serving` back fences a commit that
   * has not landed (the target's write then fails its condition).
   * FAILED_PRECONDITION when `location:` no longer names this server.
   */
  async markMigrating(id: string, migrating: boolean): Promise<void> {
    const meta = this.h.meta;
    if (meta === undefined) throw new KdiError('FAILED_PRECONDITION', `server ${this.h.serverId} runs without a lock service: no migrations`);
    const table = this.h.map.get(id)?.table;
    if (table === undefined) throw new KdiError('FAILED_PRECONDITION', `tablet ${id} is not serving here`, { details: { tabletId: id } });
    // A META row, or the root for META itself (move-config.ts).
    const where = moveConfigFor(table);
    await where.run(meta, async () => {
      const entry = this.h.map.get(id);
      if (entry === undefined || entry.state !== 'serving') throw new KdiError('FAILED_PRECONDITION', `tablet ${id} is not serving here`, { details: { tabletId: id } });
      entry.migrating = migrating;
      const assigned = assignedTablet(entry);
      if (assigned === undefined) return;
      const lists = await where.writeFlag(meta, assigned, () => this.h.engine.beginPublish(id));
      if (lists !== undefined) await this.h.engine.endPublish(id, lists);
    });
  }

  /** Is `id` a tablet a migration preloaded here, not committed yet? */
  isIncoming(id: string): boolean {
    return this.staged.has(id);
  }

  /**
   * Target's delta round (after preloadMigrated, before the commit): cells
   * written at the source since the round before are applied to the
   * preloaded tablet through this server's log (durable; in the segment
   * started at preload or later, which `log:` names at the commit).
   * Applying a cell again changes nothing (cells carry their timestamps).
   */
  async applyMigratedDelta(id: string, cells: readonly Cell[]): Promise<void> {
    this.h.checkOpen();
    const staged = this.staged.get(id);
    if (staged === undefined) throw new KdiError('FAILED_PRECONDITION', `tablet ${id} was not preloaded here: preload before sending cells`, { details: { tabletId: id } });
    // Outside the stall: the commit's META write will use this read of the row (taken while the source still serves).
    this.refreshMetaRead(id);
    if (cells.length === 0) return;
    try {
      await this.h.engine.apply(staged.table, cells, { sync: true });
    } catch (e) {
      throw fromStorageError(e);
    }
  }

  /** Reads the staged tablet's META row for its commit, in the background (best effort: without it the commit reads itself). */
  private refreshMetaRead(id: string): void {
    const staged = this.staged.get(id);
    const meta = this.h.meta;
    // META's config is the root, written by compare-and-set: nothing to read ahead.
    if (staged === undefined || meta === undefined || staged.table === META_TABLE) return;
    void meta.readForMigration(staged.table, staged.upperInclusive).then(
      (read) => {
        if (staged.metaRead === undefined || read.txn >= staged.metaRead.txn) staged.metaRead = read;
      },
      () => undefined,
    );
  }

  /** A preloaded tablet whose migration ended without a commit leaves the engine (its files deleted: this server owns them). */
  async dropStaged(id: string): Promise<void> {
    if (!this.staged.delete(id)) return;
    if (this.h.map.get(id) === undefined && this.h.engine.tabletIds().includes(id))
      await this.h.engine.dropTablet(id).catch((e: unknown) => this.h.log.warn({ err: e, tabletId: id }, 'dropping a preloaded tablet failed'));
  }

  /**
   * Target's commit (DESIGN §10), after preloadMigrated: the preloaded
   * tablet takes the final lists (files it holds reused, newly received
   * ones adopted), the newly received files' hot blocks are warmed, the
   * source's memory cells applied through this server's log (durable),
   * then the config — location = this server with the new epoch, these
   * fragments, this log — is written as a row transaction conditioned on
   * `location:` naming the source with its epoch, and the tablet serves.
   * When the write fails, META is read: committed after all → serve; not
   * committed → the tablet leaves the engine (its files deleted) and the
   * error is thrown; META unreadable → the tablet stays dormant (META may
   * name it) and UNAVAILABLE is thrown.
   */
  receiveMigrated(req: MigratedTabletRequest): Promise<{ view: TabletView; parts: Record<string, number> }> {
    this.h.checkOpen();
    this.h.checkMember();
    const meta = this.h.meta;
    if (meta === undefined) throw new KdiError('FAILED_PRECONDITION', `server ${this.h.serverId} runs without a lock service: it takes no migrations`);
    const t0 = performance.now();
    const ms: Record<string, number> = {};
    const lap = (what: string) => (ms[what] = Math.round((performance.now() - t0) * 10) / 10);
    // Resolved the moment the tablet serves: the caller's answer releases the source's waiting writes, so the
    // bookkeeping after it (the publication record, letting compactions go) does not hold them.
    let served!: (r: { view: TabletView; parts: Record<string, number> }) => void;
    const serving = new Promise<{ view: TabletView; parts: Record<string, number> }>((resolve) => (served = resolve));
    // Behind this server's other META writes — except a commit of META itself, which writes the root (move-config.ts).
    const where = moveConfigFor(this.staged.get(req.tabletId)?.table ?? '');
    const job = where.run(meta, async () => {
      lap('queued'); // behind this server's other META writes
      this.h.checkOpen();
      this.h.checkMember();
      const staged = this.staged.get(req.tabletId);
      if (staged === undefined)
        throw new KdiError('FAILED_PRECONDITION', `tablet ${req.tabletId} was not preloaded here: preload before commit`, { details: { tabletId: req.tabletId } });
      const range = { lowerExclusive: staged.lowerExclusive, upperInclusive: staged.upperInclusive };
      const entry: TabletEntry = { id: req.tabletId, table: staged.table, ...range, state: 'loading', epoch: req.newEpoch, logFrom: staged.logFrom };
      this.h.map.add(entry);
      let kept = false;
      try {
        // The preload warmed the blocks of the files it adopted; inside the stall only the files new since then are warmed
        // (warming the preloaded ones again re-reads what a full cache evicted, and evicts others in turn).
        // Without final lists (delta shipping: the delta rounds and the memory cells carry every write since the preload's
        // lists) the tablet keeps what it preloaded.
        let warmed = 0;
        if (req.files !== undefined) {
          const preloaded = new Set(Object.values(this.h.engine.tabletFragments(req.tabletId)).flat());
          const lists = await this.h.engine.readoptTablet(req.tabletId, req.files);
          lap('adopt');
          const adopted = adoptedPaths(req.files, lists);
          warmed = await this.h.engine.warmBlocks(
            req.tabletId,
            req.hotBlocks.flatMap((h) => {
              const path = adopted.get(h.path);
              return path !== undefined && !preloaded.has(path) ? [{ path, block: h.block }] : [];
            }),
          );
          lap('warm');
        }
        if (req.memory.length > 0) await this.h.engine.apply(staged.table, req.memory, { sync: true });
        lap('memory');
        await req.beforeMetaWrite?.();
        const published = await this.h.engine.beginPublish(req.tabletId);
        try {
          await meta.writeMigrated({ ...entry, epoch: req.newEpoch, logFrom: staged.logFrom }, published, req.source, staged.metaRead);
        } catch (e) {
          const now = await meta.assignment(staged.table, staged.upperInclusive).catch(() => undefined);
          if (now === undefined) {
            // Cannot tell: META may name this server's copy. Keep it (dormant), serve nothing.
            kept = true;
            this.h.fence(req.tabletId, `the outcome of migration ${req.migrationId} is unknown (META unreadable)`);
            throw new KdiError('UNAVAILABLE', `tablet ${req.tabletId}: the outcome of its META write is unknown (${(e as Error).message}); the copy is kept here`, {
              retryAfterMs: 1000,
              cause: e,
            });
          }
          if (now.serverId !== this.h.serverId || now.epoch !== req.newEpoch) throw e;
          this.h.log.warn({ err: e, tabletId: req.tabletId }, 'migration commit reached META although its write failed; serving');
        }
        lap('meta');
        if (staged.schema !== undefined) this.h.schemas.set(staged.table, staged.schema);
        this.h.fence(req.tabletId, undefined);
        this.staged.delete(req.tabletId);
        entry.state = 'serving';
        this.h.changed({ kind: 'load', tabletId: req.tabletId });
        lap('serving');
        const result = { view: this.h.view(entry), parts: ms };
        served(result);
        // META names this server's copy and it serves: a failure from here on is logged, never undoes that.
        // (Compactions stay held until endPublish has recorded the lists META names.)
        try {
          await this.h.engine.endPublish(req.tabletId, published);
          this.h.engine.releaseAdopted(req.tabletId);
          for (const s of staged.stale) {
            const p = this.h.engine.publishedTablets().find((x) => x.id === s);
            if (p && rangeCovers(range, p)) await this.h.engine.forgetPublished(s);
          }
        } catch (err) {
          this.h.log.error({ err, tabletId: req.tabletId }, 'recording the publication of a migrated tablet failed; it serves, its next publication records it');
        }
        lap('published');
        this.h.log.info(
          {
            tabletId: req.tabletId,
            table: staged.table,
            epoch: req.newEpoch,
            from: req.source.serverId,
            memoryCells: req.memory.length,
            warmedBlocks: warmed,
            msSinceCommitStart: ms,
          },
          'tablet received by migration',
        );
        return result;
      } catch (e) {
        if (this.h.map.get(req.tabletId) === entry) this.h.map.remove(req.tabletId);
        if (kept) {
          this.staged.delete(req.tabletId);
          this.h.engine.releaseAdopted(req.tabletId);
        } else {
          await this.dropStaged(req.tabletId);
        }
        throw fromStorageError(e);
      }
    });
    return Promise.race([serving, job]);
  }
}

/** Received path → adopted path, position by position within each list. */
function adoptedPaths(files: Readonly<Record<string, readonly string[]>>, lists: Readonly<Record<string, readonly string[]>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, paths] of Object.entries(files)) paths.forEach((p, i) => lists[key]?.[i] !== undefined && out.set(p, lists[key]![i]!));
  return out;
}
