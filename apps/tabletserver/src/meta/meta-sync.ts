// This server's side of META (DESIGN §7): reading the config of a tablet
// the master asks it to load, and writing this server's configs — after a
// load, a split, a merge, an unload, and whenever serializations and compactions
// move a tablet's fragment lists (publication, libs/storage
// engine/publication.ts). The META tablet's own config is the root
// (/kdi/root, compare-and-set on its generation); every other config is a
// META row written as a row transaction that checks `location:` names
// this server with the tablet's assignment epoch (@kdi/client-sdk meta/meta-table.ts). A write
// refused because the location moved means the master gave the tablet to
// another server: this one stops serving it (fenced).
//
// Every META write of this server runs in one queue (run()), so the
// publisher never writes a tablet between a load's read and its write, or
// in the middle of a split.
//
// Publication: the engine says when its manifest changed; the publisher
// takes a snapshot of the tablets whose lists moved, writes the ones this
// server serves, and acknowledges them, which lets the engine delete log
// segments and replaced files no config needs any more. Tablets it cannot
// write (not served here, META unreachable) are tried again on a timer;
// until then the engine keeps their data (the log floor stays).

import { describeTablet, readRoot, writeRoot, type LockClient, type MetaTable, type RootConfig } from '@kdi/client-sdk';
import { isKdiError, KdiError, META_TABLE, type LogRef, type TableSchema, type TabletConfig, type TabletLocation } from '@kdi/protocol';
import type { FragmentLists } from '@kdi/storage';
import type { ServerLogger } from '../tablets/tablet-types.js';
import { assignedTablet, type AssignedTablet, type LoadPlan, type MigrationMetaRead, type PublishHost, type TabletMeta } from '../tablets/tablet-meta.js';
import { rangeCovers, rangesOverlap, sameBound, type RowRange } from '../tablets/row-range.js';

/** Where a row is served, per META. */
export interface LocationHint extends TabletLocation {
  readonly state?: TabletConfig['state'];
}

export interface MetaSyncOptions {
  readonly serverId: string;
  /**
   * This server's base URL (written into `location:`) when known up front;
   * else given by serveAt() once the server listens, before it joins.
   */
  readonly url?: string;
  /** This server's log directory (written into `log:`). */
  readonly logDir: string;
  readonly meta: MetaTable;
  readonly lockClient: LockClient;
  readonly logger: ServerLogger;
  /** How often unpublished tablets, unfinished unload writes and tablets that left are looked at again (default 2000 ms). */
  readonly retryIntervalMs?: number;
}

const ROOT_RETRIES = 5;

/** META for this server: tablet lifecycle's port (tablets/tablet-meta.ts), and the publisher. */
export class MetaSync implements TabletMeta {
  private tail: Promise<unknown> = Promise.resolve();
  private host: PublishHost | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wanted = false;
  private publishing: Promise<void> | undefined;
  private stopped = false;
  /** Unloads whose config write failed: retried until it succeeds. */
  private readonly pendingUnloads = new Map<string, { tablet: AssignedTablet; lists: FragmentLists }>();

  private url: string | undefined;

  constructor(readonly o: MetaSyncOptions) {
    this.url = o.url;
  }

  /** The base URL this server listens at (what `location:` names); set when it joins, before it loads anything. */
  serveAt(url: string): void {
    this.url = url;
  }

  get logDir(): string {
    return this.o.logDir;
  }

  /** Runs `job` after every META write queued before it. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.catch(() => undefined);
    return result;
  }

  // ---- loads ----------------------------------------------------------------

  /**
   * The config of the tablet of `table` ending at `upperInclusive` (the
   * root for META), checked to name this server with `epoch` — the master
   * writes `location:` before it asks for the load.
   */
  async planLoad(table: string, upperInclusive: Uint8Array | undefined, epoch: number): Promise<LoadPlan> {
    if (table === META_TABLE) {
      if (upperInclusive !== undefined) throw new KdiError('INVALID_ARGUMENT', `${META_TABLE} is one tablet with no upper bound; omit upperInclusive`);
      const root = await readRoot(this.o.lockClient);
      this.checkAssignment(`the ${META_TABLE} tablet (/kdi/root)`, root?.config.location, epoch);
      return { lowerExclusive: undefined, upperInclusive: undefined, fragments: root!.config.fragments, logs: root!.config.logs, schema: undefined };
    }
    const { config } = await this.o.meta.readTablet(table, upperInclusive);
    if (config === undefined) {
      throw new KdiError('NOT_FOUND', `${META_TABLE} has no tablet ${describeTablet({ table, upperInclusive })}: the master creates the row before assigning it`, {
        details: { table },
      });
    }
    this.checkAssignment(`tablet ${describeTablet(config)}`, config.location, epoch);
    const schema = await this.o.meta.readTableSchema(table);
    return { lowerExclusive: config.lowerExclusive, upperInclusive: config.upperInclusive, fragments: config.fragments, logs: config.logs, schema };
  }

