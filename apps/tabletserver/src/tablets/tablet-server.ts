// The tablet server's domain object (DESIGN §4–§5): it owns the storage
// engine, and is what the HTTP routes call. It composes two parts and
// delegates to them: tablet lifecycle (tablet-lifecycle.ts: load, unload,
// split, dormant tablets, fencing) and data operations (data-operations.ts:
// apply, sync, stat; the tablet map; built first by the composition,
// node/tablet-node.ts, when META's local rows need it); it adds automatic splits
// (split-monitor.ts), status and shutdown. META is a port
// (tablet-meta.ts). It knows nothing of HTTP.
//
// Promises: those of its two parts, plus
//  - close() stops taking requests, stops split checks and META
//    publishing, waits for every apply handed to the engine, then closes
//    the engine (waiting for its background work).

import type { Cell, CellLimits, Predicate, TableSchema } from '@kdi/protocol';
import type { Engine } from '@kdi/storage';
import { KdiError } from '@kdi/protocol';
import { DataOperations, leaseProblem } from './data-operations.js';
import { SplitMonitor } from './split-monitor.js';
import { TabletLifecycle } from './tablet-lifecycle.js';
import type { TabletEntry, TabletMap } from './tablet-map.js';
import type { RowLocation, TabletMeta } from './tablet-meta.js';
import type { HandedOverTo } from './tablet-handover.js';
import type { RequestRates } from '../stats/request-rates.js';
import type {
  DormantTabletView,
  LoadFromMetaRequest,
  LoadTabletRequest,
  MigratedTabletRequest,
  PreloadTabletRequest,
  ServerLogger,
  MergeResult,
  SplitResult,
  TabletChange,
  TabletServerOptions,
  TabletStatView,
  TabletView,
} from './tablet-types.js';

export type {
  LoadFromMetaRequest,
  LoadTabletRequest,
  MergeResult,
  ServerLogger,
  SplitResult,
  TabletChange,
  TabletServerOptions,
  TabletStatView,
  TabletView,
} from './tablet-types.js';
export { checkName } from './names.js';

const silentLogger: ServerLogger = { info: () => {}, warn: () => {}, error: () => {} };

export class TabletServer {
  readonly map: TabletMap;
  readonly serverId: string;
  readonly limits: CellLimits;
  private readonly schemas: Map<string, TableSchema>;
  private readonly log: ServerLogger;
  private readonly lifecycle: TabletLifecycle;
  private readonly splits: SplitMonitor;

  /**
   * `data`: the data operations over `engine`, when the composition built
   * them first (META's local rows read and write through them before this
   * server exists); by default made here.
   */
  constructor(
    readonly engine: Engine,
    private readonly o: TabletServerOptions,
    private readonly data: DataOperations = new DataOperations(engine, o),
  ) {
    if (data.engine !== engine) throw new Error('TabletServer: the data operations run over another engine');
    this.serverId = o.serverId;
    this.limits = o.limits;
    this.map = data.map;
    this.schemas = data.schemas;
    this.log = o.logger ?? silentLogger;
    const checkOpen = () => this.checkOpen();
    this.lifecycle = new TabletLifecycle(engine, this.map, this.schemas, o, this.data, checkOpen, () => this.checkMember(), this.log);
    this.splits = new SplitMonitor(this, {
      thresholdBytes: o.splitThresholdBytes,
      intervalMs: o.splitCheckIntervalMs,
      logger: this.log,
      onSplit: o.onSplit,
    });
    this.splits.start();
    o.meta?.start({ engine, map: this.map, abandon: (id, reason) => this.lifecycle.abandon(id, reason), isIncoming: (id) => this.lifecycle.handover.isIncoming(id) });
    // The load moves with the tablet: each half of a split takes half of its counts.
    this.lifecycle.onTabletsChanged((c) => {
      if (c.kind === 'split') this.data.rates.split(c.parent, c.low, c.high);
      if (c.kind === 'merge') this.data.rates.merge(c.low, c.high, c.merged);
    });
  }

