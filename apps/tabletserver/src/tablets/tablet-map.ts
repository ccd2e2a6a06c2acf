// The tablets this server holds, per table, as a range map (DESIGN §4–§5):
// each table's tablets are kept sorted by upper bound (an open upper bound
// last) and never overlap, so the tablet of a row is found by binary
// search. Every change is one synchronous step, so a request sees the map
// either before or after a load, split or unload — never half of one.
//
// States:
//   loading    registered, not yet ready: requests for its rows are refused
//              (WRONG_TABLET) until it serves;
//   serving    reads and writes;
//   unloading  writes refused, reads still answered until it is removed.

import { KdiError } from '@kdi/protocol';
import { compareRows, compareUpper, rangeContains, rangeContainsRowsAfter, rangesOverlap, type RowRange } from './row-range.js';

export type TabletState = 'loading' | 'serving' | 'unloading';

export interface TabletEntry extends RowRange {
  readonly id: string;
  readonly table: string;
  state: TabletState;
  /** The assignment epoch in META's `location:` (tablets loaded from META; absent for tablets loaded with their bounds). */
  readonly epoch?: number | undefined;
  /** In a cluster: the first segment of this server's log the tablet's `log:` names (the start of its tenure here). */
  readonly logFrom?: number | undefined;
  /** Being moved to another server (migration/): its config says `state: migrating`, which the target's commit requires. */
  migrating?: boolean | undefined;
}

export class TabletMap {
  /** Per table, sorted by upper bound. */
  private readonly tables = new Map<string, TabletEntry[]>();
  private readonly byId = new Map<string, TabletEntry>();

  get(id: string): TabletEntry | undefined {
    return this.byId.get(id);
  }

  /** The tablets of `table`, in row order (a copy). */
  tabletsOf(table: string): TabletEntry[] {
    return [...(this.tables.get(table) ?? [])];
  }

  hasTable(table: string): boolean {
    return this.tables.has(table);
  }

  tableNames(): string[] {
    return [...this.tables.keys()].sort();
  }

  all(): TabletEntry[] {
    return this.tableNames().flatMap((t) => this.tabletsOf(t));
  }

  get size(): number {
    return this.byId.size;
  }

  /** Registers a tablet; ALREADY_EXISTS for a known id, FAILED_PRECONDITION for an overlap. */
  add(entry: TabletEntry): void {
    checkBounds(entry);
    if (this.byId.has(entry.id)) throw new KdiError('ALREADY_EXISTS', `tablet ${entry.id} is already on this server`, { details: { tabletId: entry.id } });
    const list = this.tables.get(entry.table) ?? [];
    const other = list.find((t) => rangesOverlap(t, entry));
    if (other !== undefined) {
      throw new KdiError('FAILED_PRECONDITION', `tablet ${entry.id} overlaps tablet ${other.id} of table ${entry.table} on this server`, {
        details: { tabletId: entry.id, overlaps: other.id, table: entry.table },
      });
    }
    this.insertSorted(list, entry);
    this.tables.set(entry.table, list);
    this.byId.set(entry.id, entry);
  }

  remove(id: string): TabletEntry | undefined {
    const entry = this.byId.get(id);
    if (entry === undefined) return undefined;
    this.byId.delete(id);
    const list = (this.tables.get(entry.table) ?? []).filter((t) => t !== entry);
    if (list.length === 0) this.tables.delete(entry.table);
    else this.tables.set(entry.table, list);
    return entry;
  }

  /**
   * Replaces tablet `id` by its two halves (lower, row] and (row, upper],
   * in one step. The caller has checked that `row` lies strictly inside
   * and that the new ids are free. The halves take the parent's state.
   */
  split(id: string, row: Uint8Array, lowId: string, highId: string): { low: TabletEntry; high: TabletEntry } {
    const parent = this.byId.get(id);
    if (parent === undefined) throw new Error(`TabletMap.split: no tablet ${id}`);
    const { epoch, logFrom } = parent;
    const low: TabletEntry = { id: lowId, table: parent.table, lowerExclusive: parent.lowerExclusive, upperInclusive: row, state: parent.state, epoch, logFrom };
    const high: TabletEntry = { id: highId, table: parent.table, lowerExclusive: row, upperInclusive: parent.upperInclusive, state: parent.state, epoch, logFrom };
    this.remove(id);
    const list = this.tables.get(parent.table) ?? [];
    this.insertSorted(list, low);
    this.insertSorted(list, high);
    this.tables.set(parent.table, list);
    this.byId.set(lowId, low);
    this.byId.set(highId, high);
    return { low, high };
  }

  /** The tablet of `table` whose range holds `row`, whatever its state. */
  containing(table: string, row: Uint8Array): TabletEntry | undefined {
    const list = this.tables.get(table);
    if (list === undefined) return undefined;
    const t = list[firstUpperAtLeast(list, row, false)];
    return t !== undefined && rangeContains(t, row) ? t : undefined;
  }

  /** The tablet of `table` holding the rows just above `row` (the successor of `row`), whatever its state. */
  holdingRowsAfter(table: string, row: Uint8Array): TabletEntry | undefined {
    const list = this.tables.get(table);
    if (list === undefined) return undefined;
    const t = list[firstUpperAtLeast(list, row, true)];
    return t !== undefined && rangeContainsRowsAfter(t, row) ? t : undefined;
  }

  private insertSorted(list: TabletEntry[], entry: TabletEntry): void {
    let i = 0;
    while (i < list.length && compareUpper(list[i]!.upperInclusive, entry.upperInclusive) < 0) i++;
    list.splice(i, 0, entry);
  }
}

/** Index of the first tablet whose upper bound is ≥ row (> row when `strict`), or list.length. */
function firstUpperAtLeast(list: readonly TabletEntry[], row: Uint8Array, strict: boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const up = list[mid]!.upperInclusive;
    const below = up !== undefined && (strict ? compareRows(up, row) <= 0 : compareRows(up, row) < 0);
    if (below) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkBounds(range: RowRange & { readonly id: string }): void {
  const { lowerExclusive, upperInclusive } = range;
  if (lowerExclusive !== undefined && upperInclusive !== undefined && compareRows(lowerExclusive, upperInclusive) >= 0) {
    throw new KdiError('INVALID_ARGUMENT', `tablet ${range.id}: lowerExclusive must sort before upperInclusive (the range (lower, upper] would be empty)`, {
      details: { tabletId: range.id },
    });
  }
}
