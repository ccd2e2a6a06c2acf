// The engine facade the tablet server uses (DESIGN §5): one log per
// server, a memory fragment per table, a chain of disk fragments per
// tablet and locality group. apply → log (group commit) → memory; scan →
// merged chains; serialize → one disk fragment per (tablet, group);
// compact → N fragments of one chain into one.
//
// Locality groups (DESIGN §6): each tablet has groups of column families,
// each with its own fragment chain, codec, block size, purge policy and
// cache priority. Serialization splits memory cells by family into their
// groups; a scan reads only the chains of the groups its columns can
// touch; setTableSchema changes a table's groups (see tablet.ts and
// schema/schema-change.ts for what happens to existing fragments).
//
// Tablets move between servers with loadTablet / unloadTablet
// (tablet-transfer.ts): a loaded tablet's chains may name other servers'
// files by absolute path, and its unserialized writes are replayed
// read-only from their logs.
//
// This file wires the parts and delegates to them: write-path.ts (apply,
// back-pressure, sync), txn-sequencer.ts (txn numbers, what is visible and
// durable), publication-api.ts (what META may name), tablet-registry.ts
// (which tablets, row → tablet), fragment-store.ts (open files, who may
// delete them), write-fragment.ts (one fragment build), serializer.ts,
// compactor.ts, tablet-transfer.ts, tablet-merge.ts (merging adjacent
// tablets), tablet-reads.ts and engine-scanner.ts, manifest.ts.
//
// What is promised:
//  - apply() resolves after its batch is in the log (durable when
//    sync: true) and visible to scans;
//  - open() after a crash recovers every batch whose apply resolved with
//    sync: true (replaying the log from the manifest's log floor);
//  - a fragment file is deleted only when this engine owns it (inside its
//    directory, never handed to another server), no chain lists it and no
//    open scanner holds it; the manifest never names a file that is not
//    fully written and synced;
//  - with `publication` (publication-api.ts), neither a fragment file nor a log
//    segment that a tablet config in META may still need is deleted: the
//    tablet server writes the configs and acknowledges them.

import type { Cell } from '@kdi/primitives';
import { DEFAULT_PICKER_OPTIONS } from '../compaction/compaction-picker.js';
import { closed, invalidArgument, isStorageError, notFound } from '../errors.js';
import { LogWriter, type LogSyncSample } from '../log/log-writer.js';
import { MemoryFragment } from '../memory/memory-fragment.js';
import type { LocalityGroupSpec } from '../schema/locality-group.js';
import type { ScanSpec } from '../scan/scan-spec.js';
import { type Clock, systemClock } from '@kdi/primitives';
import { SerialQueue } from '../util/serial-queue.js';
import { Compactor, type CompactionStats } from './compactor.js';
import type { DiskFragment } from './disk-fragment.js';
import type { EngineScanPage, EngineScanner } from './engine-scanner.js';
import type { ApplyOptions, EngineOptions, ScanOptions, TabletSizes } from './engine-types.js';
import { absoluteDir } from './fragment-files.js';
import { DiskSet, type DiskState } from './disk-set.js';
import { DiskMigrations, type DiskMigrationStatus, tabletBytesPerDisk } from './disk-migration.js';
import { FragmentStore } from './fragment-store.js';
import { checkGroups, copyGroups } from './group-specs.js';
import { encodeManifest, MANIFEST_NAME, type Manifest } from './manifest.js';
import { Serializer } from './serializer.js';
import { allFragments, changeTabletSchema, dropChains, listsFragment, manifestEntry, type Tablet, type TabletDefinition } from './tablet.js';
import type { PublicationSnapshot } from './publication.js';
import { PublicationApi, type PublishedTabletInfo } from './publication-api.js';
import { recover } from './recovery.js';
import { approximateMedianRow, openTabletScanner, tabletSizes, tabletStat } from './tablet-reads.js';
import { TabletRegistry } from './tablet-registry.js';
import { fragmentsOutside, mergeInRegistry, mergeProblem } from './tablet-merge.js';
import type { TabletStat } from './tablet-stat.js';
import { type FragmentLists, type LoadedTablet, type LoadTabletDefinition, tabletFragmentLists, TabletTransfer, type UnloadedTablet } from './tablet-transfer.js';
import { TxnSequencer } from './txn-sequencer.js';
import { type FragmentSources, type FragmentWriteMode, writeTabletFragment } from './write-fragment.js';
import { WritePath } from './write-path.js';
import { newFreezeState, thawTablet, type WriteFreeze } from './write-freeze.js';
import { newReadGateState, openReadGate, type ReadGate, waitWhileReadsGated } from './read-gate.js';
import { TabletPin } from './tablet-pin.js';
import { readRowFast } from './point-read.js';
import { type TabletWriteTap, TabletWriteTapImpl } from './tablet-write-tap.js';
import { adoptTablet, type AdoptTabletDefinition, type HotBlock, readoptTablet, tabletHotBlocks, tabletMemoryCells, warmTabletBlocks } from './tablet-migration.js';

