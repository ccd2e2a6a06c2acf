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
// What is promised:
//  - apply() resolves after its batch is in the log (durable when
//    sync: true) and visible to scans;
//  - open() after a crash recovers every batch whose apply resolved with
//    sync: true (replaying the log from the manifest's log floor);
//  - a fragment file is deleted only when no chain lists it and no open
//    scanner holds it; the manifest never names a file that is not fully
//    written and synced.

import { type Cell, familyOf } from '../cell.js';
import type { BlockCache } from '../cache/block-cache.js';
import type { BlockCodec } from '../codec/block-codec.js';
import { lz4Codec } from '../codec/lz4-codec.js';
import { DEFAULT_PICKER_OPTIONS, type CompactionPickerOptions } from '../compaction/compaction-picker.js';
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
import { MemoryFragment } from '../memory/memory-fragment.js';
import { type PurgeTest, purgeTest } from '../purge/purge-policy.js';
import { compileFamilyFilter } from '../schema/family-filter.js';
import { defaultGroups, type LocalityGroupSpec, validateLocalityGroups } from '../schema/locality-group.js';
import { compileScanSpec, type ScanSpec } from '../scan/scan-spec.js';
import { type Clock, systemClock } from '../util/clock.js';
import { SerialQueue } from '../util/serial-queue.js';
import { Compactor } from './compactor.js';
import { DiskFragment } from './disk-fragment.js';
import { decodeLogBatch, encodeLogBatch } from './log-batch.js';
import { fragmentName, listFragmentFiles } from './fragment-files.js';
import { decodeManifest, encodeManifest, MANIFEST_NAME, type Manifest, manifestFragments } from './manifest.js';
import { RowTxns } from './row-txns.js';
import {
  allFragments,
  changeTabletSchema,
  listsFragment,
  newTablet,
  scanFragments,
  type Table,
  type Tablet,
  type TabletDefinition,
} from './tablet.js';
import { statSources, type TabletStat } from './tablet-stat.js';
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

export type { TabletDefinition } from './tablet.js';
export type { TabletStat } from './tablet-stat.js';

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

export interface DiskSizes {
  readonly fragments: number;
  readonly diskBytes: number;
  readonly diskCells: number;
}

export interface TabletSizes extends DiskSizes {
  /** Bytes of the table's memory fragments (shared by its tablets). */
  readonly tableMemoryBytes: number;
  /** Per locality group (its chain). The totals above also count legacy fragments. */
  readonly groups: Readonly<Record<string, DiskSizes>>;
  /** Fragments retired by a schema change, waiting to be repartitioned. */
  readonly legacy: DiskSizes;
}

