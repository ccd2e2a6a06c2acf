// A tablet as the engine holds it: its row range, its locality groups
// (compiled), one fragment chain per group, and the legacy fragments a
// schema change retired.
//
// Invariants (they make merging chains by simple priority correct):
//  - a group's chain holds only cells of families that route to that
//    group under the tablet's current groups, so chains never share a
//    visible key and a scan may read them in any order;
//  - for any family, legacy cells are older than chain cells: legacy is
//    only ever fed from chains at a schema change, and repartitioned
//    legacy data re-enters chains at their oldest end;
//  - legacy is kept in scan priority order (newest first): chains retired
//    by a later change come before those retired earlier.

import type { MemoryFragment } from '../memory/memory-fragment.js';
import type { RowRange } from '../merge/row-range.js';
import type { PurgePolicy } from '../purge/purge-policy.js';
import { GroupRouting } from '../schema/group-routing.js';
import type { LocalityGroupSpec } from '../schema/locality-group.js';
import { planSchemaChange } from '../schema/schema-change.js';
import type { DiskFragment } from './disk-fragment.js';
import type { ManifestTablet } from './manifest.js';
import type { InflightBatch } from './row-txns.js';
import type { WriteFreezeState } from './write-freeze.js';
import type { ReadGateState } from './read-gate.js';
import type { WriteTapSink } from './tablet-write-tap.js';

export interface TabletDefinition {
  readonly id: string;
  readonly table: string;
  /** Rows (lowerExclusive, upperInclusive]; undefined = open on that side. */
  readonly lowerExclusive?: Uint8Array | undefined;
  readonly upperInclusive?: Uint8Array | undefined;
  /**
   * The tablet's locality groups (DESIGN §6). Default: one wildcard group
   * 'default' with the engine's codec and block size and the `purge` and
   * `inMemory` below.
   */
  readonly groups?: readonly LocalityGroupSpec[] | undefined;
  /** Without `groups`: the default group's purge policy. */
  readonly purge?: PurgePolicy | undefined;
  /** Without `groups`: keep the default group's blocks in the cache at in-memory priority. */
  readonly inMemory?: boolean | undefined;
}

export interface GroupChain {
  /** Oldest first. */
  fragments: DiskFragment[];
  compacting: boolean;
}

export interface Tablet {
  readonly def: TabletDefinition;
  readonly range: RowRange;
  routing: GroupRouting;
  /** One per group, in routing.groups order. */
  chains: GroupChain[];
  /** Fragments of retired chains, newest (highest scan priority) first. */
  legacy: DiskFragment[];
  repartitioning: boolean;
  /** Last txn of every row of this tablet with nothing in memory (row-txns.ts). */
  floorTxn: number;
  /** Set when a split replaced this tablet: work finished for it goes to these. */
  successors: Tablet[] | undefined;
  /** Set by unloadTablet: applies to its rows are refused from then on. */
  unloading: boolean;
  /** Set by freezeWrites (write-freeze.ts): applies to its rows wait until it ends. */
  writeFreeze: WriteFreezeState | undefined;
  /** Set by gateReads (read-gate.ts): scanners of it wait to open until it ends. */
  readGate: ReadGateState | undefined;
  /** A migration's staged adopt (tablet-migration.ts): not compacted until released. */
  holdCompaction: boolean;
  /**
   * A migration's staged adopt whose config no META write has named yet
   * (cleared by beginPublish, or releaseAdopted): kept in the manifest as
   * "staged", so that a restart drops the tablet and deletes its files —
   * its commit cannot have happened (tablet-migration.ts).
   */
  staged: boolean;
  /** The disk (index into the engine's disks, disk-set.ts) its new fragments go to while it has room. */
  homeDisk: number;
  /** A disk migration (disk-migration.ts) runs for it: at most one at a time. */
  diskMigrating: boolean;
}

export interface Table {
  readonly name: string;
  active: MemoryFragment;
  /** Being serialized, oldest first. */
  frozen: MemoryFragment[];
  /** Sorted by upper bound; disjoint. */
  tablets: Tablet[];
  /** Batches between their txn and their memory insert (row-txns.ts). */
  readonly inflight: Set<InflightBatch>;
  /** Applies past their checks, not yet in memory: an unload waits for them. */
  readonly applying: Set<Promise<unknown>>;
  /** Migrations' taps on a tablet's writes (tablet-write-tap.ts): fed every batch put into memory. */
  readonly taps: Set<WriteTapSink>;
}