  /** The table's schema as META holds it now (DESIGN §6: the master pushes a reload after setting it). */
  readTableSchema(table: string): Promise<TableSchema | undefined> {
    return this.o.meta.readTableSchema(table);
  }

  private checkAssignment(what: string, loc: TabletLocation | undefined, epoch: number): void {
    if (loc?.serverId === this.o.serverId && loc.epoch === epoch) return;
    const now = loc === undefined ? 'no server' : `server ${loc.serverId} with epoch ${loc.epoch}`;
    throw new KdiError('FAILED_PRECONDITION', `${what} is assigned to ${now}, not to this server (${this.o.serverId}) with epoch ${epoch}: write location: first`, {
      details: { serverId: this.o.serverId, epoch, ...(loc !== undefined && { assignedServerId: loc.serverId, assignedEpoch: loc.epoch }) },
    });
  }

  /**
   * Where META says the row of `table` is served (for WRONG_TABLET
   * replies): the tablet's location and state, or undefined when META has
   * no tablet for it or is out of reach.
   */
  async locate(table: string, row: Uint8Array): Promise<LocationHint | undefined> {
    if (table === META_TABLE) {
      const loc = (await readRoot(this.o.lockClient))?.config.location;
      return loc && { ...loc };
    }
    const config = await this.o.meta.findTablet(table, row);
    if (config?.location === undefined || config.table !== table) return undefined;
    return { ...config.location, ...(config.state !== undefined && { state: config.state }) };
  }

  // ---- config writes --------------------------------------------------------

  private config(t: AssignedTablet, lists: FragmentLists, serving: boolean, bounds?: Pick<TabletConfig, 'lowerExclusive' | 'upperInclusive'>): TabletConfig {
    return {
      table: t.table,
      lowerExclusive: bounds ? bounds.lowerExclusive : t.lowerExclusive,
      upperInclusive: bounds ? bounds.upperInclusive : t.upperInclusive,
      location: { serverId: this.o.serverId, url: this.location(), epoch: t.epoch },
      logs: serving ? [{ dir: this.o.logDir, fromSegment: t.logFrom }] : [],
      fragments: lists,
      state: serving ? (t.migrating === true ? 'migrating' : 'serving') : undefined,
    };
  }

  private location(): string {
    if (this.url === undefined) {
      throw new KdiError('UNAVAILABLE', `server ${this.o.serverId} has not joined its cluster yet (its URL is unknown); it writes no config to ${META_TABLE}`, {
        retryAfterMs: 1000,
      });
    }
    return this.url;
  }

  /** The tablet is served here with these fragments and this server's log. */
  writeServing(t: AssignedTablet, lists: FragmentLists): Promise<void> {
    return this.write(t, lists, true);
  }

  /** The tablet left this server cleanly: its fragments, no log (DESIGN §7 unloading). */
  async writeUnloaded(id: string, t: AssignedTablet, lists: FragmentLists): Promise<void> {
    try {
      await this.write(t, lists, false);
      this.pendingUnloads.delete(id);
    } catch (e) {
      if (isKdiError(e) && e.code === 'FAILED_PRECONDITION') {
        // The master moved the tablet meanwhile: no config of ours to write;
        // reconciliation lets go once its new owner wrote its own log.
        this.pendingUnloads.delete(id);
      } else {
        // Retried on the timer (never at once: META may stay unreachable);
        // the engine keeps what META names meanwhile (the published floor holds).
        this.pendingUnloads.set(id, { tablet: t, lists });
      }
      throw e;
    }
  }

