// The engine facade the tablet server uses (DESIGN §5): one log per
// server, a memory fragment per table, a chain of disk fragments per
// tablet. apply → log (group commit) → memory; scan → merged chain;
// serialize → one disk fragment per tablet; compact → N fragments into one.
//
// What is promised:
//  - apply() resolves after its batch is in the log (durable when
//    sync: true) and visible to scans;
//  - open() after a crash recovers every batch whose apply resolved with
//    sync: true (replaying the log from the manifest's log floor);
//  - a fragment file is deleted only when no chain lists it and no open
//    scanner holds it; the manifest never names a file that is not fully
//    written and synced.

import { type Cell, cellSize, compareBytes } from '../cell.js';
import type { BlockCache } from '../cache/block-cache.js';
import type { BlockCodec } from '../codec/block-codec.js';
import { DEFAULT_PICKER_OPTIONS, type CompactionPickerOptions, compactionScore, pickCompaction } from '../compaction/compaction-picker.js';
import { mergeIntoWriter } from '../compaction/merge-fragments.js';
import { aborted, busy, closed, invalidArgument, isStorageError, notFound } from '../errors.js';
import { FragmentReader } from '../fragment/fragment-reader.js';
import { FragmentWriter } from '../fragment/fragment-writer.js';
import type { FileSystem } from '../fs/file-system.js';
import { LogWriter } from '../log/log-writer.js';
import { replayLog } from '../log/log-reader.js';
import { DiskCursor } from '../merge/disk-cursor.js';
import { MemoryCursor } from '../merge/memory-cursor.js';
import { MergedScan, type ScanPage, type ScanSource } from '../merge/merged-scan.js';
import { intersect, rangeAsInterval, type RowRange, rowInRange } from '../merge/row-range.js';
import { MemoryFragment, rowSuccessorKey, seekKey } from '../memory/memory-fragment.js';
import { type PurgePolicy, purgeTest, validatePurgePolicy } from '../purge/purge-policy.js';
import { belowUpper, compileScanSpec, matchesColumn, matchesTime, type ScanSpec } from '../scan/scan-spec.js';
import { type Clock, systemClock } from '../util/clock.js';
import { SerialQueue } from '../util/serial-queue.js';
import { DiskFragment } from './disk-fragment.js';
import { decodeLogBatch, encodeLogBatch } from './log-batch.js';
import { decodeManifest, encodeManifest, MANIFEST_NAME, type Manifest } from './manifest.js';
import { RowTxns } from './row-txns.js';
import { validateCells } from './validate-cells.js';
import type { Cursor } from '../merge/cursor.js';
import type { FragmentWorkerPool } from '../workers/fragment-worker-pool.js';

export interface EngineOptions {
  readonly fs: FileSystem;
  /** The engine's directory (one disk of the server). */
  readonly dir: string;
  readonly codec?: BlockCodec | null;
  readonly cache?: BlockCache;
  readonly clock?: Clock;
  readonly blockSize?: number;
  readonly logSegmentBytes?: number;
  /** Serialize memory fragments when they hold more than this. */
  readonly memoryBudgetBytes?: number;
  /** Applies wait (back-pressure) while memory fragments hold more than this; default 2 × the budget. */
  readonly maxMemoryBytes?: number;
  /** How long an apply may wait for memory before failing 'busy' (default 10 s). */
  readonly backPressureWaitMs?: number;
  /** Compact in the background after serializations. */
  readonly autoCompact?: boolean;
  readonly picker?: CompactionPickerOptions;
  /** Run serializations and compactions on these worker threads (real filesystem only). */
  readonly workers?: FragmentWorkerPool;
  /** Called with errors of background work (serialization, compaction). */
  readonly onBackgroundError?: (e: unknown) => void;
}

export interface TabletDefinition {
  readonly id: string;
  readonly table: string;
  /** Rows (lowerExclusive, upperInclusive]; undefined = open on that side. */
  readonly lowerExclusive?: Uint8Array | undefined;
  readonly upperInclusive?: Uint8Array | undefined;
  readonly purge?: PurgePolicy | undefined;
  /** Keep this tablet's blocks in the block cache at in-memory priority (DESIGN §6 inMemory groups). */
  readonly inMemory?: boolean | undefined;
}

export interface ScanOptions {
  /** Resume strictly after this key (the last key of the previous page). */
  readonly after?: Pick<Cell, 'row' | 'column' | 'timestamp'> | undefined;
  readonly maxCells?: number;
  readonly maxBytes?: number;
}