export type { ApplyOptions, DiskSizes, EngineOptions, ScanOptions, TabletSizes } from './engine-types.js';
export type { TabletDefinition } from './tablet.js';
export type { TabletStat } from './tablet-stat.js';
export { type EngineScanPage, EngineScanner } from './engine-scanner.js';
export type { PublicationSnapshot, PublishedTablet } from './publication.js';
export type { PublishedTabletInfo } from './publication-api.js';
export type { WriteFreeze } from './write-freeze.js';
export type { ReadGate } from './read-gate.js';
export type { DiskState } from './disk-set.js';
export type { DiskMigrationState, DiskMigrationStatus } from './disk-migration.js';
export { TabletPin, type PinnedFile } from './tablet-pin.js';
export type { TabletWriteTap } from './tablet-write-tap.js';
export type { AdoptTabletDefinition, HotBlock } from './tablet-migration.js';
export { type FragmentLists, LEGACY_FRAGMENTS, type LoadedTablet, type LoadTabletDefinition, type ReplayLog, type UnloadedTablet } from './tablet-transfer.js';

const LOG_DIR = 'log';

export class Engine {
  private readonly registry: TabletRegistry;
  private readonly store: FragmentStore;
  private readonly manifestQueue = new SerialQueue();
  private readonly compactQueue = new SerialQueue();
  private readonly txns: TxnSequencer;
  private nextMemoryId = 1;
  private closed = false;
  private readonly clock: Clock;
  private backgroundWork: Promise<unknown> = Promise.resolve();
  /** Migration pins not yet released (tablet-pin.ts): released when the engine closes. */
  private readonly pins = new Set<TabletPin>();
  private readonly compactor: Compactor;
  private readonly transfer: TabletTransfer;
  private readonly serializer: Serializer;
  private readonly writes: WritePath;
  /** What META may name (with o.publication; without, its API refuses). */
  private readonly publication: PublicationApi;
  /** The engine directory, absolute and normalized. */
  readonly dir: string;
  /** The engine's disks, absolute: [0] is `dir` (manifest, log), then EngineOptions.disks (disk-set.ts). */
  readonly disks: readonly string[];
  private readonly diskSet: DiskSet;
  private readonly diskMoves: DiskMigrations;
  /** Tablets a migration had preloaded whose commit never began: left out at open, their files deleted (recovery.ts). */
  readonly droppedStagedAtOpen: string[] = [];

  private constructor(
    private readonly o: EngineOptions,
    private log: LogWriter,
  ) {
    this.clock = o.clock ?? systemClock;
    this.txns = new TxnSequencer(this.clock);
    this.dir = absoluteDir(o.dir);
    const registry = (this.registry = new TabletRegistry(() => new MemoryFragment(this.nextMemoryId++)));
    this.disks = [this.dir, ...(o.disks ?? []).map(absoluteDir)];
    if (new Set(this.disks).size !== this.disks.length) throw invalidArgument(`engine disks must be distinct directories, got ${this.disks.join(', ')}`);
    this.diskSet = new DiskSet({
      dirs: this.disks,
      space: o.diskSpace,
      highWaterMark: o.highWaterMark,
      clock: this.clock,
      ownBytes: () => this.store.bytesPerDisk(),
    });
    this.store = new FragmentStore(
      o.fs,
      this.dir,
      o.cache,
      {
        isListed: (f) => this.isListed(f),
        background: (job) => this.background(job),
        saveManifest: () => this.saveManifest(),
        isPublished: (name) => this.publication.isPublished(name),
      },
      this.diskSet,
    );
    this.publication = new PublicationApi({
      registry,
      store: this.store,
      checkOpen: () => this.checkOpen(),
      logFloor: () => this.logFloor(),
      saveManifest: () => this.saveManifest(),
      deleteLogSegmentsBefore: (segmentId) => this.log.deleteSegmentsBefore(segmentId),
    });
    const isClosed = () => this.closed;
    this.compactor = new Compactor(
      {
        get closed() {
          return isClosed();
        },
        picker: o.picker ?? DEFAULT_PICKER_OPTIONS,
        // Unloading tablets are about to leave: not worth compacting.
        // (Tablets a migration staged wait for their final lists.)
        tablets: () => [...registry.tablets.values()].filter((t) => !t.unloading && !t.holdCompaction),
        getTablet: (id) => registry.get(id),
        isCurrent: (t) => registry.isCurrent(t),
        checkOpen: () => this.checkOpen(),
        writeFragment: (t, g, src, how) => this.writeFragment(t, g, src, how),
        saveManifest: () => this.saveManifest(),
      },
      this.compactQueue,
    );
    this.serializer = new Serializer({
      registry,
      log: () => this.log,
      checkOpen: () => this.checkOpen(),
      newMemory: () => new MemoryFragment(this.nextMemoryId++),
      writeFragment: (t, g, src, how) => this.writeFragment(t, g, src, how),
      logFloor: () => this.logFloor(),
      deletableLogFloor: (floor) => this.publication.deletableLogFloor(floor),
      saveManifest: () => this.saveManifest(),
      serialized: () => {
        if (this.o.autoCompact ?? true) this.background(() => this.compactAll());
      },
    });
    this.writes = new WritePath({
      o,
      registry,
      txns: this.txns,
      serializer: this.serializer,
      clock: this.clock,
      log: () => this.log,
      checkOpen: () => this.checkOpen(),
      maybeSerialize: () => this.maybeSerialize(),
    });
    this.transfer = new TabletTransfer({
      fs: o.fs,
      store: this.store,
      registry,
      checkOpen: () => this.checkOpen(),
      observeTxn: (txn) => this.txns.observe(txn),
      floorTxn: () => this.txns.floor(),
      chooseDisk: () => this.diskSet.choose(),
      writeFragment: (t, g, src, how) => this.writeFragment(t, g, src, how),
      serialize: () => this.serialize(),
      saveManifest: () => this.saveManifest(),
    });
    this.diskMoves = new DiskMigrations({
      fs: o.fs,
      store: this.store,
      registry,
      clock: this.clock,
      cache: o.cache,
      serializerQueue: this.serializer.queue,
      compactQueue: this.compactQueue,
      checkOpen: () => this.checkOpen(),
      saveManifest: () => this.saveManifest(),
      isPinned: (id) => [...this.pins].some((p) => p.tabletId === id && !p.released),
      isFragmentInUse: (path) => this.isFragmentInUse(path),
      resumeCompaction: () => {
        if (this.o.autoCompact ?? true) this.background(() => this.compactAll());
      },
      onState: o.onDiskMigrationState,
    });
  }

