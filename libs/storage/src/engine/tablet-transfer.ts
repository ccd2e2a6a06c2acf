// Moving a tablet between servers (DESIGN §7 "Loading a tablet" and
// "Unloading"). The tablet config in META names, per locality group, the
// fragments of the tablet's chain (`fragments:<group>`) and the log
// directories that may hold its unserialized writes (`log:`).
//
// load: open every named fragment (another server's files are opened where
// they are, by absolute path, and never modified or deleted), replay the
// named logs READ-ONLY keeping only batches of this table with rows in the
// tablet's range, in log order, write that data as one new fragment per
// group (the newest of each chain), register the tablet and save the
// manifest. The result is the config the server writes to META: this
// server's fragment lists and no foreign log. Until the tablet is
// registered nothing of it is visible; a failure (a missing or corrupt
// fragment, corruption inside a log) leaves no tablet, no new file and the
// manifest as it was.
//
// unload: refuse new applies to the tablet's rows, wait for applies already
// past their checks, serialize memory (the whole engine's: simplest
// correct), then drop the tablet WITHOUT deleting its files — the next
// server opens them through META — and save the manifest. Every file the
// tablet named is released to the master's GC (fragment-store.ts).
//
// Fragment lists are keyed by group name, oldest first. A tablet whose
// schema changed may also hold legacy fragments (engine/tablet.ts); they
// travel under the key LEGACY_FRAGMENTS (not a valid group name), also
// oldest first.

import type { Cell } from '@kdi/primitives';
import { corruption, invalidArgument, isStorageError, notFound, StorageError } from '../errors.js';
import type { FileSystem } from '../fs/file-system.js';
import { replayLog } from '../log/log-reader.js';
import { segmentPath } from '../log/segment-files.js';
import { MemoryFragment } from '../memory/memory-fragment.js';
import { rowInRange } from '../merge/row-range.js';
import type { DiskFragment } from './disk-fragment.js';
import type { FragmentStore } from './fragment-store.js';
import { decodeLogRecord } from './log-batch.js';
import type { PreparedTablet, TabletRegistry } from './tablet-registry.js';
import { allFragments, dropChains, groupsWithCells, newTablet, type Tablet, type TabletDefinition } from './tablet.js';
import type { FragmentSources, FragmentWriteMode } from './write-fragment.js';
import { thawTablet } from './write-freeze.js';
import { openReadGate } from './read-gate.js';

/** The key of a tablet's legacy fragments in fragment lists (never a group name). */
export const LEGACY_FRAGMENTS = '~legacy';

/** Fragment lists: group name (or LEGACY_FRAGMENTS) → references, oldest first. */
export type FragmentLists = Record<string, string[]>;

export interface LoadTabletDefinition extends TabletDefinition {
  /** Per group, its chain oldest first: paths relative to this engine's directory, or absolute. */
  readonly fragments?: Readonly<Record<string, readonly string[]>> | undefined;
  /**
   * Logs that may hold the tablet's unserialized writes, replayed in this
   * order: an absolute directory (replayed whole) or {dir, fromSegment}
   * (segments below fromSegment skipped: they belong to an earlier tenure
   * of the rows on that server and must not be replayed over newer data).
   */
  readonly replayLogs?: readonly (string | ReplayLog)[] | undefined;
}

/** A log directory and the first segment of it to replay. */
export interface ReplayLog {
  readonly dir: string;
  readonly fromSegment: number;
}

export interface LoadedTablet {
  /** The tablet's fragments now, as absolute paths: what the server writes to META. */
  readonly fragments: FragmentLists;
  /** Cells taken from the replayed logs (before overwrites collapse). */
  readonly replayedCells: number;
}

export interface UnloadedTablet {
  /** The tablet's final fragments, as absolute paths. */
  readonly fragments: FragmentLists;
}

/** What a transfer needs from the engine. */
export interface TransferHost {
  readonly fs: FileSystem;
  readonly store: FragmentStore;
  readonly registry: TabletRegistry;
  checkOpen(): void;
  /** Raises the last txn handed out to at least `txn` (a replayed batch's). */
  observeTxn(txn: number): void;
  /** A fresh txn for a tablet's floor: above everything before. */
  floorTxn(): number;
  /** The home disk for a tablet new here (disk-set.ts). */
  chooseDisk(): number;
  writeFragment(tablet: Tablet, group: number, src: FragmentSources, how: FragmentWriteMode): Promise<DiskFragment | undefined>;
  serialize(): Promise<void>;
  saveManifest(): Promise<void>;
}