export interface ApplyOptions {
  /** Wait for the log's fdatasync (default true). */
  readonly sync?: boolean;
  /** Row transaction: fail 'aborted' if any touched row changed after this txn. */
  readonly commitMaxTxn?: number;
  /** Longest back-pressure wait for this call (default the engine's backPressureWaitMs). */
  readonly maxWaitMs?: number;
}

/** A scan page and the txn it reflects: every apply with txn ≤ scanTxn is visible in it. */
export interface EngineScanPage extends ScanPage {
  readonly scanTxn: number;
}

export interface TabletStat {
  /** Approximate cells and bytes the predicate would touch, from block indexes and memory. */
  readonly cells: number;
  readonly bytes: number;
}

export interface TabletSizes {
  readonly fragments: number;
  readonly diskBytes: number;
  readonly diskCells: number;
  /** Bytes of the table's memory fragments (shared by its tablets). */
  readonly tableMemoryBytes: number;
}

interface Tablet {
  readonly def: TabletDefinition;
  readonly range: RowRange;
  /** Oldest first. */
  chain: DiskFragment[];
  compacting: boolean;
  /** Last txn of every row of this tablet that RowTxns does not track. */
  floorTxn: number;
}

interface Table {
  readonly name: string;
  active: MemoryFragment;
  /** Being serialized, oldest first. */
  frozen: MemoryFragment[];
  /** Sorted by upper bound; disjoint. */
  tablets: Tablet[];
  readonly txns: RowTxns;
}

const NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;
const LOG_DIR = 'log';

