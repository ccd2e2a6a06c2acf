// The SDK's cache of tablet locations (DESIGN §12): per table, tablet row
// ranges (lowerExclusive, upperInclusive] → the server META names, bounded
// to maxEntries with least-recently-used eviction. Pure and synchronous.
//
// Promises:
//  - find(table, row) returns only a cached range that contains row;
//  - insert() replaces every cached range of the table that overlaps the
//    new one (a split or merge learned from META supersedes the old view);
//  - after forget(table, row) no cached range contains row; after
//    forgetServer(url) no cached range names url.

import { compareBytes, type TabletLocation } from '@kdi/protocol';

export interface TabletRange {
  readonly table: string;
  /** undefined: the table's first tablet. */
  readonly lowerExclusive: Uint8Array | undefined;
  /** undefined: the table's last tablet. */
  readonly upperInclusive: Uint8Array | undefined;
  readonly location: TabletLocation;
}

export function rangeContains(r: Pick<TabletRange, 'lowerExclusive' | 'upperInclusive'>, row: Uint8Array): boolean {
  return (r.lowerExclusive === undefined || compareBytes(row, r.lowerExclusive) > 0) && (r.upperInclusive === undefined || compareBytes(row, r.upperInclusive) <= 0);
}

/** Upper bounds in order, undefined (no bound) last. */
function compareUpper(a: Uint8Array | undefined, b: Uint8Array | undefined): number {
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  return compareBytes(a, b);
}

function overlaps(a: TabletRange, b: TabletRange): boolean {
  const aBelowB = a.upperInclusive !== undefined && b.lowerExclusive !== undefined && compareBytes(a.upperInclusive, b.lowerExclusive) <= 0;
  const bBelowA = b.upperInclusive !== undefined && a.lowerExclusive !== undefined && compareBytes(b.upperInclusive, a.lowerExclusive) <= 0;
  return !aBelowB && !bBelowA;
}

export class LocationCache {
  /** Per table, ranges sorted by upper bound (disjoint). */
  readonly #tables = new Map<string, TabletRange[]>();
  /** Every cached range, least recently used first. */
  readonly #lru = new Set<TabletRange>();

  constructor(readonly maxEntries = 10_000) {
    if (!(maxEntries >= 1)) throw new RangeError(`maxEntries must be at least 1, got ${maxEntries}`);
  }

  get size(): number {
    return this.#lru.size;
  }

  find(table: string, row: Uint8Array): TabletRange | undefined {
    const list = this.#tables.get(table);
    if (list === undefined) return undefined;
    const i = this.#firstUpperAtLeast(list, row);
    const r = list[i];
    if (r === undefined || !rangeContains(r, row)) return undefined;
    this.#lru.delete(r);
    this.#lru.add(r);
    return r;
  }

  insert(range: TabletRange): void {
    let list = this.#tables.get(range.table);
    if (list === undefined) this.#tables.set(range.table, (list = []));
    for (let i = list.length - 1; i >= 0; i--) {
      if (overlaps(list[i]!, range)) this.#lru.delete(list.splice(i, 1)[0]!);
    }
    let at = 0;
    while (at < list.length && compareUpper(list[at]!.upperInclusive, range.upperInclusive) < 0) at++;
    list.splice(at, 0, range);
    this.#lru.add(range);
    while (this.#lru.size > this.maxEntries) this.#remove(this.#lru.values().next().value!);
  }

  forget(table: string, row: Uint8Array): void {
    const list = this.#tables.get(table);
    if (list === undefined) return;
    const r = list[this.#firstUpperAtLeast(list, row)];
    if (r !== undefined && rangeContains(r, row)) this.#remove(r);
  }

  forgetServer(url: string): void {
    for (const r of [...this.#lru]) if (r.location.url === url) this.#remove(r);
  }

  forgetTable(table: string): void {
    for (const r of this.#tables.get(table) ?? []) this.#lru.delete(r);
    this.#tables.delete(table);
  }

  #remove(r: TabletRange): void {
    this.#lru.delete(r);
    const list = this.#tables.get(r.table);
    if (list === undefined) return;
    const i = list.indexOf(r);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#tables.delete(r.table);
  }

  /** Index of the first range whose upper bound is ≥ row (list.length when none). */
  #firstUpperAtLeast(list: readonly TabletRange[], row: Uint8Array): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const up = list[mid]!.upperInclusive;
      if (up !== undefined && compareBytes(up, row) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