/** A purge test that drops everything: cells of families no group holds. */
const HIDDEN: PurgeTest = () => true;

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
  private readonly compactor: Compactor;

  private constructor(
    private readonly o: EngineOptions,
    private log: LogWriter,
  ) {
    this.clock = o.clock ?? systemClock;
    const tablets = this.tablets;
    const isClosed = () => this.closed;
    this.compactor = new Compactor(
      {
        get closed() {
          return isClosed();
        },
        picker: o.picker ?? DEFAULT_PICKER_OPTIONS,
        tablets: () => tablets.values(),
        getTablet: (id) => this.getTablet(id),
        isCurrent: (t) => tablets.get(t.def.id) === t,
        checkOpen: () => this.checkOpen(),
        writeFragment: (t, g, src, how) => this.writeFragment(t, g, src, how),
        saveManifest: () => this.saveManifest(),
      },
      this.compactQueue,
    );
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
      const tablet = engine.addTablet({ id: t.id, table: t.table, lowerExclusive: t.lower, upperInclusive: t.upper, groups: t.groups });
      for (const [i, g] of tablet.routing.groups.entries()) {
        const chain = tablet.chains[i]!;
        for (const name of t.chains[g.name] ?? []) chain.fragments.push((await engine.openFragment(name, g.inMemory === true)).ref());
      }
      for (const l of t.legacy) tablet.legacy.push((await engine.openFragment(l.fragment, l.inMemory)).ref());
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
    if (def.groups !== undefined && (def.purge !== undefined || def.inMemory !== undefined)) {
      throw invalidArgument(`tablet ${def.id}: with groups, set purge and inMemory on each group, not on the tablet`);
    }
    const groups = copyGroups(def.groups ?? defaultGroups(def.purge, def.inMemory));
    checkGroups(groups, `tablet ${def.id}`);
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
    const tablet = newTablet(def, range, groups, this.nextTxn());
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
    const { purge: _p, inMemory: _m, ...base } = t.def;
    const groups = t.routing.groups;
    let low: Tablet;
    try {
      low = this.addTablet({ ...base, id: lowId, upperInclusive: row, groups });
    } catch (e) {
      this.restoreTabletEntry(t);
      throw e;
    }
    let high: Tablet;
    try {
      high = this.addTablet({ ...base, id: highId, lowerExclusive: row, groups });
    } catch (e) {
      this.removeTabletEntry(low);
      this.restoreTabletEntry(t);
      throw e;
    }
    low.floorTxn = high.floorTxn = t.floorTxn;
    for (const half of [low, high]) {
      t.chains.forEach((c, i) => half.chains[i]!.fragments.push(...c.fragments.map((f) => f.ref())));
      half.legacy.push(...t.legacy.map((f) => f.ref()));
    }
    t.successors = [low, high];
    this.dropChains(t);
    await this.saveManifest();
  }

  /** Removes a tablet and (once unreferenced) its fragment files. */
  async dropTablet(id: string): Promise<void> {
    this.checkOpen();
    const t = this.getTablet(id);
    this.removeTabletEntry(t);
    this.dropChains(t);
    await this.saveManifest();
  }

  private removeTabletEntry(t: Tablet): void {
    const table = this.tables.get(t.def.table)!;
    table.tablets = table.tablets.filter((x) => x !== t);
    this.tablets.delete(t.def.id);
  }

  private restoreTabletEntry(t: Tablet): void {
    const table = this.tables.get(t.def.table)!;
    table.tablets.push(t);
    table.tablets.sort((a, b) => compareUpper(a.range.upperInclusive, b.range.upperInclusive));
    this.tablets.set(t.def.id, t);
  }

  private dropChains(t: Tablet): void {
    const held = allFragments(t);
    for (const c of t.chains) c.fragments = [];
    t.legacy = [];
    for (const f of held) f.unref();
  }

  /** The locality groups a tablet uses now. */
  tabletGroups(id: string): readonly LocalityGroupSpec[] {
    return this.getTablet(id).routing.groups;
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
    if (!this.tables.get(tableName)?.tablets.length) throw notFound(`no tablet of table ${tableName} is open here`);
    await this.serializeQueue.run(() =>
      this.compactQueue.run(async () => {
        this.checkOpen();
        for (const t of this.tables.get(tableName)?.tablets ?? []) changeTabletSchema(t, copy);
        await this.saveManifest();
      }),
    );
    if (this.o.autoCompact ?? true) this.background(() => this.compactAll());
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
      if (t.routing.wildcard === undefined && t.routing.groupOfColumn(cells[i]!.column) === undefined) {
        const family = Buffer.from(familyOf(cells[i]!.column)).toString('utf8');
        throw invalidArgument(
          `cells[${i}].column is in family ${JSON.stringify(family)}, which no locality group of table ${tableName} holds, and there is no wildcard group; add the family to a group or write to a family the schema names`,
          { cellIndex: i, family },
        );
      }
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
        const made: [Tablet, number, DiskFragment][] = [];
        for (const tablet of table.tablets) {
          for (const g of groupsWithCells(tablet, mem)) {
            const f = await this.writeFragment(tablet, g, { memory: mem, disks: [] }, { dropErasures: false, purgeByVersion: false });
            if (f) made.push([tablet, g, f]);
          }
        }
        // One synchronous swap: scans see the memory fragment or its fragments, never both or neither.
        for (const [tablet, g, f] of made) this.appendToChain(tablet, g, f);
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

  /**
   * Appends a new fragment (holding one reference) to a tablet's group
   * chain. A tablet split meanwhile hands it to its halves (each reads
   * only its rows of it); a dropped one lets it go. Groups cannot have
   * changed: schema changes wait for serializations.
   */
  private appendToChain(tablet: Tablet, group: number, f: DiskFragment): void {
    if (this.tablets.get(tablet.def.id) === tablet) tablet.chains[group]!.fragments.push(f);
    else for (const s of tablet.successors ?? []) this.appendToChain(s, group, f.ref());
    if (this.tablets.get(tablet.def.id) !== tablet) f.unref();
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
   * new fragment of one group of `tablet`, with the group's codec, block
   * size and purge policy, keeping only the group's families; on a worker
   * thread when the engine has a pool. Undefined when nothing survives.
   */
  private async writeFragment(
    tablet: Tablet,
    group: number,
    src: { memory?: MemoryFragment; disks: readonly DiskFragment[] },
    how: { dropErasures: boolean; purgeByVersion: boolean },
  ): Promise<DiskFragment | undefined> {
    const spec = tablet.routing.groups[group]!;
    const id = this.nextFragmentId++;
    const name = fragmentName(tablet.def.table, tablet.def.id, spec.name, id);
    const path = `${this.o.dir}/${name}`;
    const tmp = `${path}.tmp`;
    await this.o.fs.mkdir(path.slice(0, path.lastIndexOf('/')));
    const { lowerExclusive, upperInclusive } = tablet.range;
    const nowMicros = this.clock.nowMicros();
    const codec = spec.compression === undefined ? (this.o.codec ?? null) : spec.compression === 'lz4' ? lz4Codec : null;
    const blockSize = spec.blockSize ?? this.o.blockSize;
    // One wildcard group holds every family: nothing to filter.
    const familyFilter = tablet.routing.single ? undefined : tablet.routing.familyFilter(group);
    const keep = familyFilter ? compileFamilyFilter(familyFilter) : undefined;
    let cellsOut: number;
    if (this.o.workers) {
      let memory: Uint8Array | undefined;
      if (src.memory) {
        const cells = [...src.memory.cellsInRange(lowerExclusive, upperInclusive)];
        memory = encodeLogBatch('', keep ? cells.filter((c) => keep(c.column)) : cells);
      }
      ({ cellsOut } = await this.o.workers.run({
        output: tmp,
        memory,
        disks: src.disks.map((f) => `${this.o.dir}/${f.name}`),
        lowerExclusive,
        upperInclusive,
        dropErasures: how.dropErasures,
        familyFilter,
        purge: spec.purge,
        nowMicros,
        purgeByVersion: how.purgeByVersion,
        blockSize,
        codecId: codec?.id ?? null,
      }));
    } else {
      const writer = await FragmentWriter.create(this.o.fs, tmp, { ...(blockSize ? { blockSize } : {}), codec });
      try {
        const cursors: Cursor[] = src.memory ? [new MemoryCursor(src.memory)] : [];
        for (const f of src.disks) cursors.push(await DiskCursor.open(f.reader, undefined));
        ({ cellsOut } = await mergeIntoWriter({
          cursors,
          range: tablet.range,
          dropErasures: how.dropErasures,
          purge: purgeTest(spec.purge, nowMicros),
          purgeByVersion: how.purgeByVersion,
          keep,
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
    return (await this.openFragment(name, spec.inMemory === true)).ref();
  }

  /** Opens a fragment once; fragments of in-memory groups load every block into the cache at high priority. */
  private async openFragment(name: string, inMemory = false): Promise<DiskFragment> {
    const existing = this.fragments.get(name);
    if (existing) return existing;
    const path = `${this.o.dir}/${name}`;
    const cache = this.o.cache;
    const reader = await FragmentReader.open(this.o.fs, path, { ...(cache ? { cache } : {}), fileId: path, inMemory });
    if (inMemory) await reader.preload();
    const f = new DiskFragment(name, reader, reader.info.fileBytes, (x) => this.release(x), inMemory);
    this.fragments.set(name, f);
    return f;
  }

  /** The last holder let go: the file goes once no chain lists it. */
  private release(f: DiskFragment): void {
    for (const t of this.tablets.values()) if (listsFragment(t, f)) return;
    this.fragments.delete(f.name);
    this.background(async () => {
      await f.reader.close();
      // Saved manifests must stop naming the file before it goes.
      await this.saveManifest();
      await this.o.fs.unlink(`${this.o.dir}/${f.name}`);
    });
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
   * holds (possible only without a wildcard group) are hidden.
   */
  async openScanner(id: string, spec: ScanSpec, opts: ScanOptions = {}): Promise<EngineScanner> {
    this.checkOpen();
    const t = this.getTablet(id);
    const table = this.tables.get(t.def.table)!;
    const compiled = compileScanSpec(spec);
    const held = scanFragments(t, t.routing.groupsForColumns(compiled.columns)).map((f) => f.ref());
    try {
      // Empty memory fragments are left out (a scan need not see writes that
      // arrive after it starts), so a compacted, quiet tablet is one cursor.
      const sources: ScanSource[] = table.active.cellCount > 0 ? [{ memory: table.active }] : [];
      for (let i = table.frozen.length - 1; i >= 0; i--) sources.push({ memory: table.frozen[i]! });
      for (const f of held) sources.push({ disk: f.reader });
      const after = opts.after ? { ...opts.after, value: null } : undefined;
      const scan = await MergedScan.open({ sources, range: t.range, spec: compiled, ...this.scanPurge(t), after });
      return new EngineScanner(scan, held, this.visibleTxn);
    } catch (e) {
      for (const f of held) f.unref();
      throw e;
    }
  }

  /** The purge a scan of `t` applies: one policy when every family shares one, else per column. */
  private scanPurge(t: Tablet): { purge?: PurgeTest; purgeOf?: (column: Uint8Array) => PurgeTest | undefined } {
    const now = this.clock.nowMicros();
    const { routing } = t;
    if (routing.single) return { purge: purgeTest(routing.groups[0]!.purge, now) };
    const tests = routing.groups.map((g) => purgeTest(g.purge, now));
    if (routing.wildcard !== undefined && tests.every((x) => x === undefined)) return {};
    return {
      purgeOf: (column) => {
        const g = routing.groupOfColumn(column);
        return g === undefined ? HIDDEN : tests[g];
      },
    };
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
    const t = this.getTablet(id);
    const table = this.tables.get(t.def.table)!;
    const c = compileScanSpec(spec);
    const tabletRows = rangeAsInterval(t.range);
    const rows = (c.rows ?? [{}]).map((iv) => intersect(iv, tabletRows)).filter((iv) => iv !== undefined);
    const readers = scanFragments(t, t.routing.groupsForColumns(c.columns)).map((f) => f.reader);
    return statSources(readers, [table.active, ...table.frozen], rows, c);
  }

  tabletSizes(id: string): TabletSizes {
    const t = this.getTablet(id);
    const table = this.tables.get(t.def.table)!;
    const sizes = (fragments: readonly DiskFragment[]): DiskSizes => ({
      fragments: fragments.length,
      diskBytes: fragments.reduce((n, f) => n + f.fileBytes, 0),
      diskCells: fragments.reduce((n, f) => n + f.reader.info.cellCount, 0),
    });
    const total = sizes(allFragments(t));
    const groups: Record<string, DiskSizes> = {};
    t.routing.groups.forEach((g, i) => (groups[g.name] = sizes(t.chains[i]!.fragments)));
    let tableMemoryBytes = table.active.bytes;
    for (const f of table.frozen) tableMemoryBytes += f.bytes;
    return { ...total, tableMemoryBytes, groups, legacy: sizes(t.legacy) };
  }

  /**
   * Approximate median row of a tablet's disk data, for splits: the
   * median of the largest fragment (of any group) whose median lies inside
   * the tablet.
   */
  approximateMedianRow(id: string): Uint8Array | undefined {
    const t = this.getTablet(id);
    const bySize = allFragments(t).sort((a, b) => b.fileBytes - a.fileBytes);
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
          groups: t.routing.groups,
          chains: Object.fromEntries(t.routing.groups.map((g, i) => [g.name, t.chains[i]!.fragments.map((f) => f.name)])),
          legacy: t.legacy.map((f) => ({ fragment: f.name, inMemory: f.inMemory })),
        })),
      };
      await this.o.fs.writeFileAtomic(`${this.o.dir}/${MANIFEST_NAME}`, encodeManifest(m));
    });
  }

  /** Removes fragment files (and temp files) the manifest does not name: leftovers of interrupted work. */
  private async removeOrphans(m: Manifest): Promise<void> {
    const named = manifestFragments(m);
    for (const name of await listFragmentFiles(this.o.fs, this.o.dir)) {
      if (!named.has(name)) await this.o.fs.unlink(`${this.o.dir}/${name}`);
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

/** A private, frozen copy of group specs: callers' objects may change later. */
function copyGroups(groups: readonly LocalityGroupSpec[]): readonly LocalityGroupSpec[] {
  if (!Array.isArray(groups)) return groups;
  return Object.freeze(
    groups.map((g) =>
      typeof g === 'object' && g !== null
        ? Object.freeze({
            ...g,
            families: Array.isArray(g.families) ? Object.freeze([...g.families]) : g.families,
            ...(g.purge && typeof g.purge === 'object' ? { purge: Object.freeze({ ...g.purge }) } : {}),
          })
        : g,
    ),
  );
}

function checkGroups(groups: readonly LocalityGroupSpec[], what: string): void {
  const problems = validateLocalityGroups(groups);
  if (problems.length > 0) {
    throw invalidArgument(`${what}: invalid locality groups: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { problems });
  }
}

/** The groups of `tablet` that `mem` holds cells for (one pass; a run of one column is routed once). */
function groupsWithCells(tablet: Tablet, mem: MemoryFragment): number[] {
  const { routing } = tablet;
  if (routing.single) return [0];
  const found = new Set<number>();
  let last: Uint8Array | undefined;
  for (const c of mem.cellsInRange(tablet.range.lowerExclusive, tablet.range.upperInclusive)) {
    if (last !== undefined && Buffer.compare(c.column, last) === 0) continue;
    last = c.column;
    const g = routing.groupOfColumn(c.column);
    if (g !== undefined) found.add(g);
    if (found.size === routing.groups.length) break;
  }
  return [...found].sort((a, b) => a - b);
}
