// The engine's side of a tablet migration (DESIGN §10), source and target.
//
// Source: a pin on the tablet's fragments (tablet-pin.ts) for the copy;
// freezeWrites (write-freeze.ts) for the hand-over; then what the target
// needs besides the files — the tablet's cells still in memory (the
// active and frozen memory fragments of its table, restricted to its
// rows, erasures included, oldest fragment first so a later version of a
// key comes after an earlier one) and the blocks of its fragments hot in
// the block cache.
//
// Target: adopt — received files, written by the caller into a directory
// inside the engine directory, are renamed into the engine's fragment
// naming (owned by this engine, as if it had written them) and the tablet
// is loaded from them (tablet-transfer.ts load, no logs to replay); warm —
// the source's hot blocks are read into the cache.
//
// Promises:
//  - memoryCells and the fragment lists taken in the same synchronous step
//    (with no apply in flight: after freezeWrites) describe every cell of
//    the tablet: a memory fragment leaves table.frozen in the same step as
//    its disk fragments join the chains (serializer.ts);
//  - adopt either registers the tablet with every file in place (the
//    manifest names them) or leaves no tablet and none of the files: the
//    received files are renamed, and deleted on failure; a crash in
//    between leaves them under tables/ unnamed by the manifest, and the
//    next open removes them (recovery.ts);
//  - a staged adopt (a preload) is marked "staged" in the manifest until
//    its first beginPublish (or releaseAdopted): a crash before then —
//    when no META write can have named it — and the next open drops it
//    and deletes its files (recovery.ts); from then on a restart keeps it
//    (META may name it: dormant, settled by the tablet server).

import { dirname } from 'node:path/posix';
import type { Cell } from '@kdi/primitives';
import type { BlockCache } from '../cache/block-cache.js';
import { invalidArgument } from '../errors.js';
import type { FileSystem } from '../fs/file-system.js';
import type { FragmentStore } from './fragment-store.js';
import { isForeignFragment } from './fragment-files.js';
import type { TabletRegistry } from './tablet-registry.js';
import type { DiskFragment } from './disk-fragment.js';
import { type FragmentLists, LEGACY_FRAGMENTS, type LoadedTablet, tabletFragmentLists, type TabletTransfer } from './tablet-transfer.js';
import { allFragments, type TabletDefinition } from './tablet.js';

/** A block of a fragment: the fragment's absolute path and the block's index. */
export interface HotBlock {
  readonly path: string;
  readonly block: number;
}

export interface AdoptTabletDefinition extends TabletDefinition {
  /**
   * Per group (LEGACY_FRAGMENTS for legacy, or a group the schema no
   * longer has), the received files oldest first: absolute paths inside
   * the engine directory (outside tables/), e.g. a migration's temp dir.
   */
  readonly files: Readonly<Record<string, readonly string[]>>;
  /**
   * A migration's preload: the tablet is not compacted until
   * releaseAdopted, so readoptTablet can give it the final lists (reusing
   * the files it holds) at commit; and until beginPublish (the commit's
   * META write is about to name it) the manifest marks it staged, so a
   * restart drops it with its files.
   */
  readonly staged?: boolean | undefined;
}

/** A directory name for a fragment list's key (LEGACY_FRAGMENTS is no valid path segment). */
const LEGACY_DIR = 'legacy';

/** The tablet's cells in memory (active and frozen fragments), restricted to its rows, oldest fragment first. */
export function tabletMemoryCells(registry: TabletRegistry, id: string): Cell[] {
  const t = registry.get(id);
  const table = registry.tables.get(t.def.table)!;
  const out: Cell[] = [];
  for (const mem of [...table.frozen, table.active]) {
    for (const c of mem.cellsInRange(t.range.lowerExclusive, t.range.upperInclusive)) out.push(c);
  }
  return out;
}