/** A tablet's fragment lists as absolute paths, oldest first; LEGACY_FRAGMENTS only when it has any. */
export function tabletFragmentLists(store: FragmentStore, t: Tablet): FragmentLists {
  const out: FragmentLists = {};
  t.routing.groups.forEach((g, i) => (out[g.name] = t.chains[i]!.fragments.map((f) => f.path)));
  if (t.legacy.length > 0) out[LEGACY_FRAGMENTS] = t.legacy.map((f) => f.path).reverse();
  return out;
}

export class TabletTransfer {
  constructor(private readonly host: TransferHost) {}

  /**
   * With `owned`, the named files are this engine's own (a migration's
   * received files, renamed into its directory): they are not released,
   * and a failed load deletes them. With `staged` (a migration's preload),
   * its compactions are held and the manifest marks it staged.
   */
  async load(input: LoadTabletDefinition, opts: { owned?: boolean; staged?: boolean } = {}): Promise<LoadedTablet> {
    const { host } = this;
    host.checkOpen();
    const { fragments: lists, replayLogs, ...def } = input;
    const p = host.registry.prepare(def);
    const { chains, legacy } = this.checkLists(p, lists ?? {});
    const logs = checkLogs(p.def.id, replayLogs ?? []);
    host.registry.reserve(p);
    const tablet = newTablet(p.def, p.range, p.groups, 0);
    tablet.homeDisk = host.chooseDisk();
    tablet.holdCompaction = opts.staged === true;
    tablet.staged = opts.staged === true;
    let registered = false;
    const opened = new Set<string>();
    try {
      // A file a tablet config names may be shared with other servers' tablets: never ours to delete.
      if (!opts.owned) for (const name of [...chains.flat(), ...legacy]) host.store.release(name);
      for (const [i, names] of chains.entries()) {
        const inMemory = p.groups[i]!.inMemory === true;
        for (const name of names) {
          tablet.chains[i]!.fragments.push((await this.open(p, name, inMemory)).ref());
          opened.add(name);
        }
      }
      for (const name of legacy) {
        tablet.legacy.push((await this.open(p, name, false)).ref());
        opened.add(name);
      }
      const replayed = await this.replay(tablet, logs);
      for (const g of groupsWithCells(tablet, replayed.memory)) {
        const f = await host.writeFragment(tablet, g, { memory: replayed.memory, disks: [] }, { dropErasures: false, purgeByVersion: false });
        if (f) tablet.chains[g]!.fragments.push(f);
      }
      host.checkOpen();
      // Rows of a moved tablet may have changed at any txn before now, here or elsewhere.
      tablet.floorTxn = host.floorTxn();
      host.registry.unreserve(p.def.id);
      host.registry.insert(tablet);
      registered = true;
      await host.saveManifest();
      return { fragments: tabletFragmentLists(host.store, tablet), replayedCells: replayed.cells };
    } catch (e) {
      if (registered) host.registry.remove(tablet);
      else host.registry.unreserve(p.def.id);
      // Owned files that were opened go when let go (fragment-store.ts); the others are deleted here.
      dropChains(tablet);
      if (opts.owned) {
        for (const name of [...chains.flat(), ...legacy]) {
          if (!opened.has(name)) await host.fs.unlink(host.store.pathOf(name)).catch(() => undefined);
        }
      }
      throw e;
    }
  }

  async unload(id: string): Promise<UnloadedTablet> {
    const { host } = this;
    host.checkOpen();
    const t = host.registry.get(id);
    if (t.unloading) throw invalidArgument(`tablet ${id} is already unloading`);
    t.unloading = true;
    try {
      const table = host.registry.tables.get(t.def.table)!;
      await Promise.allSettled([...table.applying]);
      await host.serialize();
      host.checkOpen();
    } catch (e) {
      t.unloading = false;
      throw e;
    }
    // Compactions and schema changes may have replaced fragments meanwhile: take the chains as they are now.
    const fragments = tabletFragmentLists(host.store, t);
    for (const f of allFragments(t)) host.store.release(f.name);
    host.registry.remove(t);
    thawTablet(t);
    openReadGate(t);
    dropChains(t);
    await host.saveManifest();
    return { fragments };
  }