  /** Opens (or creates) the engine in `dir` (and its other disks), replaying the log (recovery.ts). */
  static async open(o: EngineOptions): Promise<Engine> {
    for (const name of ['memoryBudgetBytes', 'maxMemoryBytes', 'backPressureWaitMs', 'blockSize', 'logSegmentBytes'] as const) {
      const v = o[name];
      // A zero or negative limit would make every apply wait forever (or never serialize).
      const least = name === 'backPressureWaitMs' ? 0 : 1;
      if (v !== undefined && !(Number.isSafeInteger(v) && v >= least)) {
        throw invalidArgument(`engine option ${name} must be an integer ≥ ${least}, got ${v}`);
      }
    }
    const engine = new Engine(o, undefined as unknown as LogWriter);
    engine.log = await recover({
      fs: o.fs,
      dir: engine.dir,
      logDirectory: engine.logDirectory,
      logSegmentBytes: o.logSegmentBytes,
      registry: engine.registry,
      store: engine.store,
      txns: engine.txns,
      publication: o.publication ? engine.publication : undefined,
      droppedStaged: engine.droppedStagedAtOpen,
    });
    // The manifest no longer names them (the next open would leave them out again all the same).
    if (engine.droppedStagedAtOpen.length > 0) await engine.saveManifest();
    return engine;
  }

  /**
   * Starts a new log segment and returns its id: every write from now on
   * is in it or later. A tablet loaded here names it as the first segment
   * of its `log:` to replay (older segments may hold the same rows from an
   * earlier tenure here, which must not be replayed over newer data).
   */
  startLogSegment(): Promise<number> {
    return this.writes.startLogSegment();
  }

  /** Absolute path of this engine's log directory: what a tablet config's `log:` names (DESIGN §7). */
  /** Calls `listener` after every fdatasync of the log (latency, bytes, records); for metrics. */
  onLogSync(listener: ((sample: LogSyncSample) => void) | undefined): void {
    this.log.onSync = listener;
  }

  /** What compaction did and what waits; for metrics. */
  compactionStats(): CompactionStats {
    return this.compactor.stats();
  }

  get logDirectory(): string {
    return `${this.dir}/${LOG_DIR}`;
  }

  // ---- tablets ---------------------------------------------------------

  /** Creates an empty tablet (its rows take a fresh floor txn). */
  async createTablet(def: TabletDefinition): Promise<void> {
    this.checkOpen();
    this.registry.add(def, () => this.txns.floor()).homeDisk = this.diskSet.choose();
    await this.saveManifest();
  }

  /**
   * Loads a tablet that another server (or this one, earlier) served, from
   * its config in META (DESIGN §7): its fragment chains — per group, oldest
   * first, relative to this engine's directory or absolute — and the log
   * directories that may hold its unserialized writes, replayed read-only
   * and in order. Resolves with the config to write back: this engine's
   * fragment lists (absolute paths; the replayed data is the newest
   * fragment of its groups) and no foreign log. A missing or corrupt
   * fragment, a missing log directory or corruption inside a log fails the
   * load (the error names the file) and leaves nothing behind. The files
   * it names are never deleted by this engine (tablet-transfer.ts).
   */
  loadTablet(def: LoadTabletDefinition): Promise<LoadedTablet> {
    return this.transfer.load(def);
  }

  /**
   * Unloads a tablet for another server to load (DESIGN §7): applies to
   * its rows fail 'invalid-argument' ("is unloading") from now on, applies
   * already accepted finish, memory is serialized, and the tablet leaves
   * this engine WITHOUT its files being deleted. Resolves with the final
   * fragment lists (absolute paths), the config to write without `log:`.
   */
  unloadTablet(id: string): Promise<UnloadedTablet> {
    return this.transfer.unload(id);
  }

  /** A tablet's fragment lists now, as absolute paths, for its config in META. */
  tabletFragments(id: string): FragmentLists {
    return tabletFragmentLists(this.store, this.registry.get(id));
  }