export class Engine {
  private readonly tables = new Map<string, Table>();
  private readonly tablets = new Map<string, Tablet>();
  private readonly fragments = new Map<string, DiskFragment>();
  private readonly manifestQueue = new SerialQueue();
  private readonly serializeQueue = new SerialQueue();
  private readonly compactQueue = new SerialQueue();
  /** Log segments of applies between log append and memory insert. */
  private readonly inflight = new Map<number, number>();
  private nextFragmentId = 1;
  /** Last txn handed out; txns are max(last + 1, clock µs), so they stay above anything from before a restart or on another server earlier. */
  private lastTxn = 0;
  /** Every apply with txn ≤ this is visible to scans. */
  private visibleTxn = 0;
  /** Every apply with txn ≤ this is durable. */
  private syncedTxn = 0;
  private nextMemoryId = 1;
  private closed = false;
  private readonly clock: Clock;
  private backgroundWork: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly o: EngineOptions,
    private log: LogWriter,
  ) {
    this.clock = o.clock ?? systemClock;
  }

  /** Opens (or creates) the engine in `dir`, replaying the log. */
  static async open(o: EngineOptions): Promise<Engine> {
    const { fs, dir } = o;
    await fs.mkdir(`${dir}/${LOG_DIR}`);
    let manifest: Manifest = { nextFragmentId: 1, logFloor: 0, tablets: [] };
    const mpath = `${dir}/${MANIFEST_NAME}`;
    if (await fs.exists(mpath)) manifest = decodeManifest(await fs.readFile(mpath), mpath);
    const engine = new Engine(o, undefined as unknown as LogWriter);
    engine.nextFragmentId = manifest.nextFragmentId;
    for (const t of manifest.tablets) {
      const tablet = engine.addTablet({ id: t.id, table: t.table, lowerExclusive: t.lower, upperInclusive: t.upper, purge: t.purge, inMemory: t.inMemory });
      for (const name of t.fragments) tablet.chain.push((await engine.openFragment(name, tablet.def.inMemory)).ref());
    }
    await engine.removeOrphans(manifest);
    const replay = await replayLog(fs, `${dir}/${LOG_DIR}`, (r) => engine.replayRecord(r.segmentId, r.payload), {
      fromSegmentId: manifest.logFloor,
    });
    // Everything replayed is durable and visible; rows not replayed may have
    // changed at any txn before this moment, so every tablet's floor is now.
    engine.visibleTxn = engine.syncedTxn = engine.lastTxn;
    const floor = engine.nextTxn();
    for (const t of engine.tablets.values()) t.floorTxn = floor;
    engine.log = await LogWriter.open(fs, `${dir}/${LOG_DIR}`, {
      ...(o.logSegmentBytes ? { segmentBytes: o.logSegmentBytes } : {}),
      firstSegmentId: Math.max(replay.lastSegmentId + 1, manifest.logFloor),
      nextSeq: replay.lastSeq + 1,
    });
    return engine;
  }

  private replayRecord(segmentId: number, payload: Uint8Array): void {
    const batch = decodeLogBatch(payload, `log segment ${segmentId}`);
    if (batch.txn > this.lastTxn) this.lastTxn = batch.txn;
    const table = this.tables.get(batch.table);
    // Data for a table with no tablet left here was serialized or dropped.
    if (!table) return;
    for (const c of batch.cells) {
      if (!this.tabletFor(table, c.row)) continue;
      table.active.insert(c);
      if (batch.txn > 0) table.txns.record(RowTxns.key(c.row), batch.txn);
    }
    table.active.oldestLogSegment = Math.min(table.active.oldestLogSegment, segmentId);
    if (batch.txn > table.active.maxTxn) table.active.maxTxn = batch.txn;
  }

  // ---- tablets ---------------------------------------------------------

  private addTablet(def: TabletDefinition): Tablet {
    if (!NAME_RE.test(def.table)) throw invalidArgument(`table name ${JSON.stringify(def.table)} must match [A-Za-z0-9._-]{1,128}`);
    if (!NAME_RE.test(def.id)) throw invalidArgument(`tablet id ${JSON.stringify(def.id)} must match [A-Za-z0-9._-]{1,128}`);
    if (this.tablets.has(def.id)) throw invalidArgument(`tablet ${def.id} already exists`);
    if (def.purge) {
      const bad = validatePurgePolicy(def.purge);
      if (bad) throw invalidArgument(bad);
    }
    let table = this.tables.get(def.table);
    if (!table) {
      table = { name: def.table, active: new MemoryFragment(this.nextMemoryId++), frozen: [], tablets: [], txns: new RowTxns() };
      this.tables.set(def.table, table);
    }
    const range: RowRange = { lowerExclusive: def.lowerExclusive, upperInclusive: def.upperInclusive };
    if (range.lowerExclusive && range.upperInclusive && Buffer.compare(range.lowerExclusive, range.upperInclusive) >= 0) {
      throw invalidArgument(`tablet ${def.id}: lower bound must be below the upper bound`);
    }
    for (const other of table.tablets) {
      if (rangesOverlap(range, other.range)) throw invalidArgument(`tablet ${def.id} overlaps tablet ${other.def.id} of table ${def.table}`);
    }
    // A new tablet's rows may have changed anywhere before now (another server, a reload).
    const tablet: Tablet = { def, range, chain: [], compacting: false, floorTxn: this.nextTxn() };
    table.tablets.push(tablet);
    table.tablets.sort((a, b) => compareUpper(a.range.upperInclusive, b.range.upperInclusive));
    this.tablets.set(def.id, tablet);
    return tablet;
  }

  async createTablet(def: TabletDefinition): Promise<void> {
    this.checkOpen();
    this.addTablet(def);
    await this.saveManifest();
  }

  /** Splits a tablet at `row` into (lower, row] and (row, upper]; both share the fragments. */
  async splitTablet(id: string, row: Uint8Array, lowId: string, highId: string): Promise<void> {
    this.checkOpen();
    const t = this.getTablet(id);
    if (!rowInRange(row, t.range) || (t.range.upperInclusive && Buffer.compare(row, t.range.upperInclusive) === 0)) {
      throw invalidArgument(`split row must lie strictly inside tablet ${id}`);
    }
    this.removeTabletEntry(t);
    const low = this.addTablet({ ...t.def, id: lowId, upperInclusive: row });
    const high = this.addTablet({ ...t.def, id: highId, lowerExclusive: row });
    low.floorTxn = high.floorTxn = t.floorTxn;
    for (const f of t.chain) {
      low.chain.push(f.ref());
      high.chain.push(f.ref());
    }
    this.dropChain(t);
    await this.saveManifest();
  }

  /** Removes a tablet and (once unreferenced) its fragment files. */
  async dropTablet(id: string): Promise<void> {
    this.checkOpen();
    const t = this.getTablet(id);
    this.removeTabletEntry(t);
    this.dropChain(t);
    await this.saveManifest();
  }

  private removeTabletEntry(t: Tablet): void {
    const table = this.tables.get(t.def.table)!;
    table.tablets = table.tablets.filter((x) => x !== t);
    this.tablets.delete(t.def.id);
  }

  private dropChain(t: Tablet): void {
    const chain = t.chain;
    t.chain = [];
    for (const f of chain) f.unref();
  }

  private getTablet(id: string): Tablet {
    const t = this.tablets.get(id);
    if (!t) throw notFound(`no tablet ${id}`);
    return t;
  }

  tabletIds(): string[] {
    return [...this.tablets.keys()];
  }

  private tabletFor(table: Table, row: Uint8Array): Tablet | undefined {
    const ts = table.tablets;
    let lo = 0;
    let hi = ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const up = ts[mid]!.range.upperInclusive;
      if (up && Buffer.compare(up, row) < 0) lo = mid + 1;
      else hi = mid;
    }
    const t = ts[lo];
    return t && rowInRange(row, t.range) ? t : undefined;
  }

  // ---- writes ----------------------------------------------------------

  /** The next txn: above the last one and, when the clock allows, at the clock. */
  private nextTxn(): number {
    this.lastTxn = Math.max(this.lastTxn + 1, this.clock.nowMicros());
    return this.lastTxn;
  }

  /**
   * Logs and applies a batch for `table`. Every row must fall in a tablet of
   * the table. With commitMaxTxn it is a row transaction: if any touched
   * row's last txn is above it, nothing is applied ('aborted'). Resolves with
   * the batch's txn once it is logged (durable when sync, the default) and
   * visible. Waits (bounded) while memory is over its limit, then fails 'busy'.
   */
  async apply(tableName: string, cells: readonly Cell[], opts: ApplyOptions = {}): Promise<number> {
    this.checkOpen();
    const table = this.tables.get(tableName);
    if (!table) throw notFound(`no tablet of table ${tableName} is open here`);
    validateCells(cells);
    const tablets: Tablet[] = new Array(cells.length);
    for (let i = 0; i < cells.length; i++) {
      const t = this.tabletFor(table, cells[i]!.row);
      if (!t) throw invalidArgument(`cells[${i}].row is outside every tablet of table ${tableName} open here`);
      tablets[i] = t;
    }
    await this.admit(opts.maxWaitMs ?? this.o.backPressureWaitMs ?? 10_000);
    this.checkOpen();
    // From here to log.append nothing awaits: the conflict check, the txn
    // and the log order are one step.
    const keys = cells.map((c) => RowTxns.key(c.row));
    if (opts.commitMaxTxn !== undefined) {
      for (let i = 0; i < cells.length; i++) {
        const last = table.txns.latest(keys[i]!) ?? tablets[i]!.floorTxn;
        if (last > opts.commitMaxTxn) {
          throw aborted(`row ${JSON.stringify(Buffer.from(cells[i]!.row).toString('latin1'))} changed at txn ${last}, after commitMaxTxn ${opts.commitMaxTxn}; read it again and retry`, {
            cellIndex: i,
            rowTxn: last,
            commitMaxTxn: opts.commitMaxTxn,
          });
        }
      }
    }
    const txn = this.nextTxn();
    for (const k of keys) table.txns.record(k, txn);
    const payload = encodeLogBatch(tableName, cells, txn);
    const segment = this.log.currentSegmentId;
    this.inflight.set(segment, (this.inflight.get(segment) ?? 0) + 1);
    const sync = opts.sync ?? true;
    try {
      const { segmentId } = await this.log.append(payload, { sync });
      // Insert the logged bytes, not the caller's buffers: one copy, and the
      // memory fragment cannot be changed behind our back.
      const active = table.active;
      for (const c of decodeLogBatch(payload, 'apply').cells) active.insert(c);
      active.oldestLogSegment = Math.min(active.oldestLogSegment, segmentId);
      if (txn > active.maxTxn) active.maxTxn = txn;
      if (txn > this.visibleTxn) this.visibleTxn = txn;
      // A synced record makes every earlier one durable too (the log is in order).
      if (sync && txn > this.syncedTxn) this.syncedTxn = txn;
      this.maybeSerialize();
      return txn;
    } finally {
      const n = this.inflight.get(segment)! - 1;
      if (n === 0) this.inflight.delete(segment);
      else this.inflight.set(segment, n);
    }
  }

  /** Waits until everything up to `atLeastTxn` (default: every txn so far) is durable; returns the durable txn. */
  async sync(atLeastTxn?: number): Promise<number> {
    this.checkOpen();
    const target = atLeastTxn ?? this.lastTxn;
    if (!Number.isSafeInteger(target) || target < 0) throw invalidArgument(`atLeastTxn must be a non-negative integer, got ${atLeastTxn}`);
    if (target > this.lastTxn) throw invalidArgument(`txn ${target} has not been handed out yet (the latest is ${this.lastTxn})`);
    if (target <= this.syncedTxn) return this.syncedTxn;
    const upTo = this.lastTxn;
    await this.log.sync();
    if (upTo > this.syncedTxn) this.syncedTxn = upTo;
    return this.syncedTxn;
  }

  /** The latest txn visible to scans. */
  get currentTxn(): number {
    return this.visibleTxn;
  }

  /** Back-pressure: waits while memory is over its limit, at most `maxWaitMs`. */
  private async admit(maxWaitMs: number): Promise<void> {
    const limit = this.o.maxMemoryBytes ?? 2 * (this.o.memoryBudgetBytes ?? 64 << 20);
    if (this.memoryBytes() < limit) return;
    const deadline = performance.now() + maxWaitMs;
    while (this.memoryBytes() >= limit) {
      this.checkOpen();
      this.maybeSerialize();
      const left = deadline - performance.now();
      if (left <= 0) {
        throw busy(`memory fragments hold ${this.memoryBytes()} bytes, over the ${limit}-byte limit, and did not drain within ${maxWaitMs} ms; retry later`, 1000);
      }
      await new Promise((r) => setTimeout(r, Math.min(left, 25)));
    }
  }

  /** Bytes held by memory fragments of every table. */
  memoryBytes(): number {
    let n = 0;
    for (const t of this.tables.values()) {
      n += t.active.bytes;
      for (const f of t.frozen) n += f.bytes;
    }
    return n;
  }

  private maybeSerialize(): void {
    const budget = this.o.memoryBudgetBytes ?? 64 << 20;
    if (this.serializeQueue.busy || this.memoryBytes() < budget) return;
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

  // ---- serialization -----------------------------------------------------

  /**
   * Writes every table's memory data to one disk fragment per tablet, swaps
   * them into the chains, saves the manifest and deletes log segments that
   * hold nothing unserialized.
   */
  serialize(): Promise<void> {
    return this.serializeQueue.run(async () => {
      this.checkOpen();
      const work: [Table, MemoryFragment][] = [];
      for (const table of this.tables.values()) {
        if (table.active.cellCount > 0) {
          table.active.freeze();
          table.frozen.push(table.active);
          table.active = new MemoryFragment(this.nextMemoryId++);
        }
        for (const f of table.frozen) work.push([table, f]);
      }
      if (work.length === 0) return;
      await this.log.rollSegment();
      for (const [table, mem] of work) {
        const made: [Tablet, DiskFragment][] = [];
        for (const tablet of table.tablets) {
          const f = await this.writeFragment(tablet, { memory: mem, disks: [] }, { dropErasures: false, purgeByVersion: false });
          if (f) made.push([tablet, f]);
        }
        // One synchronous swap: scans see the memory fragment or its fragments, never both or neither.
        for (const [tablet, f] of made) {
          if (this.tablets.get(tablet.def.id) === tablet) tablet.chain.push(f);
          else f.unref();
        }
        table.frozen = table.frozen.filter((x) => x !== mem);
        // Rows whose last change just left memory are no longer tracked:
        // their tablets' floors rise to cover them.
        const forgotten = table.txns.forget(mem.maxTxn);
        for (const t of table.tablets) if (forgotten > t.floorTxn) t.floorTxn = forgotten;
      }
      const floor = this.logFloor();
      await this.saveManifest();
      await this.log.deleteSegmentsBefore(floor);
      if (this.o.autoCompact ?? true) this.background(() => this.compactAll());
    });
  }

  /** Oldest log segment that may hold data not yet in a disk fragment. */
  private logFloor(): number {
    let floor = this.log.currentSegmentId;
    for (const s of this.inflight.keys()) floor = Math.min(floor, s);
    for (const t of this.tables.values()) {
      floor = Math.min(floor, t.active.oldestLogSegment);
      for (const f of t.frozen) floor = Math.min(floor, f.oldestLogSegment);
    }
    return floor;
  }

  /**
   * Merges `src` (memory newest, then disk fragments newest first) into a
   * new fragment of `tablet`, on a worker thread when the engine has a
   * pool; undefined when nothing survives the merge.
   */
  private async writeFragment(
    tablet: Tablet,
    src: { memory?: MemoryFragment; disks: readonly DiskFragment[] },
    how: { dropErasures: boolean; purgeByVersion: boolean },
  ): Promise<DiskFragment | undefined> {
    const id = this.nextFragmentId++;
    const name = `tables/${tablet.def.table}/${tablet.def.id}/${String(id).padStart(8, '0')}.frag`;
    const path = `${this.o.dir}/${name}`;
    const tmp = `${path}.tmp`;
    await this.o.fs.mkdir(path.slice(0, path.lastIndexOf('/')));
    const { lowerExclusive, upperInclusive } = tablet.range;
    const nowMicros = this.clock.nowMicros();
    let cellsOut: number;
    if (this.o.workers) {
      const memory = src.memory ? encodeLogBatch('', [...src.memory.cellsInRange(lowerExclusive, upperInclusive)]) : undefined;
      ({ cellsOut } = await this.o.workers.run({
        output: tmp,
        memory,
        disks: src.disks.map((f) => `${this.o.dir}/${f.name}`),
        lowerExclusive,
        upperInclusive,
        dropErasures: how.dropErasures,
        purge: tablet.def.purge,
        nowMicros,
        purgeByVersion: how.purgeByVersion,
        blockSize: this.o.blockSize,
        codecId: this.o.codec?.id ?? null,
      }));
    } else {
      const writer = await FragmentWriter.create(this.o.fs, tmp, {
        ...(this.o.blockSize ? { blockSize: this.o.blockSize } : {}),
        codec: this.o.codec ?? null,
      });
      try {
        const cursors: Cursor[] = src.memory ? [new MemoryCursor(src.memory)] : [];
        for (const f of src.disks) cursors.push(await DiskCursor.open(f.reader, undefined));
        ({ cellsOut } = await mergeIntoWriter({
          cursors,
          range: tablet.range,
          dropErasures: how.dropErasures,
          purge: purgeTest(tablet.def.purge, nowMicros),
          purgeByVersion: how.purgeByVersion,
          writer,
        }));
        if (cellsOut === 0) await writer.abort();
        else await writer.finish();
      } catch (e) {
        await writer.abort().catch(() => {});
        throw e;
      }
    }
    if (cellsOut === 0) return undefined;
    await this.o.fs.rename(tmp, path);
    return (await this.openFragment(name, tablet.def.inMemory)).ref();
  }

  /** Opens a fragment once; in-memory tablets load every block into the cache at high priority. */
  private async openFragment(name: string, inMemory = false): Promise<DiskFragment> {
    const existing = this.fragments.get(name);
    if (existing) return existing;
    const path = `${this.o.dir}/${name}`;
    const cache = this.o.cache;
    const reader = await FragmentReader.open(this.o.fs, path, { ...(cache ? { cache } : {}), fileId: path, inMemory });
    if (inMemory) await reader.preload();
    const f = new DiskFragment(name, reader, reader.info.fileBytes, (x) => this.release(x));
    this.fragments.set(name, f);
    return f;
  }

  /** The last holder let go: the file goes once no chain lists it. */
  private release(f: DiskFragment): void {
    for (const t of this.tablets.values()) if (t.chain.includes(f)) return;
    this.fragments.delete(f.name);
    this.background(async () => {
      await f.reader.close();
      // Saved manifests must stop naming the file before it goes.
      await this.saveManifest();
      await this.o.fs.unlink(`${this.o.dir}/${f.name}`);
    });
  }

  // ---- compaction --------------------------------------------------------

  /** Compacts the chains that need it most until none does. */
  async compactAll(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      let best: Tablet | undefined;
      let bestScore = 0;
      for (const t of this.tablets.values()) {
        if (t.compacting) continue;
        const sizes = t.chain.map((f) => f.fileBytes);
        if (!pickCompaction(sizes, this.o.picker ?? DEFAULT_PICKER_OPTIONS)) continue;
        const s = compactionScore(sizes);
        if (s > bestScore) {
          best = t;
          bestScore = s;
        }
      }
      if (!best) return;
      await this.compactTablet(best.def.id);
    }
  }

  /**
   * Merges part of a tablet's chain (the picker's choice) or, with
   * `full`, the whole chain into one fragment.
   */
  compactTablet(id: string, opts: { full?: boolean } = {}): Promise<void> {
    return this.compactQueue.run(async () => {
      this.checkOpen();
      const t = this.getTablet(id);
      const sizes = t.chain.map((f) => f.fileBytes);
      const pick = opts.full
        ? sizes.length >= 1
          ? { start: 0, end: sizes.length, major: true }
          : undefined
        : pickCompaction(sizes, this.o.picker ?? DEFAULT_PICKER_OPTIONS);
      if (!pick) return;
      const window = t.chain.slice(pick.start, pick.end);
      for (const f of window) f.ref();
      t.compacting = true;
      try {
        const out = await this.writeFragment(t, { disks: [...window].reverse() }, {
          dropErasures: pick.major,
          purgeByVersion: pick.major && pick.end === t.chain.length,
        });
        if (this.tablets.get(id) !== t) {
          out?.unref();
          return;
        }
        // Serializations only append, so the window is still contiguous.
        const at = t.chain.indexOf(window[0]!);
        t.chain.splice(at, window.length, ...(out ? [out] : []));
        await this.saveManifest();
        for (const f of window) f.unref(); // the chain's references
      } finally {
        t.compacting = false;
        for (const f of window) f.unref(); // this compaction's own
      }
    });
  }

  // ---- reads -----------------------------------------------------------

  /** Opens a scanner over a tablet's chain as it is now. */
  async openScanner(id: string, spec: ScanSpec, opts: ScanOptions = {}): Promise<EngineScanner> {
    this.checkOpen();
    const t = this.getTablet(id);
    const table = this.tables.get(t.def.table)!;
    const held = t.chain.map((f) => f.ref());
    try {
      // Empty memory fragments are left out (a scan need not see writes that
      // arrive after it starts), so a compacted, quiet tablet is one cursor.
      const sources: ScanSource[] = table.active.cellCount > 0 ? [{ memory: table.active }] : [];
      for (let i = table.frozen.length - 1; i >= 0; i--) sources.push({ memory: table.frozen[i]! });
      for (let i = held.length - 1; i >= 0; i--) sources.push({ disk: held[i]!.reader });
      const after = opts.after ? { ...opts.after, value: null } : undefined;
      const scan = await MergedScan.open({
        sources,
        range: t.range,
        spec: compileScanSpec(spec),
        purge: purgeTest(t.def.purge, this.clock.nowMicros()),
        after,
      });
      return new EngineScanner(scan, held, this.visibleTxn);
    } catch (e) {
      for (const f of held) f.unref();
      throw e;
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
   * data blocks: whole disk blocks overlapping the rows (skipping those the
   * time range or family mask rules out) plus a walk of the memory
   * fragments. Overwritten and erased versions are counted too.
   */
  stat(id: string, spec: ScanSpec): TabletStat {
    this.checkOpen();
    const t = this.getTablet(id);
    const table = this.tables.get(t.def.table)!;
    const c = compileScanSpec(spec);
    const tabletRows = rangeAsInterval(t.range);
    const intervals = (c.rows ?? [{}]).map((iv) => intersect(iv, tabletRows)).filter((iv) => iv !== undefined);
    let cells = 0;
    let bytes = 0;
    for (const f of t.chain) {
      const r = f.reader;
      for (const iv of intervals) {
        for (let b = iv.lower ? r.seekBlock(iv.lower.value) : 0; b < r.blockCount; b++) {
          const m = r.blockMeta(b);
          const skip =
            m.maxTimestamp < c.minTime || m.minTimestamp > c.maxTime || (c.familyMask !== undefined && (m.familyMask & c.familyMask) === 0n);
          if (!skip) {
            cells += m.cellCount;
            bytes += m.rawSize;
          }
          if (iv.upper && Buffer.compare(m.lastRow, iv.upper.value) >= 0) break;
        }
      }
    }
    for (const mem of [table.active, ...table.frozen]) {
      for (const iv of intervals) {
        let [ci, i] = iv.lower ? mem.seek(iv.lower.inclusive ? seekKey(iv.lower.value) : rowSuccessorKey(iv.lower.value)) : [0, 0];
        for (let cell = mem.at(ci, i); cell !== undefined; [ci, i] = mem.step(ci, i), cell = mem.at(ci, i)) {
          if (!belowUpper(cell.row, iv, compareBytes)) break;
          if (!matchesColumn(c, cell.column) || !matchesTime(c, cell.timestamp)) continue;
          cells++;
          bytes += cellSize(cell);
        }
      }
    }
    return { cells, bytes };
  }

  tabletSizes(id: string): TabletSizes {
    const t = this.getTablet(id);
    const table = this.tables.get(t.def.table)!;
    let diskBytes = 0;
    let diskCells = 0;
    for (const f of t.chain) {
      diskBytes += f.fileBytes;
      diskCells += f.reader.info.cellCount;
    }
    let tableMemoryBytes = table.active.bytes;
    for (const f of table.frozen) tableMemoryBytes += f.bytes;
    return { fragments: t.chain.length, diskBytes, diskCells, tableMemoryBytes };
  }

  /**
   * Approximate median row of a tablet's disk data, for splits: the
   * median of the largest fragment whose median lies inside the tablet.
   */
  approximateMedianRow(id: string): Uint8Array | undefined {
    const t = this.getTablet(id);
    const bySize = [...t.chain].sort((a, b) => b.fileBytes - a.fileBytes);
    for (const f of bySize) {
      const row = f.reader.approximateMedianRow();
      if (row && rowInRange(row, t.range) && !(t.range.upperInclusive && Buffer.compare(row, t.range.upperInclusive) === 0)) return row;
    }
    return undefined;
  }

  // ---- manifest and lifecycle ---------------------------------------------

  private saveManifest(): Promise<void> {
    return this.manifestQueue.run(async () => {
      const m: Manifest = {
        nextFragmentId: this.nextFragmentId,
        logFloor: this.logFloor(),
        tablets: [...this.tablets.values()].map((t) => ({
          id: t.def.id,
          table: t.def.table,
          lower: t.def.lowerExclusive,
          upper: t.def.upperInclusive,
          purge: t.def.purge,
          inMemory: t.def.inMemory === true,
          fragments: t.chain.map((f) => f.name),
        })),
      };
      await this.o.fs.writeFileAtomic(`${this.o.dir}/${MANIFEST_NAME}`, encodeManifest(m));
    });
  }

  /** Removes fragment files (and temp files) the manifest does not name: leftovers of interrupted work. */
  private async removeOrphans(m: Manifest): Promise<void> {
    const named = new Set(m.tablets.flatMap((t) => t.fragments));
    const tablesDir = `${this.o.dir}/tables`;
    if (!(await this.o.fs.exists(tablesDir))) return;
    for (const table of await this.o.fs.list(tablesDir)) {
      for (const tablet of await this.o.fs.list(`${tablesDir}/${table}`)) {
        for (const file of await this.o.fs.list(`${tablesDir}/${table}/${tablet}`)) {
          const name = `tables/${table}/${tablet}/${file}`;
          if (!named.has(name)) await this.o.fs.unlink(`${this.o.dir}/${name}`);
        }
      }
    }
  }

  /** Waits for background serialization and compaction to settle. */
  async idle(): Promise<void> {
    let seen: Promise<unknown> | undefined;
    while (seen !== this.backgroundWork) {
      seen = this.backgroundWork;
      await seen;
    }
    await this.serializeQueue.run(async () => {});
    await this.compactQueue.run(async () => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.idle();
    this.closed = true;
    await this.log.close();
    for (const f of this.fragments.values()) await f.reader.close();
  }

  private checkOpen(): void {
    if (this.closed) throw closed('engine');
  }
}

/** A scan in progress; holds its fragments until closed or finished. */
export class EngineScanner {
  private done = false;
  constructor(
    private readonly scan: MergedScan,
    private readonly held: DiskFragment[],
    /** Every apply with txn ≤ this was visible when the scanner opened. */
    readonly scanTxn: number,
  ) {}

  async nextBatch(maxCells: number, maxBytes: number): Promise<EngineScanPage> {
    if (this.done) return { cells: [], end: true, scanTxn: this.scanTxn };
    const page = await this.scan.nextBatch(maxCells, maxBytes);
    if (page.end) this.close();
    return { ...page, scanTxn: this.scanTxn };
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    for (const f of this.held) f.unref();
  }
}

function compareUpper(a: Uint8Array | undefined, b: Uint8Array | undefined): number {
  if (!a) return b ? 1 : 0;
  if (!b) return -1;
  return Buffer.compare(a, b);
}

function rangesOverlap(a: RowRange, b: RowRange): boolean {
  // a ends before b starts, or b ends before a starts.
  const aBeforeB = a.upperInclusive && b.lowerExclusive && Buffer.compare(a.upperInclusive, b.lowerExclusive) <= 0;
  const bBeforeA = b.upperInclusive && a.lowerExclusive && Buffer.compare(b.upperInclusive, a.lowerExclusive) <= 0;
  return !aBeforeB && !bBeforeA;
}
