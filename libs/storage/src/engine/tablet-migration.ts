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
//    next open removes them (recovery.ts).

import { dirname } from 'node:path/posix';
import type { Cell } from '@kdi/primitives';
import type { BlockCache } from '../cache/block-cache.js';
import { invalidArgument } from '../errors.js';
import type { FileSystem } from '../fs/file-system.js';
import type { FragmentStore } from './fragment-store.js';
import { isForeignFragment } from './fragment-files.js';
import type { TabletRegistry } from './tablet-registry.js';
import { LEGACY_FRAGMENTS, type LoadedTablet, type TabletTransfer } from './tablet-transfer.js';
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

/** Reads `blocks` of tablet `id`'s fragments into the cache; blocks of files it does not list, or past a file's end, are skipped. Returns how many were read. */
export async function warmTabletBlocks(registry: TabletRegistry, id: string, blocks: readonly HotBlock[]): Promise<number> {
  const byPath = new Map(allFragments(registry.get(id)).map((f) => [f.path, f]));
  let n = 0;
  for (const { path, block } of blocks) {
    const f = byPath.get(path);
    if (f === undefined || !Number.isSafeInteger(block) || block < 0 || block >= f.reader.blockCount) continue;
    await f.reader.readBlock(block);
    n++;
  }
  return n;
}

/** Renames received files into the engine's fragment naming and loads the tablet from them (see the header). */
export async function adoptTablet(
  ctx: { fs: FileSystem; store: FragmentStore; transfer: TabletTransfer; registry: TabletRegistry },
  input: AdoptTabletDefinition,
): Promise<LoadedTablet> {
  const { fs, store, transfer, registry } = ctx;
  const { files, ...def } = input;
  registry.prepare(def); // every problem with the definition before a file moves
  if (typeof files !== 'object' || files === null || Array.isArray(files)) throw invalidArgument(`tablet ${def.id}: files must map group names to lists of paths`);
  const sources: [string, string][] = [];
  for (const [key, paths] of Object.entries(files)) {
    if (!Array.isArray(paths)) throw invalidArgument(`tablet ${def.id}: files[${JSON.stringify(key)}] must be a list of paths`);
    for (const p of paths) {
      const canonical = store.canonical(p);
      if (isForeignFragment(canonical) || canonical.startsWith('tables/')) {
        throw invalidArgument(`tablet ${def.id}: received file ${JSON.stringify(p)} must lie inside the engine directory ${store.dir}, outside tables/`);
      }
      sources.push([key, canonical]);
    }
  }
  const lists: Record<string, string[]> = {};
  const made: string[] = [];
  let loading = false;
  try {
    for (const [key, source] of sources) {
      const { name, path } = store.newFragment(def.table, def.id, key === LEGACY_FRAGMENTS ? LEGACY_DIR : key);
      made.push(name);
      await fs.mkdir(dirname(path));
      await fs.rename(store.pathOf(source), path);
      (lists[key] ??= []).push(name);
    }
    loading = true;
    return await transfer.load({ ...def, fragments: lists }, { owned: true });
  } catch (e) {
    // After load started, it deleted what it had not opened, and what it opened goes when let go.
    if (!loading) for (const name of made) await fs.unlink(store.pathOf(name)).catch(() => undefined);
    throw e;
  } finally {
    for (const name of made) store.finishedWriting(name);
  }
}
