// Merging two adjacent tablets served here into one (DESIGN §9: the
// master merges adjacent small tablets; it first moves them onto one
// server, then calls POST /v1/admin/tablets/{id}/merge here).
//
// Promises:
//  - refused with a 4xx naming what to fix, before anything changes: a
//    tablet not on this server (NOT_FOUND), merging a tablet with itself or
//    with one of another table (INVALID_ARGUMENT), the META tablet, a tablet
//    that is not serving, tablets that are not adjacent (FAILED_PRECONDITION),
//    a merged id already in use (ALREADY_EXISTS);
//  - the engine first compacts either tablet that still lists fragments
//    reaching outside its range (shared since a split; storage
//    engine/tablet-merge.ts says why), so erased cells never reappear;
//  - in a cluster the merge is written to META first, as one row
//    transaction conditioned on both rows naming this server with their
//    epochs: the lower tablet's row is erased, the upper one's (same key:
//    the merged tablet ends where it did) widened to the union range with
//    the union of both tablets' fragment lists and this server's log from
//    the earlier of the two tenures. That describes the data correctly
//    whether or not the engine has merged yet: every fragment lies inside
//    its own tablet's rows, so the union is the data of the union range.
//    A write whose answer was lost is checked against META;
//  - the engine and the tablet map change in the same synchronous step,
//    so no request sees one without the other; the merged tablet keeps
//    the upper tablet's assignment epoch.
// If the engine refuses after META holds the merge (it cannot, short of a
// bug: nothing adds a fragment reaching outside a tablet's range), both
// tablets are compacted and the merge tried once more; failing that, both
// are abandoned here (fenced) and the master reloads the merged row, whose
// data META names.

import { KdiError } from '@kdi/protocol';
import type { Engine, FragmentLists } from '@kdi/storage';
import { checkName, randomTabletId } from './names.js';
import { sameBound } from './row-range.js';
import { fromStorageError } from './storage-errors.js';
import type { TabletEntry, TabletMap } from './tablet-map.js';
import { assignedTablet, META_TABLE, type AssignedTablet, type TabletMeta } from './tablet-meta.js';
import type { MergeResult, ServerLogger, TabletChange, TabletView } from './tablet-types.js';

/** What a merge needs from the tablet lifecycle. */
export interface MergeContext {
  readonly engine: Engine;
  readonly map: TabletMap;
  readonly meta: TabletMeta | undefined;
  readonly log: ServerLogger;
  readonly newTabletId: (() => string) | undefined;
  checkOpen(): void;
  requireTablet(id: string): TabletEntry;
  view(entry: TabletEntry): TabletView;
  changed(change: TabletChange): void;
  abandon(id: string, reason: string): void;
}

/** Merges serving tablet `id` with the adjacent tablet `withId` (either side) into `mergedId` (default: a new id). */
export async function mergeTablets(ctx: MergeContext, id: string, withId: string, mergedIdArg: string | undefined): Promise<MergeResult> {
  ctx.checkOpen();
  const [low, high] = mergeable(ctx, id, withId);
  const mergedId = mergedIdArg ?? (ctx.newTabletId ?? randomTabletId)();
  checkName('mergedTabletId', mergedId);
  if (ctx.map.get(mergedId) !== undefined || ctx.engine.tabletIds().includes(mergedId)) {
    throw new KdiError('ALREADY_EXISTS', `mergedTabletId: tablet ${mergedId} already exists on this server`, { details: { field: 'mergedTabletId', tabletId: mergedId } });
  }
  const { meta } = ctx;
  const lowAssigned = assignedTablet(low);
  const highAssigned = assignedTablet(high);
  if (meta === undefined || lowAssigned === undefined || highAssigned === undefined) {
    if (meta !== undefined && (lowAssigned === undefined) !== (highAssigned === undefined)) {
      throw new KdiError('FAILED_PRECONDITION', `only one of tablets ${low.id} and ${high.id} was loaded from META; load both from META (or both with bounds) to merge them`, {
        details: { tabletId: id, with: withId },
      });
    }
    await prepare(ctx, low, high);
    return mergeNow(ctx, low, high, mergedId);
  }
  return meta.run(async () => {
    ctx.checkOpen();
    // Another change (an unload, a split) may have gone first in the queue.
    mergeable(ctx, id, withId, [low, high]);
    await prepare(ctx, low, high);
    const lists = unionLists(await ctx.engine.beginPublish(low.id), await ctx.engine.beginPublish(high.id));
    const merged: AssignedTablet = {
      table: high.table,
      lowerExclusive: low.lowerExclusive,
      upperInclusive: high.upperInclusive,
      epoch: highAssigned.epoch,
      logFrom: Math.min(lowAssigned.logFrom, highAssigned.logFrom),
    };
    try {
      await meta.writeMerge(lowAssigned, highAssigned, merged, lists);
    } catch (e) {
      // The write may have committed with its answer lost: then the engine must follow META.
      const committed = await meta.mergeCommitted(merged).catch(() => false);
      if (!committed) throw fromStorageError(e);
      ctx.log.warn({ err: e, low: low.id, high: high.id }, 'merge reached META although its write failed; merging to match');
    }
    let result: MergeResult;
    try {
      result = await mergeNow(ctx, low, high, mergedId);
    } catch (e) {
      if (ctx.engine.tabletIds().includes(mergedId)) throw e; // merged; only saving the manifest failed
      result = await retryAfterCommit(ctx, low, high, mergedId, e);
    }
    await ctx.engine.endPublish(mergedId, lists);
    return result;
  });
}