  /**
   * A migration's commit: conditioned on `location:` naming the source with
   * its epoch and `state: migrating` (tablets/tablet-meta.ts). Where the
   * config goes is the one difference between moving a tablet and moving
   * META: a META row (a row transaction, against `read` when the target
   * took one ahead), or the root (compare-and-set).
   */
  async writeMigrated(t: AssignedTablet, lists: FragmentLists, source: { readonly serverId: string; readonly epoch: number }, read?: MigrationMetaRead): Promise<void> {
    if (t.table === META_TABLE) return this.writeRootMigrated(t, lists, source);
    const config = this.config({ ...t, migrating: false }, lists, true);
    // Only while the source still says `migrating`: a source that gave up on this commit fenced it by writing `serving`.
    const expect = { serverId: source.serverId, epoch: source.epoch, state: 'migrating' } as const;
    if (read !== undefined) {
      try {
        await this.o.meta.writeTabletAfterRead(config, expect, read);
        return;
      } catch (e) {
        // The row changed since the read (ABORTED) or the read is refused: decide on a fresh read, as without one.
        if (!(isKdiError(e) && (e.code === 'ABORTED' || e.code === 'FAILED_PRECONDITION'))) throw e;
      }
    }
    await this.o.meta.writeTablets([{ config, expect }]);
  }

  readForMigration(table: string, upperInclusive: Uint8Array | undefined): Promise<MigrationMetaRead> {
    return this.o.meta.readTablet(table, upperInclusive);
  }

  async assignment(table: string, upperInclusive: Uint8Array | undefined): Promise<LocationHint | undefined> {
    if (table === META_TABLE) return (await readRoot(this.o.lockClient))?.config.location;
    const { config } = await this.o.meta.readTablet(table, upperInclusive);
    return config?.location && { ...config.location, ...(config.state !== undefined && { state: config.state }) };
  }

  /** Did the split of `parent` at `row` reach META (its lower row names this assignment)? For a write whose answer was lost. */
  async splitCommitted(parent: AssignedTablet, row: Uint8Array): Promise<boolean> {
    const { config } = await this.o.meta.readTablet(parent.table, row);
    const loc = config?.location;
    return loc?.serverId === this.o.serverId && loc.epoch === parent.epoch && sameBound(config!.lowerExclusive, parent.lowerExclusive);
  }

  private async write(t: AssignedTablet, lists: FragmentLists, serving: boolean): Promise<void> {
    if (t.table === META_TABLE) {
      const { location, logs } = this.config(t, lists, serving);
      return this.writeRootConfig(t.epoch, { location, logs, fragments: lists });
    }
    await this.o.meta.writeTablets([{ config: this.config(t, lists, serving), expect: { serverId: this.o.serverId, epoch: t.epoch } }]);
  }

  /** A split of a served tablet at `row`: the new lower row and the narrowed upper row, in one row transaction. */
  async writeSplit(parent: AssignedTablet, row: Uint8Array, lists: FragmentLists): Promise<void> {
    if (parent.table === META_TABLE) throw new KdiError('FAILED_PRECONDITION', `${META_TABLE} is one tablet and is never split`);
    const expect = { serverId: this.o.serverId, epoch: parent.epoch };
    await this.o.meta.writeTablets([
      { config: this.config(parent, lists, true, { lowerExclusive: row, upperInclusive: parent.upperInclusive }), expect },
      { config: this.config(parent, lists, true, { lowerExclusive: parent.lowerExclusive, upperInclusive: row }), expect: undefined },
    ]);
  }

  /**
   * A merge of two adjacent served tablets (low ends where high begins)
   * into `merged`, in one row transaction: low's row erased, high's row
   * (the same key: the merged tablet ends where high did) rewritten with
   * the union range and `lists`; each row checked to name this server with
   * its tablet's epoch.
   */
  async writeMerge(low: AssignedTablet, high: AssignedTablet, merged: AssignedTablet, lists: FragmentLists): Promise<void> {
    if (high.table === META_TABLE) throw new KdiError('FAILED_PRECONDITION', `${META_TABLE} is one tablet and is never merged`);
    await this.o.meta.writeTablets([
      { config: this.config(low, lists, true), expect: { serverId: this.o.serverId, epoch: low.epoch }, erase: true },
      { config: this.config(merged, lists, true), expect: { serverId: this.o.serverId, epoch: high.epoch } },
    ]);
  }