  // ---- migration (tablet-migration.ts, DESIGN §10) ---------------------------

  /**
   * Pins the tablet's current fragment files (tablet-pin.ts): each stays on
   * disk and readable until the pin is released (or the engine closes),
   * whatever compaction, a split or a drop does meanwhile.
   */
  pinTablet(id: string): TabletPin {
    this.checkOpen();
    const t = this.registry.get(id);
    if (t.diskMigrating) throw invalidArgument(`tablet ${id} is moving between this server's disks; move it to another server once that ends`, { reason: 'disk-migrating' });
    const pin = new TabletPin(id, tabletFragmentLists(this.store, t), allFragments(t), this.o.fs, (p) => this.pins.delete(p));
    this.pins.add(pin);
    return pin;
  }

  /**
   * Freezes writes to tablet `id` (write-freeze.ts): applies touching its
   * rows wait from now on — each at most `maxWaitMs`, then 'unavailable'
   * (retryable) — until thaw(); resolves once the applies that already
   * had their txn have finished, so from then on nothing writes the
   * tablet. A split of a frozen tablet is refused; dropping or unloading
   * it ends the freeze (waiters then find it gone).
   */
  async freezeWrites(id: string, maxWaitMs: number): Promise<WriteFreeze> {
    this.checkOpen();
    if (!(Number.isSafeInteger(maxWaitMs) && maxWaitMs >= 0)) throw invalidArgument(`maxWaitMs must be an integer ≥ 0, got ${maxWaitMs}`);
    const t = this.usableTablet(id);
    if (t.writeFreeze !== undefined) throw invalidArgument(`writes to tablet ${id} are already frozen`);
    const state = newFreezeState(maxWaitMs);
    t.writeFreeze = state;
    const thaw = () => {
      if (t.writeFreeze === state) thawTablet(t);
    };
    try {
      await Promise.allSettled([...this.registry.tables.get(t.def.table)!.applying]);
      this.checkOpen();
    } catch (e) {
      thaw();
      throw e;
    }
    return { tabletId: id, thaw };
  }

  /**
   * Gates reads of tablet `id` (read-gate.ts): from now on opening a
   * scanner on it (and readable) waits — each at most `maxWaitMs`, then
   * 'unavailable' (retryable) — until open(); then it looks the tablet up
   * again ('not-found' when it left meanwhile). Scanners already open go
   * on. Dropping or unloading the tablet opens the gate.
   */
  gateReads(id: string, maxWaitMs: number): ReadGate {
    this.checkOpen();
    if (!(Number.isSafeInteger(maxWaitMs) && maxWaitMs >= 0)) throw invalidArgument(`maxWaitMs must be an integer ≥ 0, got ${maxWaitMs}`);
    const t = this.registry.get(id);
    if (t.readGate !== undefined) throw invalidArgument(`reads of tablet ${id} are already gated`);
    const state = newReadGateState(maxWaitMs);
    t.readGate = state;
    return {
      tabletId: id,
      open: () => {
        if (t.readGate === state) openReadGate(t);
      },
    };
  }

  /** Are reads of tablet `id` gated now (a scanner opened now would wait)? */
  readsGated(id: string): boolean {
    return this.registry.get(id).readGate !== undefined;
  }

  /**
   * Resolves once reads of tablet `id` may start (at once unless gated);
   * 'unavailable' when the gate stays closed past its bound, 'not-found'
   * when the tablet left the engine meanwhile. For reads that open no
   * scanner (stat).
   */
  async readable(id: string): Promise<void> {
    await this.readableTablet(id);
  }

  /** The tablet, once its reads may start (see readable). */
  private async readableTablet(id: string): Promise<Tablet> {
    const wait: { deadline?: number } = {};
    for (;;) {
      this.checkOpen();
      const t = this.registry.get(id);
      if (!(await waitWhileReadsGated(t, this.clock, wait))) return t;
    }
  }

  /**
   * Opens a tap on tablet `id`'s writes (tablet-write-tap.ts): every cell
   * put into memory for its rows from now on is recorded, in insertion
   * order, until close(). With a serialize() started after this call, the
   * tablet's fragment lists after it plus the tap's takes hold every cell
   * of the tablet.
   */
  tapTabletWrites(id: string): TabletWriteTap {
    this.checkOpen();
    const t = this.usableTablet(id);
    const table = this.registry.tables.get(t.def.table)!;
    const tap = new TabletWriteTapImpl(id, t.range, (x) => table.taps.delete(x));
    table.taps.add(tap);
    return tap;
  }

  /**
   * The tablet's cells still in memory (active and frozen memory
   * fragments), restricted to its rows, erasures included, oldest memory
   * fragment first: with its fragment lists taken in the same step (and
   * writes frozen), everything the tablet holds.
   */
  tabletMemoryCells(id: string): Cell[] {
    this.checkOpen();
    return tabletMemoryCells(this.registry, id);
  }

  /** The blocks of the tablet's fragments the block cache holds now (none without a cache). */
  hotBlocks(id: string): HotBlock[] {
    this.checkOpen();
    return tabletHotBlocks(this.registry, this.o.cache, id);
  }