/** The blocks of the tablet's fragments that the cache holds now. */
export function tabletHotBlocks(registry: TabletRegistry, cache: BlockCache | undefined, id: string): HotBlock[] {
  const t = registry.get(id);
  if (cache === undefined) return [];
  const out: HotBlock[] = [];
  const seen = new Set<string>();
  for (const f of allFragments(t)) {
    if (seen.has(f.path)) continue;
    seen.add(f.path);
    for (let i = 0; i < f.reader.blockCount; i++) if (cache.has({ fileId: f.path, blockIndex: i })) out.push({ path: f.path, block: i });
  }
  return out;
}

/**
 * Reads `blocks` of tablet `id`'s fragments into the cache; blocks of
 * files it does not list, past a file's end, or already in the cache are
 * skipped (a migration's commit warms again what its preload warmed: that
 * must cost nothing inside the write stall). Returns how many were read.
 */
export async function warmTabletBlocks(registry: TabletRegistry, cache: BlockCache | undefined, id: string, blocks: readonly HotBlock[]): Promise<number> {
  const byPath = new Map(allFragments(registry.get(id)).map((f) => [f.path, f]));
  let n = 0;
  for (const { path, block } of blocks) {
    const f = byPath.get(path);
    if (f === undefined || !Number.isSafeInteger(block) || block < 0 || block >= f.reader.blockCount) continue;
    if (cache?.has({ fileId: f.path, blockIndex: block }) === true) continue;
    await f.reader.readBlock(block);
    n++;
  }
  return n;
}

/** Renames one received file into the engine's naming for (tablet, key); its new canonical name (still marked being written). */
async function renameReceived(fs: FileSystem, store: FragmentStore, def: TabletDefinition, key: string, source: string, made: string[]): Promise<string> {
  const { name, path } = store.newFragment(def.table, def.id, key === LEGACY_FRAGMENTS ? LEGACY_DIR : key);
  made.push(name);
  await fs.mkdir(dirname(path));
  await fs.rename(store.pathOf(source), path);
  return name;
}

/** Canonical received paths per key: inside the engine directory, outside tables/ (else 'invalid-argument'). */
function receivedSources(store: FragmentStore, id: string, files: Readonly<Record<string, readonly string[]>>, allowAdopted: ReadonlySet<string> = new Set()): [string, string][] {
  if (typeof files !== 'object' || files === null || Array.isArray(files)) throw invalidArgument(`tablet ${id}: files must map group names to lists of paths`);
  const out: [string, string][] = [];
  for (const [key, paths] of Object.entries(files)) {
    if (!Array.isArray(paths)) throw invalidArgument(`tablet ${id}: files[${JSON.stringify(key)}] must be a list of paths`);
    for (const p of paths) {
      const canonical = store.canonical(p);
      if (!allowAdopted.has(canonical) && (isForeignFragment(canonical) || canonical.startsWith('tables/'))) {
        throw invalidArgument(`tablet ${id}: received file ${JSON.stringify(p)} must lie inside the engine directory ${store.dir}, outside tables/`);
      }
      out.push([key, canonical]);
    }
  }
  return out;
}

/**
 * A tablet adopted with `staged` (its compactions held) takes new lists:
 * each entry is a file it already holds (its absolute path from the
 * lists adopt or an earlier readopt returned) or a newly received one
 * (renamed and opened as adopt does). Files it held and the new lists do
 * not name are let go (deleted: this engine owns them). Chains are
 * swapped in one synchronous step. Resolves with the new lists.
 */