  /** Cells written and read per tablet (the heartbeats' request rates). */
  get rates(): RequestRates {
    return this.data.rates;
  }

  /** Called after every load, unload (fencing included) and split. */
  onTabletsChanged(listener: (change: TabletChange) => void): void {
    this.lifecycle.onTabletsChanged(listener);
  }

  /** In a cluster: META access; undefined for a server whose tablets are loaded with their bounds. */
  get meta(): TabletMeta | undefined {
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

  // ---- tablets (tablet-lifecycle.ts) ------------------------------------------

  /** Starts serving a tablet loaded with its bounds (no META). */
  loadTablet(req: LoadTabletRequest): Promise<TabletView> {
    return this.lifecycle.loadTablet(req);
  }

  /** Cluster load: from the tablet's config in META, checked against the assignment epoch. */
  loadFromMeta(req: LoadFromMetaRequest): Promise<TabletView> {
    return this.lifecycle.loadFromMeta(req);
  }

  /** Stops serving a tablet: writes refused, admitted applies finish, memory serialized, reads stopped. */
  unloadTablet(id: string): Promise<void> {
    return this.lifecycle.unloadTablet(id);
  }

  /** Migration source: the target committed; stop serving the tablet and drop it (tablet-lifecycle.ts). */
  handOver(id: string, to: HandedOverTo): Promise<void> {
    return this.lifecycle.handover.handOver(id, to);
  }

  /** The new location of a row of a tablet handed over here lately (the WRONG_TABLET hint without a META read), else undefined. */
  handedOverLocation(table: string, row: Uint8Array): RowLocation | undefined {
    return this.lifecycle.handover.handedOverLocation(table, row);
  }

  /** Migration source: `state: migrating` in META while the tablet moves (the target's commit requires it); false fences the commit. */
  markMigrating(id: string, migrating: boolean): Promise<void> {
    return this.lifecycle.handover.markMigrating(id, migrating);
  }

  /** Migration target: adopt what was received so far (compactions held), warm the cache (tablet-lifecycle.ts). */
  preloadMigrated(req: PreloadTabletRequest): Promise<Map<string, string>> {
    return this.lifecycle.handover.preloadMigrated(req);
  }

  /** Migration target: a preloaded tablet whose migration ended uncommitted leaves the engine. */
  dropStaged(id: string): Promise<void> {
    return this.lifecycle.handover.dropStaged(id);
  }

  /** Migration target: final lists, warm, apply memory, write META conditioned on the source, serve (tablet-lifecycle.ts). */
  receiveMigrated(req: MigratedTabletRequest): Promise<{ view: TabletView; parts: Record<string, number> }> {
    return this.lifecycle.handover.receiveMigrated(req);
  }

  /** Migration target: a delta round's cells applied to the preloaded tablet through this server's log. */
  applyMigratedDelta(id: string, cells: readonly Cell[]): Promise<void> {
    return this.lifecycle.handover.applyMigratedDelta(id, cells);
  }

  /** Called when a tablet stops being served here (server-side scanners of its table are closed). */
  onTabletRemoved(listener: (entry: TabletEntry) => void): void {
    this.lifecycle.onTabletRemoved(listener);
  }

  /**
   * Splits a serving tablet at `row` (default: the approximate median of
   * its disk data) into (lower, row] and (row, upper].
   */
  splitTablet(id: string, row?: Uint8Array, ids?: { low?: string | undefined; high?: string | undefined }): Promise<SplitResult> {
    return this.lifecycle.splitTablet(id, row, ids);
  }

  /** Merges serving tablet `id` with the adjacent tablet `withId` into one (tablet-merge.ts). */
  mergeTablets(id: string, withId: string, mergedId?: string): Promise<MergeResult> {
    return this.lifecycle.mergeTablets(id, withId, mergedId);
  }

  /** Reads the table's schema from META again and applies it to its tablets here; resolves with how many there are. */
  reloadSchema(table: string): Promise<number> {
    return this.lifecycle.reloadSchema(table);
  }

  /** Compacts a tablet's chain (all of it with `full`, else the picker's choice). */
  compactTablet(id: string, full: boolean): Promise<TabletView> {
    return this.lifecycle.compactTablet(id, full);
  }

  /** Writes every table's memory data to disk fragments. */
  serialize(): Promise<void> {
    return this.lifecycle.serialize();
  }

  tablets(table?: string): TabletView[] {
    return (table === undefined ? this.map.all() : this.map.tabletsOf(table)).map((e) => this.lifecycle.view(e));
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
    return this.lifecycle.requireTablet(id);
  }

  // ---- table API (data-operations.ts) -------------------------------------------

  /** One atomic batch; resolves with its txn (durable when waitForSync). */
  apply(table: string, cells: readonly Cell[], opts: { commitMaxTxn?: number | undefined; waitForSync: boolean }): Promise<number> {
    return this.data.apply(table, cells, opts);
  }

  /** Waits until every txn ≤ atLeastTxn is durable; returns the durable txn. */
  sync(atLeastTxn: number): Promise<number> {
    return this.data.sync(atLeastTxn);
  }

  /** The latest txn visible to scans. */
  get currentTxn(): number {
    return this.data.currentTxn;
  }

  /** Approximate cells and bytes of the predicate, per tablet served here whose rows it meets. */
  stat(table: string, predicate: Predicate): Promise<{ cells: number; bytes: number; tablets: TabletStatView[] }> {
    return this.data.stat(table, predicate);
  }

  wrongTabletContext(): { serverId: string } {
    return this.data.wrongTabletContext();
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
    const appliesInFlight = this.data.appliesInFlight;
    return {
      serverId: this.serverId,
      tablets,
      memoryBytes: this.engine.memoryBytes(),
      memoryBudgetBytes: this.o.memoryBudgetBytes,
      diskBytes: tablets.reduce((n, t) => n + t.diskBytes, 0),
      currentTxn: this.engine.currentTxn,
      appliesInFlight,
      busyRejections: this.data.busyRejectionCount,
      pendingSplitSeparations: this.splits.pendingSeparations,
    };
  }

  /** Every tablet the engine holds that this server does not serve, with why. */
  dormantTablets(): DormantTabletView[] {
    return this.lifecycle.dormantTablets();
  }

  /**
   * Readiness (/readyz): open, and — in a cluster — holding its lock file
   * /kdi/servers/<id>. A server that cannot take it (another live process
   * has the id) is never ready.
   */
  isReady(): { ready: true } | { ready: false; reason: string } {
    if (!this.data.isOpen) return { ready: false, reason: `tablet server ${this.serverId} is shutting down` };
    if (this.o.lease && !this.o.lease.isLive()) return { ready: false, reason: `tablet server ${this.serverId} ${leaseProblem(this.o.lease)}` };
    return { ready: true };
  }

  /**
   * Refuses (UNAVAILABLE) to load while the server does not hold its lock
   * file: another live process may hold the same id, and a load (of META
   * above all) would take over what that server serves.
   */
  private checkMember(): void {
    if (this.o.lease && !this.o.lease.isLive()) {
      throw new KdiError('UNAVAILABLE', `server ${this.serverId} ${leaseProblem(this.o.lease)}; it loads no tablet until it holds its lock file`, {
        details: { serverId: this.serverId, reason: 'not-a-member' },
        retryAfterMs: 1000,
      });
    }
  }

  get isOpen(): boolean {
    return this.data.isOpen;
  }

  /** Stops taking requests and closes the engine (waiting for its background work). */
  async close(): Promise<void> {
    if (!this.data.close()) return;
    await this.splits.stop();
    await this.o.meta?.stop();
    await this.data.settledAll();
    await this.engine.close();
  }

  checkOpen(): void {
    this.data.checkOpen();
  }
}
