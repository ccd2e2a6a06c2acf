// A tablet's locality groups compiled for the hot paths: which group a
// column's family belongs to (apply, serialization), which groups a scan's
// column set can touch (scans read only those chains), and each group's
// family filter for fragment builds. Routing: the group naming the family,
// else the wildcard group, else none.

import type { Interval } from '@kdi/primitives';
import { familyOfColumnRange } from '../scan/family-mask.js';
import { type FamilyFilterSpec, familyKeyOfColumn, familyKeyOfName } from './family-filter.js';
import type { LocalityGroupSpec } from './locality-group.js';

const SEMICOLON = 0x3b; // ':' + 1

export class GroupRouting {
  /** Index of the wildcard group, if any. */
  readonly wildcard: number | undefined;
  private readonly byFamily = new Map<string, number>();

  constructor(readonly groups: readonly LocalityGroupSpec[]) {
    let wildcard: number | undefined;
    groups.forEach((g, i) => {
      if (g.families === '*') wildcard ??= i;
      else for (const f of g.families) if (!this.byFamily.has(familyKeyOfName(f))) this.byFamily.set(familyKeyOfName(f), i);
    });
    this.wildcard = wildcard;
  }

  /** True when every family lands in one group (the default schema): routing is free. */
  get single(): boolean {
    return this.groups.length === 1 && this.wildcard === 0;
  }

  /** The index of the group holding `column`'s family, or undefined when no group does. */
  groupOfColumn(column: Uint8Array): number | undefined {
    if (this.byFamily.size === 0) return this.wildcard;
    return this.byFamily.get(familyKeyOfColumn(column)) ?? this.wildcard;
  }

  /** The group of a family given as text. */
  groupOfFamily(name: string): number | undefined {
    return this.byFamily.get(familyKeyOfName(name)) ?? this.wildcard;
  }

  /** Families some group names explicitly. */
  namedFamilies(): string[] {
    return this.groups.flatMap((g) => (g.families === '*' ? [] : [...g.families]));
  }

  /** What a fragment build for group `i` keeps. */
  familyFilter(i: number): FamilyFilterSpec {
    const g = this.groups[i]!;
    return g.families === '*' ? { exclude: this.namedFamilies() } : { include: [...g.families] };
  }

  /**
   * The groups a scan over `columns` (normalized intervals; undefined = all
   * columns) can find cells in. An interval inside one family touches that
   * family's group only; a wider one touches every named group with a
   * family it overlaps, and the wildcard group.
   */
  groupsForColumns(columns: readonly Interval<Uint8Array>[] | undefined): Set<number> {
    const all = new Set(this.groups.map((_, i) => i));
    if (!columns) return all;
    const out = new Set<number>();
    for (const iv of columns) {
      const family = familyOfColumnRange(iv);
      if (family !== undefined) {
        const g = this.groupOfColumn(family);
        if (g !== undefined) out.add(g);
        continue;
      }
      if (this.wildcard !== undefined) out.add(this.wildcard);
      this.groups.forEach((g, i) => {
        if (g.families !== '*' && !out.has(i) && g.families.some((f) => overlapsFamily(iv, Buffer.from(f, 'utf8')))) out.add(i);
      });
    }
    return out;
  }
}

/** Does the interval meet [F, F;) — a superset of family F's columns (F and F:…)? */
function overlapsFamily(iv: Interval<Uint8Array>, family: Uint8Array): boolean {
  const end = Buffer.concat([family, Buffer.from([SEMICOLON])]);
  if (iv.lower && Buffer.compare(iv.lower.value, end) >= 0) return false;
  if (iv.upper) {
    const c = Buffer.compare(iv.upper.value, family);
    if (c < 0 || (c === 0 && !iv.upper.inclusive)) return false;
  }
  return true;
}
