// Merging two adjacent tablets of one table into one (DESIGN §9: the
// master merges adjacent small tablets): (a, m] and (m, b] become (a, b],
// whose chains are the union of both tablets' chains, group by group.
//
// Why the union is a correct description of the data — and when it is not:
// a scan of a tablet reads only its own rows of each fragment, so a
// fragment may hold rows outside its tablet (after a split both halves
// list the parent's fragments). Each half may later compact its share
// alone, dropping cells an erasure hid and the erasure with them; the
// parent fragment, still listed by the OTHER half, keeps those cells. Over
// the merged range that fragment would show them again. So a merge takes
// only tablets whose every fragment (chains and legacy) lies inside the
// tablet's range, judged by the fragment's first and last rows (its
// index): then the two tablets' fragments hold disjoint rows, no row has
// data on both sides, and any interleaving of the two chains that keeps
// each side's order keeps the invariants of tablet.ts (for every row, its
// chain and legacy cells are exactly what they were in its tablet).
//
// Contract (Engine.mergeTablets / Engine.prepareMerge):
//  - mergeTablets refuses ('invalid-argument', naming why) unknown or
//    unloading tablets, tablets of different tables, tablets that are not
//    adjacent (low's upper bound is high's lower bound), tablets with
//    different locality groups, a merged id that is taken, and a tablet
//    with a fragment reaching outside its range — for that one the caller
//    runs prepareMerge first, which compacts such a tablet fully (every
//    output is cut to the tablet's rows), so the merge can then happen in
//    one synchronous step the caller can pair with its own state change;
//  - the swap is synchronous (before the first await): the merged tablet
//    takes over both tablets' fragment references, its floor txn is the
//    higher of the two (row transactions may abort needlessly, never
//    wrongly), and work finishing for either tablet (a serialization under
//    way) goes to it (successors); compactions of either are discarded;
//  - on a refusal nothing changes.
//
// Chain order: fragments have no common clock across servers, so each
// chain is a stable merge of the two by "age key" — this engine's own
// fragment number, and −1 (oldest) for files loaded from elsewhere, which
// a tablet lists before anything written here — keeping each side's order.

import { invalidArgument } from '../errors.js';
import { rowInRange } from '../merge/row-range.js';
import type { DiskFragment } from './disk-fragment.js';
import type { TabletRegistry } from './tablet-registry.js';
import type { GroupChain, Tablet } from './tablet.js';

/** The fragments of `t` (chains and legacy) holding a row outside its range. */
export function fragmentsOutside(t: Tablet): DiskFragment[] {
  const out: DiskFragment[] = [];
  for (const f of [...t.chains.flatMap((c) => c.fragments), ...t.legacy]) {
    const { firstRow, lastRow } = f.reader.info;
    if (!rowInRange(firstRow, t.range) || !rowInRange(lastRow, t.range)) out.push(f);
  }
  return out;
}

/** Orders two tablets of one table by range: [low, high] when adjacent, undefined otherwise. */
export function adjacentOrder(a: Tablet, b: Tablet): [Tablet, Tablet] | undefined {
  const meets = (low: Tablet, high: Tablet) =>
    low.range.upperInclusive !== undefined && high.range.lowerExclusive !== undefined && Buffer.compare(low.range.upperInclusive, high.range.lowerExclusive) === 0;
  if (meets(a, b)) return [a, b];
  if (meets(b, a)) return [b, a];
  return undefined;
}

const show = (row: Uint8Array | undefined, open: string) => (row === undefined ? open : JSON.stringify(Buffer.from(row).toString('latin1')));

/**
 * Why `low` and `high` cannot be merged as they are now (every reason that
 * needs no compaction to fix), or undefined. `low` must be the tablet
 * whose upper bound is `high`'s lower bound.
 */