  /** Reads the given blocks of tablet `id`'s fragments into the block cache (unknown files and blocks skipped); how many were read. */
  warmBlocks(id: string, blocks: readonly HotBlock[]): Promise<number> {
    this.checkOpen();
    return warmTabletBlocks(this.registry, this.o.cache, id, blocks);
  }

  /**
   * Target of a migration: renames received files (inside this engine's
   * directory, outside tables/) into its fragment naming, owned by this
   * engine, and loads the tablet from them (no logs replayed). On failure
   * no tablet is registered and the files are gone.
   */
  adoptTablet(def: AdoptTabletDefinition): Promise<LoadedTablet> {
    this.checkOpen();
    return adoptTablet({ fs: this.o.fs, store: this.store, transfer: this.transfer, registry: this.registry }, def);
  }

  /**
   * A tablet adopted with `staged` takes its final lists (tablet-migration.ts
   * readoptTablet): files it holds are kept, newly received ones renamed
   * and opened, the others let go. Resolves with the lists.
   */
  readoptTablet(id: string, files: Readonly<Record<string, readonly string[]>>): Promise<FragmentLists> {
    this.checkOpen();
    return readoptTablet({ fs: this.o.fs, store: this.store, registry: this.registry, saveManifest: () => this.saveManifest(), floorTxn: () => this.txns.floor() }, id, files);
  }

  /** A staged tablet is the engine's like any other from now on (compacted as needed, kept by a restart). */
  releaseAdopted(id: string): void {
    this.checkOpen();
    const t = this.registry.get(id);
    if (!t.holdCompaction) return;
    t.holdCompaction = false;
    if (t.staged) {
      // Without publication nothing called beginPublish: the manifest must stop marking it staged.
      t.staged = false;
      this.background(() => this.saveManifest());
    }
    if (this.o.autoCompact ?? true) this.background(() => this.compactAll());
  }

  /** Splits a tablet at `row` into (lower, row] and (row, upper]; both share the fragments. */
  async splitTablet(id: string, row: Uint8Array, lowId: string, highId: string): Promise<void> {
    this.checkOpen();
    const parent = this.usableTablet(id);
    if (parent.writeFreeze !== undefined) throw invalidArgument(`tablet ${id} is frozen for a migration; split it after the move`);
    if (parent.diskMigrating) throw invalidArgument(`tablet ${id} is moving between disks; split it after the move`, { reason: 'disk-migrating' });
    this.registry.split(parent, row, lowId, highId);
    this.publication.split(id, [lowId, highId]);
    await this.saveManifest();
  }

  /**
   * Merges adjacent tablets `lowId` (a, m] and `highId` (m, b] of one table
   * into `mergedId` (a, b] (tablet-merge.ts): the merged tablet's chains
   * are the union of theirs. Swaps synchronously before the first await.
   * Refused ('invalid-argument', nothing changed) when they are not
   * mergeable — and when either lists a fragment reaching outside its
   * range (shared since a split): run prepareMerge first.
   */
  async mergeTablets(lowId: string, highId: string, mergedId: string): Promise<void> {
    this.checkOpen();
    const low = this.usableTablet(lowId);
    const high = this.usableTablet(highId);
    for (const t of [low, high]) if (t.diskMigrating) throw invalidArgument(`tablet ${t.def.id} is moving between disks; merge after the move`, { reason: 'disk-migrating' });
    mergeInRegistry(this.registry, low, high, mergedId, (name) => this.store.isOnOwnDisk(name));
    this.publication.merge([lowId, highId], mergedId);
    await this.saveManifest();
  }

  /**
   * Makes `lowId` and `highId` ready for mergeTablets: each one that lists
   * a fragment holding rows outside its range is compacted fully (the
   * outputs hold only its rows). Refuses what mergeTablets would refuse
   * for any other reason, before compacting anything.
   */
  async prepareMerge(lowId: string, highId: string): Promise<void> {
    this.checkOpen();
    const problem = mergeProblem(this.usableTablet(lowId), this.usableTablet(highId));
    if (problem !== undefined) throw invalidArgument(problem, { reason: 'not-mergeable' });
    for (const id of [lowId, highId]) {
      if (fragmentsOutside(this.usableTablet(id)).length > 0) await this.compactor.compactTablet(id, { full: true });
    }
  }

  /**
   * Removes a tablet and, once unreferenced, the fragment files this engine
   * owns. For a tablet whose config in META other servers may load, use
   * unloadTablet: it keeps the files.
   */
  async dropTablet(id: string): Promise<void> {
    this.checkOpen();
    const t = this.usableTablet(id);
    this.registry.remove(t);
    thawTablet(t);
    openReadGate(t);
    dropChains(t);
    this.publication.dropped(id);
    await this.saveManifest();
    await this.store.sweepHeld();
  }

  // ---- disks (disk-set.ts, disk-migration.ts; DESIGN §11) -------------------------

  /** Bytes of tablet `id`'s own fragment files on each disk, keyed by the disk's directory (every disk has a key). */
  tabletDiskBytes(id: string): Record<string, number> {
    const bytes = tabletBytesPerDisk(this.store, this.registry.get(id));
    return Object.fromEntries(this.disks.map((d, i) => [d, bytes[i]!]));
  }