/** [low, high] for two serving, adjacent tablets of one table here, or the 4xx that says why not. */
function mergeable(ctx: MergeContext, id: string, withId: string, expected?: readonly [TabletEntry, TabletEntry]): [TabletEntry, TabletEntry] {
  if (id === withId) throw new KdiError('INVALID_ARGUMENT', `with must name another tablet than ${id}`, { details: { field: 'with', tabletId: id } });
  const notMeta = (e: TabletEntry) => {
    if (e.table === META_TABLE) throw new KdiError('FAILED_PRECONDITION', `${META_TABLE} is one tablet and is never merged`, { details: { tabletId: e.id } });
    return e;
  };
  const a = notMeta(ctx.requireTablet(id));
  const b = notMeta(ctx.requireTablet(withId));
  if (a.table !== b.table) {
    throw new KdiError('INVALID_ARGUMENT', `tablets ${id} (table ${a.table}) and ${withId} (table ${b.table}) belong to different tables; only tablets of one table merge`, {
      details: { field: 'with', tabletId: id, with: withId },
    });
  }
  for (const e of [a, b]) {
    if (e.state !== 'serving') {
      throw new KdiError('FAILED_PRECONDITION', `cannot merge tablet ${e.id}: it is ${e.state}, not serving`, { details: { tabletId: e.id, state: e.state } });
    }
  }
  const meets = (lo: TabletEntry, hi: TabletEntry) => lo.upperInclusive !== undefined && hi.lowerExclusive !== undefined && sameBound(lo.upperInclusive, hi.lowerExclusive);
  const order: [TabletEntry, TabletEntry] | undefined = meets(a, b) ? [a, b] : meets(b, a) ? [b, a] : undefined;
  if (order === undefined) {
    throw new KdiError(
      'FAILED_PRECONDITION',
      `tablets ${id} and ${withId} of table ${a.table} are not adjacent: one must end exactly where the other begins (move or merge the tablets between them first)`,
      { details: { tabletId: id, with: withId } },
    );
  }
  if (expected !== undefined && (order[0] !== expected[0] || order[1] !== expected[1])) {
    throw new KdiError('FAILED_PRECONDITION', `tablets ${id} and ${withId} changed while the merge waited its turn; ask again`, { details: { tabletId: id, with: withId } });
  }
  return order;
}

/** Compacts whichever of the two still lists fragments reaching outside its range (engine prepareMerge). */
async function prepare(ctx: MergeContext, low: TabletEntry, high: TabletEntry): Promise<void> {
  try {
    await ctx.engine.prepareMerge(low.id, high.id);
  } catch (e) {
    throw fromStorageError(e, { tabletId: low.id, with: high.id });
  }
  if (ctx.map.get(low.id) !== low || ctx.map.get(high.id) !== high || low.state !== 'serving' || high.state !== 'serving') {
    throw new KdiError('FAILED_PRECONDITION', `tablets ${low.id} and ${high.id} changed while they were compacted for the merge; ask again`, {
      details: { tabletId: low.id, with: high.id },
    });
  }
}

/** Per group (and legacy), low's references then high's: their rows are disjoint, so any order describes the data. */
export function unionLists(low: FragmentLists, high: FragmentLists): FragmentLists {
  const out: FragmentLists = {};
  for (const key of new Set([...Object.keys(low), ...Object.keys(high)])) out[key] = [...(low[key] ?? []), ...(high[key] ?? [])];
  return out;
}

async function mergeNow(ctx: MergeContext, low: TabletEntry, high: TabletEntry, mergedId: string): Promise<MergeResult> {
  const { engine, map } = ctx;
  // The engine swaps its tablets synchronously before its first await (or
  // refuses); the map changes in the same step.
  const done = engine.mergeTablets(low.id, high.id, mergedId);
  let entry: TabletEntry | undefined;
  if (engine.tabletIds().includes(mergedId)) {
    const logFroms = [low.logFrom, high.logFrom].filter((x) => x !== undefined);
    entry = {
      id: mergedId,
      table: high.table,
      lowerExclusive: low.lowerExclusive,
      upperInclusive: high.upperInclusive,
      state: 'serving',
      epoch: high.epoch,
      logFrom: logFroms.length > 0 ? Math.min(...logFroms) : undefined,
    };
    map.remove(low.id);
    map.remove(high.id);
    map.add(entry);
  }
  try {
    await done;
  } catch (e) {
    throw fromStorageError(e, { tabletId: low.id, with: high.id });
  }
  if (entry === undefined) throw new Error(`the engine merged tablets ${low.id} and ${high.id} after an await`); // cannot happen: the swap is synchronous
  ctx.log.info({ low: low.id, high: high.id, merged: mergedId, table: high.table }, 'tablets merged');
  ctx.changed({ kind: 'merge', low: low.id, high: high.id, merged: mergedId });
  return { low: low.id, high: high.id, merged: ctx.view(entry) };
}

/** META holds the merge but the engine refused it: compact and try once more, else stop serving both (META's merged row is what the master reloads). */
async function retryAfterCommit(ctx: MergeContext, low: TabletEntry, high: TabletEntry, mergedId: string, first: unknown): Promise<MergeResult> {
  try {
    await ctx.engine.prepareMerge(low.id, high.id);
    return await mergeNow(ctx, low, high, mergedId);
  } catch (e) {
    const reason = `META holds the merge into ${mergedId}, but the storage engine refused it: ${(e as Error).message}`;
    ctx.log.error({ err: e, first, low: low.id, high: high.id }, 'merge written to META but refused by the engine: tablets abandoned');
    ctx.abandon(low.id, reason);
    ctx.abandon(high.id, reason);
    throw new KdiError('UNAVAILABLE', `${reason}; both tablets stopped serving here until the master assigns the merged tablet again`, {
      details: { tabletId: low.id, with: high.id },
      retryAfterMs: 2000,
      cause: e,
    });
  }
}