  /** Did the merge into `merged` reach META (its row names this assignment and the merged lower bound)? For a write whose answer was lost. */
  async mergeCommitted(merged: AssignedTablet): Promise<boolean> {
    const { config } = await this.o.meta.readTablet(merged.table, merged.upperInclusive);
    const loc = config?.location;
    return loc?.serverId === this.o.serverId && loc.epoch === merged.epoch && sameBound(config!.lowerExclusive, merged.lowerExclusive);
  }

  /**
   * META's config (a load, an unload, the publisher): written if the root
   * still names this server with `epoch`. The root's `state` is kept as it
   * is: only a move of META changes it (writeRootState, writeRootMigrated),
   * so a publication racing with the source's fence cannot undo it.
   */
  private writeRootConfig(epoch: number, config: RootConfig): Promise<void> {
    return this.rewriteRoot((root) => {
      this.checkAssignment(`the ${META_TABLE} tablet (/kdi/root)`, root?.location, epoch);
      return { ...config, state: root!.state };
    });
  }

  /**
   * Source of a move of META (docs/migration.md "Moving META"): the root's
   * state only — `migrating`, or back to serving, which fences a commit
   * that has not landed — if it still names this server with `epoch`. The
   * lists stay as the publisher wrote them. FAILED_PRECONDITION when the
   * root names another server or epoch (the commit landed, or the master
   * reassigned META).
   */
  writeRootState(epoch: number, migrating: boolean): Promise<void> {
    return this.rewriteRoot((root) => {
      this.checkAssignment(`the ${META_TABLE} tablet (/kdi/root)`, root?.location, epoch);
      return { ...root!, state: migrating ? 'migrating' : undefined };
    });
  }

  /** Target of a move of META: the root names this server, its lists and log — only while it names the source with its epoch and `migrating`. */
  private writeRootMigrated(t: AssignedTablet, lists: FragmentLists, source: { readonly serverId: string; readonly epoch: number }): Promise<void> {
    const { location, logs } = this.config({ ...t, migrating: false }, lists, true);
    return this.rewriteRoot((root) => {
      const loc = root?.location;
      if (loc?.serverId !== source.serverId || loc.epoch !== source.epoch || root?.state !== 'migrating') {
        const now = loc === undefined ? 'no server' : `server ${loc.serverId} with epoch ${loc.epoch}${root?.state === 'migrating' ? ', migrating' : ''}`;
        throw new KdiError(
          'FAILED_PRECONDITION',
          `the ${META_TABLE} tablet (/kdi/root) names ${now}, not ${source.serverId} with epoch ${source.epoch} migrating: the move of ${META_TABLE} was fenced`,
          {
            details: { serverId: this.o.serverId, ...(loc !== undefined && { assignedServerId: loc.serverId, assignedEpoch: loc.epoch }) },
          },
        );
      }
      return { location, logs, fragments: lists };
    });
  }