  /** The disk (directory) tablet `id`'s new fragments go to while it has room. */
  tabletHomeDisk(id: string): string {
    return this.disks[this.registry.get(id).homeDisk]!;
  }

  /** Each disk's state for placement: ok, at or above the high-water mark, or full (a write failed for lack of space). */
  diskStates(): { disk: string; state: DiskState; reason?: string }[] {
    return this.disks.map((disk, i) => ({ disk, ...this.diskSet.state(i) }));
  }

  /**
   * Starts moving tablet `id`'s fragment files from disk `from` to disk
   * `to` (directories or indexes, disk-migration.ts) and returns its first
   * status; the tablet serves reads and writes throughout. Refused
   * ('invalid-argument' with details.reason: unknown-disk, same-disk,
   * not-on-disk, already-migrating, not-served) before anything starts;
   * 'not-found' for a tablet not served here.
   */
  startDiskMigration(id: string, from: string, to: string): DiskMigrationStatus {
    return this.diskMoves.start(id, from, to);
  }

  /** The last disk migration of tablet `id` (running or ended), or undefined. */
  diskMigration(id: string): DiskMigrationStatus | undefined {
    return this.diskMoves.status(id);
  }

  /** Every disk migration since the engine opened (running or ended). */
  diskMigrations(): DiskMigrationStatus[] {
    return this.diskMoves.all();
  }

  /** Resolves with tablet `id`'s migration's status once it has ended; undefined if it never had one. */
  awaitDiskMigration(id: string): Promise<DiskMigrationStatus | undefined> {
    return this.diskMoves.wait(id);
  }

  // ---- publication (publication-api.ts) -------------------------------------

  /**
   * The tablets whose fragment lists META does not have yet (every tablet
   * after a restart whose lists moved), and the log floor as of now. From
   * this call on the engine keeps every file these lists name, whatever
   * becomes of the writes; acknowledgePublication says which were written.
   */
  publicationSnapshot(): Promise<PublicationSnapshot> {
    return this.publication.snapshot();
  }

  /**
   * The configs of `publishedIds` (tablets of the snapshot) are in META now.
   * When that is every tablet of the snapshot, log segments below its floor
   * and files no config names any more are deleted.
   */
  acknowledgePublication(snapshot: PublicationSnapshot, publishedIds: readonly string[]): Promise<void> {
    return this.publication.acknowledge(snapshot, publishedIds);
  }

  /**
   * Before writing one tablet's config to META (a load, a split, an
   * unload, a migration's commit): its lists now, which the engine keeps
   * from here on. After the write, endPublish (or, for a tablet that left,
   * forgetPublished). A staged tablet (a migration's preload) stops being
   * staged here, saved before the lists are returned: META may name it
   * from now on, so a restart keeps it.
   */
  beginPublish(id: string): Promise<FragmentLists> {
    const t = this.registry.get(id);
    const unstaged = t.staged;
    t.staged = false;
    return this.publication.begin(id, unstaged);
  }

  /** META names exactly `lists` for tablet `id` now (a write after beginPublish succeeded). */
  endPublish(id: string, lists: FragmentLists): Promise<void> {
    return this.publication.end(id, lists);
  }

  /** META names none of this engine's lists for tablet `id` any more (its unload was written, or its table dropped). */
  forgetPublished(id: string): Promise<void> {
    return this.publication.forget(id);
  }

  /**
   * Tablets META may still name files or this log for: their table and
   * bounds when last published, and whether they are still open here.
   */
  publishedTablets(): PublishedTabletInfo[] {
    return this.publication.tablets();
  }

  /**
   * Is the fragment file at absolute `path` in use here: held open by a
   * chain, a legacy list or a running scan, being built, or kept because a
   * tablet config in META may name it (publication)? The tablet server's
   * file GC deletes only files for which this is false.
   */
  isFragmentInUse(path: string): boolean {
    return this.store.inUse(path, (name) => this.publication.isPublished(name));
  }

  /** A registered tablet that is not unloading (splits and drops of an unloading tablet are refused). */
  private usableTablet(id: string): Tablet {
    const t = this.registry.get(id);
    if (t.unloading) throw invalidArgument(`tablet ${id} is unloading`);
    return t;
  }

  private isListed(f: DiskFragment): boolean {
    for (const t of this.registry.tablets.values()) if (listsFragment(t, f)) return true;
    return false;
  }

  /** The locality groups a tablet uses now. */
  tabletGroups(id: string): readonly LocalityGroupSpec[] {
    return this.registry.get(id).routing.groups;
  }

  /**
   * Changes the locality groups of every tablet of `table` here. An invalid
   * list is rejected ('invalid-argument', every problem named) and the old
   * groups stay. Waits for running serializations and compactions, then
   * switches: writes to families no group holds are rejected from now on,
   * new fragments follow the new groups, and existing chains are carried
   * over or retired to legacy (schema/schema-change.ts); legacy fragments
   * keep serving reads until a compaction repartitions them.
   */
  async setTableSchema(tableName: string, groups: readonly LocalityGroupSpec[]): Promise<void> {
    this.checkOpen();
    const copy = copyGroups(groups);
    checkGroups(copy, `table ${tableName}`);
    if (!this.registry.tables.get(tableName)?.tablets.length) throw notFound(`no tablet of table ${tableName} is open here`);
    await this.serializer.queue.run(() =>
      this.compactQueue.run(async () => {
        this.checkOpen();
        for (const t of this.registry.tables.get(tableName)?.tablets ?? []) changeTabletSchema(t, copy);
        await this.saveManifest();
      }),
    );
    if (this.o.autoCompact ?? true) this.background(() => this.compactAll());
  }