export function mergeProblem(low: Tablet, high: Tablet): string | undefined {
  const [l, h] = [low.def.id, high.def.id];
  if (low === high) return `cannot merge tablet ${l} with itself`;
  for (const t of [low, high]) if (t.unloading) return `tablet ${t.def.id} is unloading`;
  if (low.def.table !== high.def.table) return `tablets ${l} (table ${low.def.table}) and ${h} (table ${high.def.table}) belong to different tables`;
  if (adjacentOrder(low, high)?.[0] !== low) {
    return (
      `tablets ${l} (rows ${show(low.range.lowerExclusive, '-inf')}..${show(low.range.upperInclusive, '+inf')}] and ` +
      `${h} (rows ${show(high.range.lowerExclusive, '-inf')}..${show(high.range.upperInclusive, '+inf')}] are not adjacent: ` +
      `the first must end exactly where the second begins`
    );
  }
  if (JSON.stringify(low.routing.groups) !== JSON.stringify(high.routing.groups)) {
    return `tablets ${l} and ${h} have different locality groups (reload the table's schema on this server first)`;
  }
  return undefined;
}

/** The fragment's age key: this engine's fragment number (on any of its disks), −1 for a file from elsewhere (oldest). */
function ageKey(f: DiskFragment, isOwn: (name: string) => boolean): number {
  if (!isOwn(f.name)) return -1;
  const m = /(\d+)\.frag$/.exec(f.name);
  return m ? Number(m[1]) : -1;
}

/**
 * Stable merge of two lists by age key, each list's own order kept (a
 * list that is not ascending by key is still taken in order). `newestFirst`
 * for legacy lists.
 */
export function mergeByAge(a: readonly DiskFragment[], b: readonly DiskFragment[], isOwn: (name: string) => boolean, newestFirst = false): DiskFragment[] {
  const out: DiskFragment[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ka = ageKey(a[i]!, isOwn);
    const kb = ageKey(b[j]!, isOwn);
    const takeA = newestFirst ? ka >= kb : ka <= kb;
    out.push(takeA ? a[i++]! : b[j++]!);
  }
  return [...out, ...a.slice(i), ...b.slice(j)];
}

/**
 * Replaces `low` and `high` by one tablet `mergedId` covering both, in one
 * synchronous step (see the contract above). Throws 'invalid-argument'
 * and changes nothing when they cannot be merged.
 */
export function mergeInRegistry(registry: TabletRegistry, low: Tablet, high: Tablet, mergedId: string, isOwn: (name: string) => boolean): Tablet {
  const problem = mergeProblem(low, high);
  if (problem !== undefined) throw invalidArgument(problem, { reason: 'not-mergeable' });
  const outside = [low, high].filter((t) => fragmentsOutside(t).length > 0);
  if (outside.length > 0) {
    const which = outside.map((t) => `${t.def.id} (${fragmentsOutside(t).length} fragment(s))`).join(', ');
    throw invalidArgument(
      `tablet(s) ${which} list fragments holding rows outside their range (shared since a split); compact them fully first (prepareMerge does) so erased cells cannot reappear over the merged range`,
      { reason: 'fragments-outside-range', tablets: outside.map((t) => t.def.id) },
    );
  }
  registry.remove(low);
  registry.remove(high);
  let merged: Tablet;
  try {
    const { purge: _p, inMemory: _m, ...base } = high.def;
    merged = registry.add({ ...base, id: mergedId, lowerExclusive: low.def.lowerExclusive, upperInclusive: high.def.upperInclusive, groups: high.routing.groups }, () =>
      Math.max(low.floorTxn, high.floorTxn),
    );
  } catch (e) {
    registry.insert(low);
    registry.insert(high);
    throw e;
  }
  merged.homeDisk = low.homeDisk;
  // The references move from the two tablets to the merged one (no ref/unref).
  merged.chains = low.chains.map((c, i): GroupChain => ({ fragments: mergeByAge(c.fragments, high.chains[i]!.fragments, isOwn), compacting: false }));
  merged.legacy = mergeByAge(low.legacy, high.legacy, isOwn, true);
  for (const t of [low, high]) {
    t.chains = t.chains.map(() => ({ fragments: [], compacting: false }));
    t.legacy = [];
    t.successors = [merged];
  }
  return merged;
}