export function newTablet(def: TabletDefinition, range: RowRange, groups: readonly LocalityGroupSpec[], floorTxn: number): Tablet {
  return {
    def,
    range,
    routing: new GroupRouting(groups),
    chains: groups.map(() => ({ fragments: [], compacting: false })),
    legacy: [],
    repartitioning: false,
    floorTxn,
    successors: undefined,
    unloading: false,
    writeFreeze: undefined,
    readGate: undefined,
    holdCompaction: false,
    staged: false,
    homeDisk: 0,
    diskMigrating: false,
  };
}

/** Every fragment the tablet lists (chains and legacy). */
export function allFragments(t: Tablet): DiskFragment[] {
  return [...t.chains.flatMap((c) => c.fragments), ...t.legacy];
}

export function listsFragment(t: Tablet, f: DiskFragment): boolean {
  return t.legacy.includes(f) || t.chains.some((c) => c.fragments.includes(f));
}

/**
 * The fragments a scan of `groups` reads, in priority order: each chosen
 * chain newest first (chains are disjoint, so their order does not
 * matter), then every legacy fragment (block family masks skip most of
 * their blocks for a family-restricted scan).
 */
export function scanFragments(t: Tablet, groups: ReadonlySet<number>): DiskFragment[] {
  const out: DiskFragment[] = [];
  t.chains.forEach((c, i) => {
    if (groups.has(i)) for (let j = c.fragments.length - 1; j >= 0; j--) out.push(c.fragments[j]!);
  });
  out.push(...t.legacy);
  return out;
}

/**
 * Switches a tablet to new groups (validated by the caller; no
 * serialization or compaction may be running). Chains whose families all
 * route to one new group join it; the others are retired to legacy, ahead
 * of older legacy. Fragment references move with the fragments.
 */
export function changeTabletSchema(t: Tablet, groups: readonly LocalityGroupSpec[]): void {
  const plan = planSchemaChange(t.routing.groups, groups);
  const chains: GroupChain[] = groups.map(() => ({ fragments: [], compacting: false }));
  const retired: DiskFragment[] = [];
  t.routing.groups.forEach((g, i) => {
    const fragments = t.chains[i]!.fragments;
    const target = plan.carry.get(g.name);
    const at = target === undefined ? -1 : groups.findIndex((n) => n.name === target);
    // Chains joining one group hold disjoint families: concatenating keeps each one's order.
    if (at >= 0) chains[at]!.fragments.push(...fragments);
    else for (let j = fragments.length - 1; j >= 0; j--) retired.push(fragments[j]!);
  });
  t.legacy = [...retired, ...t.legacy];
  t.routing = new GroupRouting(groups);
  t.chains = chains;
}

/** The groups of `tablet` that `mem` holds cells for (one pass; a run of one column is routed once). */
export function groupsWithCells(tablet: Tablet, mem: MemoryFragment): number[] {
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

/** Empties a tablet's chains and legacy list, letting go of its references (the files go only if nothing else holds them). */
export function dropChains(t: Tablet): void {
  const held = allFragments(t);
  for (const c of t.chains) c.fragments = [];
  t.legacy = [];
  for (const f of held) f.unref();
}

/** The tablet as the manifest records it (fragment references as canonical names; `disks` the engine's disks, for the home disk's path). */
export function manifestEntry(t: Tablet, disks: readonly string[]): ManifestTablet {
  return {
    id: t.def.id,
    table: t.def.table,
    lower: t.def.lowerExclusive,
    upper: t.def.upperInclusive,
    groups: t.routing.groups,
    chains: Object.fromEntries(t.routing.groups.map((g, i) => [g.name, t.chains[i]!.fragments.map((f) => f.name)])),
    legacy: t.legacy.map((f) => ({ fragment: f.name, inMemory: f.inMemory })),
    ...(t.staged && { staged: true }),
    disk: disks[t.homeDisk],
  };
}