  /** Reads the root, lets `next` check it and say what to write, writes it by compare-and-set; read again when somebody wrote it meanwhile. */
  private async rewriteRoot(next: (root: RootConfig | undefined) => RootConfig): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const root = await readRoot(this.o.lockClient);
      const config = next(root?.config);
      try {
        await writeRoot(this.o.lockClient, config, root!.generation);
        return;
      } catch (e) {
        // Somebody wrote the root since we read it: read and check again.
        if (!(isKdiError(e) && e.code === 'ABORTED') || attempt >= ROOT_RETRIES) throw e;
      }
    }
  }

  // ---- publication ------------------------------------------------------------

  /** Starts publishing for `host`: after every manifest change, and on a timer for what could not be written. */
  start(host: PublishHost): void {
    this.host = host;
    this.timer = setInterval(() => {
      this.schedule();
      this.run(() => this.reconcile()).catch((e: unknown) => this.o.logger.warn({ err: e }, 'checking tablets that left against META failed; will retry'));
    }, this.o.retryIntervalMs ?? 2000);
    this.timer.unref();
    this.schedule();
  }

  /** Runs one reconciliation now (tests; the timer runs it every retry interval). */
  reconcileNow(): Promise<void> {
    return this.run(() => this.reconcile());
  }

  /**
   * Tablets META may still need this server's files or log for, but that
   * this server does not serve (dormant after a restart, fenced, unloaded
   * with the config write still pending, stale copies): each one is let go
   * — unloaded from the engine (files kept) and forgotten, so the log can
   * move on — once META's config for its row no longer names this
   * server's log (another server loaded it and wrote its own log, or it
   * was unloaded cleanly), or names this server again for a tablet it now
   * serves under another id that covers it. Never while a new owner may
   * still be replaying this log (its config still names it).
   */
  private async reconcile(): Promise<void> {
    const host = this.host;
    if (host === undefined || this.stopped || !host.engine.isOpen) return;
    // Unload writes that failed: retried here, on the timer only (META may stay out of reach for a while).
    for (const [id, { tablet, lists }] of [...this.pendingUnloads]) {
      try {
        await this.writeUnloaded(id, tablet, lists);
        await host.engine.forgetPublished(id);
      } catch (e) {
        this.o.logger.warn({ err: e, tabletId: id }, 'writing the config of an unloaded tablet failed; will retry');
      }
    }
    for (const p of host.engine.publishedTablets()) {
      if (p.table === '' || host.map.get(p.id) !== undefined || this.pendingUnloads.has(p.id) || host.isIncoming(p.id)) continue;
      // Every config META holds for rows of this tablet (a split may have cut it up in META only).
      let rows: { logs: readonly LogRef[]; location: TabletLocation | undefined; range: RowRange }[];
      if (p.table === META_TABLE) {
        const root = await readRoot(this.o.lockClient);
        rows = root === undefined ? [] : [{ ...root.config, range: { lowerExclusive: undefined, upperInclusive: undefined } }];
      } else {
        rows = (await this.o.meta.listTablets(p.table))
          .map((c) => ({ logs: c.logs, location: c.location, range: { lowerExclusive: c.lowerExclusive, upperInclusive: c.upperInclusive } }))
          .filter((r) => rangesOverlap(r.range, p));
      }
      if (rows.length === 0) continue; // no config for these rows: cannot tell, keep
      const stillNeeded = rows.some((r) => {
        if (!r.logs.some((l) => l.dir === this.o.logDir)) return false;
        // Names this log: fine only when it is this server serving that very row now (a newer tenure).
        const servedHere = r.location?.serverId === this.o.serverId && host.map.tabletsOf(p.table).some((e) => e.state === 'serving' && rangeCovers(e, r.range));
        return !servedHere;
      });
      if (stillNeeded) continue;
      if (p.open) await host.engine.unloadTablet(p.id);
      await host.engine.forgetPublished(p.id);
      this.o.logger.info({ tabletId: p.id, table: p.table }, 'tablet no longer needs this server: let go');
    }
  }

  /** Something may need publishing (the engine saved its manifest). */
  schedule(): void {
    if (this.stopped || this.host === undefined) return;
    this.wanted = true;
    if (this.publishing) return;
    this.publishing = (async () => {
      try {
        while (this.wanted && !this.stopped) {
          this.wanted = false;
          await this.run(() => this.publishOnce());
        }
      } finally {
        this.publishing = undefined;
      }
    })().catch((e: unknown) => this.o.logger.warn({ err: e }, 'publishing tablet configs to META failed; will retry'));
  }

  /** Waits until no publication round is running or wanted (tests). */
  async settled(): Promise<void> {
    while (this.publishing) await this.publishing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.publishing;
    await this.tail;
  }

  private async publishOnce(): Promise<void> {
    const host = this.host!;
    if (!host.engine.isOpen) return;
    // Only tablets that served before the snapshot: one that began serving since (a move of META commits
    // outside this queue) wrote its own config, newer than the lists this snapshot holds for it.
    const servingBefore = new Set(host.map.all().filter((e) => e.state === 'serving'));
    const snapshot = await host.engine.publicationSnapshot();
    const done: string[] = [];
    for (const t of snapshot.tablets) {
      const entry = host.map.get(t.id);
      const assigned = entry?.state === 'serving' && servingBefore.has(entry) ? assignedTablet(entry) : undefined;
      if (assigned === undefined) continue;
      try {
        await this.writeServing(assigned, t.fragments);
        done.push(t.id);
      } catch (e) {
        if (isKdiError(e) && e.code === 'FAILED_PRECONDITION') {
          this.o.logger.error({ err: e, tabletId: t.id }, 'tablet assigned elsewhere: no longer serving it here');
          host.abandon(t.id, e.message);
        } else {
          this.o.logger.warn({ err: e, tabletId: t.id }, 'publishing a tablet config failed; will retry');
        }
      }
    }
    await host.engine.acknowledgePublication(snapshot, done);
  }
}