  /** A tablet's table and row range. */
  tabletRange(id: string): { table: string; lowerExclusive: Uint8Array | undefined; upperInclusive: Uint8Array | undefined } {
    const t = this.registry.get(id);
    return { table: t.def.table, lowerExclusive: t.def.lowerExclusive, upperInclusive: t.def.upperInclusive };
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  tabletIds(): string[] {
    return [...this.registry.tablets.keys()];
  }

  // ---- writes (write-path.ts, txn-sequencer.ts) ----------------------------

  /**
   * Logs and applies a batch for `table`. Every row must fall in a tablet of
   * the table that is not unloading. With commitMaxTxn it is a row
   * transaction: if any touched row's last txn is above it, nothing is
   * applied ('aborted'). Resolves with the batch's txn once it is logged
   * (durable when sync, the default) and visible. Waits (bounded) while
   * memory is over its limit, then fails 'busy'.
   */
  apply(tableName: string, cells: readonly Cell[], opts: ApplyOptions = {}): Promise<number> {
    return this.writes.apply(tableName, cells, opts);
  }

  /** Waits until everything up to `atLeastTxn` (default: every txn so far) is durable; returns the durable txn. */
  sync(atLeastTxn?: number): Promise<number> {
    return this.writes.sync(atLeastTxn);
  }

  /** The latest txn visible to scans. */
  get currentTxn(): number {
    return this.txns.visible;
  }

  /** Bytes held by memory fragments of every table. */
  memoryBytes(): number {
    return this.serializer.memoryBytes();
  }

  private maybeSerialize(): void {
    const budget = this.o.memoryBudgetBytes ?? 64 << 20;
    if (this.serializer.queue.busy || this.memoryBytes() < budget) return;
    // Writes that arrived during this serialization may already need the next.
    this.background(() => this.serialize().then(() => this.maybeSerialize()));
  }

  private background(job: () => Promise<unknown>): void {
    const p = job().catch((e) => {
      if (this.closed && isStorageError(e, 'closed')) return;
      this.o.onBackgroundError?.(e);
    });
    this.backgroundWork = Promise.all([this.backgroundWork, p]);
  }

  // ---- serialization (serializer.ts) ----------------------------------------

  /**
   * Writes every table's memory data to one disk fragment per (tablet,
   * group), swaps them into the chains, saves the manifest and deletes log
   * segments that hold nothing unserialized.
   */
  serialize(): Promise<void> {
    return this.serializer.run();
  }

  /** Oldest log segment that may hold data not yet in a disk fragment. */
  private logFloor(): number {
    let floor = this.txns.inflightFloor(this.log.currentSegmentId);
    for (const t of this.registry.tables.values()) {
      floor = Math.min(floor, t.active.oldestLogSegment);
      for (const f of t.frozen) floor = Math.min(floor, f.oldestLogSegment);
    }
    return floor;
  }

  /** One fragment of one (tablet, group) from `src` (write-fragment.ts), holding one reference; undefined when nothing survives. */
  private writeFragment(tablet: Tablet, group: number, src: FragmentSources, how: FragmentWriteMode): Promise<DiskFragment | undefined> {
    const { fs, codec, blockSize, workers } = this.o;
    return writeTabletFragment({ fs, store: this.store, clock: this.clock, codec, blockSize, workers }, tablet, group, src, how);
  }

  // ---- compaction (compactor.ts) -------------------------------------------

  /**
   * Repartitions legacy fragments (left by schema changes), then compacts
   * the (tablet, group) chains that need it most, until none does.
   */
  compactAll(): Promise<void> {
    return this.compactor.compactAll();
  }

  /**
   * Compacts a tablet. With `group`: that group's chain only. Without: if
   * a schema change left legacy fragments, they are repartitioned into the
   * current groups first (and that is all, unless `full`); otherwise the
   * chain that most needs it. `full` merges whole chains (every group's,
   * or `group`'s) into one fragment each instead of the picker's window.
   */
  compactTablet(id: string, opts: { full?: boolean; group?: string } = {}): Promise<void> {
    return this.compactor.compactTablet(id, opts);
  }

  // ---- reads -----------------------------------------------------------

  /**
   * Opens a scanner over a tablet as it is now: memory, then the chains of
   * the groups the spec's columns can touch, then legacy fragments. Each
   * cell follows its group's purge policy; cells of families no group
   * holds (possible only without a wildcard group) are hidden. While the
   * tablet's reads are gated (gateReads: a migration hands it over) it
   * waits first, bounded.
   */
  async openScanner(id: string, spec: ScanSpec, opts: ScanOptions = {}): Promise<EngineScanner> {
    this.checkOpen();
    let t = this.registry.get(id);
    if (t.readGate !== undefined) t = await this.readableTablet(id);
    return openTabletScanner(t, this.registry.tables.get(t.def.table)!, spec, opts, this.clock.wallMicros(), this.txns.visible);
  }

  /**
   * Every cell of one row of tablet `id` (with `history`, as a scan's
   * history) — the same answer as a scan of just that row with no other
   * condition — by a short path when it applies (point-read.ts: one
   * fragment, bloom, index, one block), else by that scan.
   */
  readRow(id: string, row: Uint8Array, opts: { history?: number | undefined } = {}): Promise<Cell[]> {
    let fast: ReturnType<typeof readRowFast>;
    try {
      fast = this.readRowShort(id, row, opts.history, false);
    } catch (e) {
      return Promise.reject(e);
    }
    // A warm read is answered in this step; the promise is the only wait.
    if (Array.isArray(fast)) return Promise.resolve(fast);
    if (fast === undefined) return this.readRowByScan(id, row, opts);
    return fast.then((cells) => cells ?? this.readRowByScan(id, row, opts));
  }

  /**
   * The row's cells when they are at hand without I/O — in memory or in
   * cached blocks, on the point-read path — else undefined (then call
   * readRow). For callers reading many rows in one step (the tablet
   * server's multi-row gets): no promise per row.
   */
  readRowIfCached(id: string, row: Uint8Array, opts: { history?: number | undefined } = {}): Cell[] | undefined {
    const fast = this.readRowShort(id, row, opts.history, true);
    return Array.isArray(fast) ? fast : undefined;
  }

  /** readRowFast on tablet `id` (throws when closed or the tablet is unknown). */
  private readRowShort(id: string, row: Uint8Array, history: number | undefined, cachedOnly: boolean): ReturnType<typeof readRowFast> {
    this.checkOpen();
    const t = this.registry.get(id);
    return readRowFast(t, this.registry.tables.get(t.def.table)!, row, history, cachedOnly);
  }

  /** readRow's general path: a scan of the one row. */
  private async readRowByScan(id: string, row: Uint8Array, opts: { history?: number | undefined }): Promise<Cell[]> {
    const bound = { value: row, inclusive: true };
    const s = await this.openScanner(id, { rows: [{ lower: bound, upper: bound }], ...(opts.history !== undefined && { history: opts.history }) });
    try {
      const out: Cell[] = [];
      for (;;) {
        const page = await s.nextBatch(10_000, 4 << 20);
        out.push(...page.cells);
        if (page.end) return out;
      }
    } finally {
      s.close();
    }
  }

  /** One page of a scan; pass the last returned key as `after` for the next. */
  async scan(id: string, spec: ScanSpec, opts: ScanOptions = {}): Promise<EngineScanPage> {
    const s = await this.openScanner(id, spec, opts);
    try {
      return await s.nextBatch(opts.maxCells ?? 10_000, opts.maxBytes ?? 4 << 20);
    } finally {
      s.close();
    }
  }

  /**
   * Approximate cells and bytes `spec` touches in a tablet, without reading
   * data blocks (tablet-stat.ts): the blocks of the fragments a scan would
   * read, plus the memory fragments. Overwritten and erased versions are
   * counted too.
   */
  stat(id: string, spec: ScanSpec): TabletStat {
    this.checkOpen();
    const t = this.registry.get(id);
    return tabletStat(t, this.registry.tables.get(t.def.table)!, spec);
  }

  tabletSizes(id: string): TabletSizes {
    const t = this.registry.get(id);
    return tabletSizes(t, this.registry.tables.get(t.def.table)!);
  }

  /**
   * Approximate median row of a tablet's disk data, for splits: the
   * median of the largest fragment (of any group) whose median lies inside
   * the tablet.
   */
  approximateMedianRow(id: string): Uint8Array | undefined {
    return approximateMedianRow(this.registry.get(id));
  }

  // ---- manifest and lifecycle ---------------------------------------------

  private saveManifest(): Promise<void> {
    const saved = this.manifestQueue.run(async () => {
      const m: Manifest = {
        nextFragmentId: this.store.nextFragmentId,
        logFloor: this.logFloor(),
        released: this.store.releasedNames(),
        tablets: [...this.registry.tablets.values()].map((t) => manifestEntry(t, this.disks)),
        publication: this.publication.manifestEntry(),
      };
      await this.o.fs.writeFileAtomic(`${this.dir}/${MANIFEST_NAME}`, encodeManifest(m));
    });
    if (this.publication.enabled)
      void saved.then(
        () => this.o.onManifestSaved?.(),
        () => {},
      );
    return saved;
  }

  /** Waits for background serialization and compaction to settle. */
  async idle(): Promise<void> {
    let seen: Promise<unknown> | undefined;
    while (seen !== this.backgroundWork) {
      seen = this.backgroundWork;
      await seen;
    }
    await this.serializer.queue.run(async () => {});
    await this.compactQueue.run(async () => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const pin of [...this.pins]) pin.release();
    await this.diskMoves.abortAll('the engine is closing');
    await this.idle();
    this.closed = true;
    await this.log.close();
    await this.store.closeAll();
  }

  private checkOpen(): void {
    if (this.closed) throw closed('engine');
  }
}
