// What a schema change does to a tablet's existing fragment chains
// (DESIGN §6: "fragments are repartitioned lazily by compaction").
//
// A chain is carried over, as it is, to a new group when every family it
// can hold routes to that one group under the new schema: then only its
// settings change, for fragments written from now on (group renamed,
// compression, block size, purge, inMemory edited, groups merged, or
// families added to a group from outside this chain). Any other chain is
// retired: its fragments move to the tablet's legacy list, which keeps
// serving reads until a repartitioning compaction rewrites its cells into
// the groups they now belong to.
//
// A chain holding a family that the new schema routes nowhere (no group
// names it and there is no wildcard) is retired too, so chains only ever
// hold families routed to them (see engine/tablet.ts). Cells of such
// families are hidden from scans at once and dropped when the legacy
// fragments are repartitioned; a schema that names the family again
// before that compaction makes the remaining cells visible again.

import { GroupRouting } from './group-routing.js';
import type { LocalityGroupSpec } from './locality-group.js';

export interface SchemaChangePlan {
  /** Old group name → the new group its chain joins. */
  readonly carry: ReadonlyMap<string, string>;
  /** Old groups whose chains become legacy. */
  readonly retire: readonly string[];
}

export function planSchemaChange(old: readonly LocalityGroupSpec[], next: readonly LocalityGroupSpec[]): SchemaChangePlan {
  const routing = new GroupRouting(next);
  const oldNamed = new Set(old.flatMap((g) => (g.families === '*' ? [] : g.families)));
  const carry = new Map<string, string>();
  const retire: string[] = [];
  for (const g of old) {
    const target = g.families === '*' ? wildcardTarget(routing, oldNamed) : namedTarget(routing, g.families);
    if (target === undefined) retire.push(g.name);
    else carry.set(g.name, next[target]!.name);
  }
  return { carry, retire };
}

/** The one group every family of the list routes to, or undefined. */
function namedTarget(routing: GroupRouting, families: readonly string[]): number | undefined {
  let target: number | undefined;
  for (const f of families) {
    const t = routing.groupOfFamily(f);
    if (t === undefined || (target !== undefined && t !== target)) return undefined;
    target = t;
  }
  return target;
}

/**
 * The old wildcard chain holds any family the old schema did not name. All
 * of them route to the new wildcard group unless the new schema names one
 * of them (in another group, as the wildcard names none).
 */
function wildcardTarget(routing: GroupRouting, oldNamed: ReadonlySet<string>): number | undefined {
  if (routing.wildcard === undefined) return undefined;
  for (const f of routing.namedFamilies()) if (!oldNamed.has(f)) return undefined;
  return routing.wildcard;
}