  /** Canonical references per group index, and legacy newest first (scan priority); every problem is invalid-argument. */
  private checkLists(p: PreparedTablet, lists: Readonly<Record<string, readonly string[]>>): { chains: string[][]; legacy: string[] } {
    const id = p.def.id;
    if (typeof lists !== 'object' || lists === null || Array.isArray(lists)) throw invalidArgument(`tablet ${id}: fragments must map group names to lists of paths`);
    const chains: string[][] = p.groups.map(() => []);
    let legacy: string[] = [];
    // Lists of groups the schema no longer has (it changed while the tablet
    // was elsewhere, DESIGN §6): read as legacy fragments — newer than the
    // legacy list they came after — and repartitioned by compaction.
    const formerGroups: string[][] = [];
    const seen = new Set<string>();
    for (const [key, names] of Object.entries(lists)) {
      const at = p.groups.findIndex((g) => g.name === key);
      if (!Array.isArray(names)) throw invalidArgument(`tablet ${id}: fragments[${JSON.stringify(key)}] must be a list of paths`);
      const canonical = names.map((n) => this.host.store.canonical(n));
      for (const n of canonical) {
        if (seen.has(n)) throw invalidArgument(`tablet ${id}: fragment ${JSON.stringify(n)} is listed twice`);
        seen.add(n);
      }
      if (at >= 0) chains[at] = canonical;
      else if (key === LEGACY_FRAGMENTS) legacy = canonical.reverse();
      else formerGroups.push(canonical.reverse());
    }
    return { chains, legacy: [...formerGroups.flat(), ...legacy] };
  }

  private async open(p: PreparedTablet, name: string, inMemory: boolean): Promise<DiskFragment> {
    try {
      return await this.host.store.open(name, inMemory);
    } catch (e) {
      if (!(e instanceof StorageError)) throw e;
      const path = this.host.store.pathOf(name);
      throw new StorageError(e.kind, `loading tablet ${p.def.id}: cannot open fragment ${path}: ${e.message}`, path, { cause: e });
    }
  }

  /** The tablet's cells from the logs, in log order, in a private memory fragment. */
  private async replay(tablet: Tablet, logs: readonly ReplayLog[]): Promise<{ memory: MemoryFragment; cells: number }> {
    const { host } = this;
    const memory = new MemoryFragment(0);
    let cells = 0;
    for (const { dir, fromSegment } of logs) {
      if (!(await host.fs.exists(dir))) {
        throw notFound(`loading tablet ${tablet.def.id}: log directory ${dir} does not exist (is its disk mounted?)`, dir);
      }
      await replayLog(
        host.fs,
        dir,
        (r) => {
          const where = segmentPath(dir, r.segmentId);
          let batches;
          try {
            batches = decodeLogRecord(r.payload, where);
          } catch (e) {
            throw isStorageError(e, 'corruption') ? corruption(e.message, where) : e;
          }
          for (const batch of batches) {
            host.observeTxn(batch.txn);
            if (batch.table !== tablet.def.table) continue;
            for (const c of batch.cells) {
              if (!rowInRange(c.row, tablet.range)) continue;
              memory.insert(copyCell(c)); // a view would pin the whole segment's buffer
              cells++;
            }
          }
        },
        { readOnly: true, fromSegmentId: fromSegment },
      );
    }
    return { memory, cells };
  }
}

function checkLogs(id: string, logs: readonly (string | ReplayLog)[]): ReplayLog[] {
  if (!Array.isArray(logs)) throw invalidArgument(`tablet ${id}: replayLogs must be a list of log directories`);
  return logs.map((entry, i) => {
    const { dir, fromSegment } = typeof entry === 'string' ? { dir: entry, fromSegment: 0 } : (entry ?? { dir: undefined, fromSegment: 0 });
    if (typeof dir !== 'string' || !dir.startsWith('/')) throw invalidArgument(`tablet ${id}: replayLogs[${i}] must be an absolute directory path, got ${JSON.stringify(dir)}`);
    if (!Number.isSafeInteger(fromSegment) || fromSegment < 0) throw invalidArgument(`tablet ${id}: replayLogs[${i}].fromSegment must be a segment id ≥ 0, got ${fromSegment}`);
    return { dir: dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir, fromSegment };
  });
}

function copyCell(c: Cell): Cell {
  return { row: Buffer.from(c.row), column: Buffer.from(c.column), timestamp: c.timestamp, value: c.value === null ? null : Buffer.from(c.value) };
}