export async function readoptTablet(
  ctx: { fs: FileSystem; store: FragmentStore; registry: TabletRegistry; saveManifest: () => Promise<void>; floorTxn: () => number },
  id: string,
  files: Readonly<Record<string, readonly string[]>>,
): Promise<FragmentLists> {
  const { fs, store, registry } = ctx;
  const t = registry.get(id);
  if (!t.holdCompaction) throw invalidArgument(`tablet ${id} was not adopted with staged: its fragments are the engine's to manage`);
  // Rows may have changed at the source after the preload set the floor (files serialized there since): a row
  // transaction that read before now — at the source, with its txns — must conflict here, not overwrite them.
  t.floorTxn = ctx.floorTxn();
  const held = new Map(allFragments(t).map((f) => [f.name, f]));
  const sources = receivedSources(store, id, files, new Set(held.keys()));
  const seen = new Set<string>();
  for (const [, source] of sources) {
    if (seen.has(source)) throw invalidArgument(`tablet ${id}: file ${JSON.stringify(source)} is listed twice`);
    seen.add(source);
  }
  const made: string[] = [];
  const opened: DiskFragment[] = [];
  const picked: [string, DiskFragment][] = [];
  try {
    for (const [key, source] of sources) {
      const have = held.get(source);
      if (have !== undefined) {
        picked.push([key, have.ref()]);
        continue;
      }
      const at = t.routing.groups.findIndex((g) => g.name === key);
      const name = await renameReceived(fs, store, t.def, key, source, made);
      const f = (await store.open(name, at >= 0 && t.routing.groups[at]!.inMemory === true)).ref();
      opened.push(f);
      picked.push([key, f]);
    }
  } catch (e) {
    for (const [, f] of picked) f.unref();
    for (const name of made) if (!opened.some((f) => f.name === name)) await fs.unlink(store.pathOf(name)).catch(() => undefined);
    throw e;
  } finally {
    for (const name of made) store.finishedWriting(name);
  }
  if (!registry.isCurrent(t)) {
    for (const [, f] of picked) f.unref();
    throw invalidArgument(`tablet ${id} left the engine while its files were adopted`);
  }
  // One synchronous swap, as checkLists orders them: groups' chains oldest first; legacy newest first, former groups before ~legacy.
  const chains: DiskFragment[][] = t.routing.groups.map(() => []);
  const former = new Map<string, DiskFragment[]>();
  const legacy: DiskFragment[] = [];
  for (const [key, f] of picked) {
    const at = t.routing.groups.findIndex((g) => g.name === key);
    if (at >= 0) chains[at]!.push(f);
    else if (key === LEGACY_FRAGMENTS) legacy.push(f);
    else (former.get(key) ?? former.set(key, []).get(key)!).push(f);
  }
  const newLegacy = [...[...former.values()].flatMap((l) => l.reverse()), ...legacy.reverse()];
  const same = (a: readonly DiskFragment[], b: readonly DiskFragment[]) => a.length === b.length && a.every((f, i) => f === b[i]);
  if (made.length === 0 && t.chains.every((c, i) => same(c.fragments, chains[i]!)) && same(t.legacy, newLegacy)) {
    // Nothing changed since the preload (the usual case at a commit): no swap, no manifest write.
    for (const [, f] of picked) f.unref();
    return tabletFragmentLists(store, t);
  }
  const old = allFragments(t);
  t.chains.forEach((c, i) => (c.fragments = chains[i]!));
  t.legacy = newLegacy;
  for (const f of old) f.unref();
  await ctx.saveManifest();
  return tabletFragmentLists(store, t);
}

/** Renames received files into the engine's fragment naming and loads the tablet from them (see the header). */
export async function adoptTablet(
  ctx: { fs: FileSystem; store: FragmentStore; transfer: TabletTransfer; registry: TabletRegistry },
  input: AdoptTabletDefinition,
): Promise<LoadedTablet> {
  const { fs, store, transfer, registry } = ctx;
  const { files, staged, ...def } = input;
  registry.prepare(def); // every problem with the definition before a file moves
  const sources = receivedSources(store, def.id, files);
  const lists: Record<string, string[]> = {};
  const made: string[] = [];
  let loading = false;
  try {
    for (const [key, source] of sources) (lists[key] ??= []).push(await renameReceived(fs, store, def, key, source, made));
    loading = true;
    return await transfer.load({ ...def, fragments: lists }, { owned: true, staged: staged === true });
  } catch (e) {
    // After load started, it deleted what it had not opened, and what it opened goes when let go.
    if (!loading) for (const name of made) await fs.unlink(store.pathOf(name)).catch(() => undefined);
    throw e;
  } finally {
    for (const name of made) store.finishedWriting(name);
  }
}
