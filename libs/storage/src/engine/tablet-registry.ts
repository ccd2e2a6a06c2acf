// Which tablets the engine serves: per table, disjoint row ranges sorted by
// upper bound (DESIGN §5 Split: tablets cover (prevLastRow, lastRow]), and
// the lookup from a row to its tablet. A tablet being loaded holds a
// reservation (its id and range) until it is inserted, so no other create,
// load or split can claim them meanwhile. Splits happen here too: they
// only change which tablets exist and share fragment references.

import { familyOf, type Cell } from '@kdi/primitives';
import { invalidArgument, notFound } from '../errors.js';
import type { MemoryFragment } from '../memory/memory-fragment.js';
import { type RowRange, rowInRange } from '../merge/row-range.js';
import { defaultGroups, type LocalityGroupSpec } from '../schema/locality-group.js';
import { checkPathSegment } from './fragment-files.js';
import { checkGroups, copyGroups } from './group-specs.js';
import { dropChains, newTablet, type Table, type Tablet, type TabletDefinition } from './tablet.js';

/** A definition that passed every check: ready to become a tablet. */
export interface PreparedTablet {
  readonly def: TabletDefinition;
  readonly range: RowRange;
  readonly groups: readonly LocalityGroupSpec[];
}

export class TabletRegistry {
  readonly tables = new Map<string, Table>();
  readonly tablets = new Map<string, Tablet>();
  private readonly reserved = new Map<string, { table: string; range: RowRange }>();

  constructor(private readonly newMemory: () => MemoryFragment) {}

  /** Checks a definition against its own rules and the tablets here (and reservations); changes nothing. */
  prepare(def: TabletDefinition): PreparedTablet {
    checkPathSegment('table name', def.table);
    checkPathSegment('tablet id', def.id);
    if (this.tablets.has(def.id) || this.reserved.has(def.id)) throw invalidArgument(`tablet ${def.id} already exists`);
    if (def.groups !== undefined && (def.purge !== undefined || def.inMemory !== undefined)) {
      throw invalidArgument(`tablet ${def.id}: with groups, set purge and inMemory on each group, not on the tablet`);
    }
    const groups = copyGroups(def.groups ?? defaultGroups(def.purge, def.inMemory));
    checkGroups(groups, `tablet ${def.id}`);
    const range: RowRange = { lowerExclusive: def.lowerExclusive, upperInclusive: def.upperInclusive };
    if (range.lowerExclusive && range.upperInclusive && Buffer.compare(range.lowerExclusive, range.upperInclusive) >= 0) {
      throw invalidArgument(`tablet ${def.id}: lower bound must be below the upper bound`);
    }
    for (const other of this.tables.get(def.table)?.tablets ?? []) {
      if (rangesOverlap(range, other.range)) throw invalidArgument(`tablet ${def.id} overlaps tablet ${other.def.id} of table ${def.table}`);
    }
    for (const [id, r] of this.reserved) {
      if (r.table === def.table && rangesOverlap(range, r.range)) throw invalidArgument(`tablet ${def.id} overlaps tablet ${id} of table ${def.table}, which is being loaded`);
    }
    return { def, range, groups };
  }

  /** Checks and inserts a new, empty tablet whose untracked rows take `floorTxn`. */
  add(def: TabletDefinition, floorTxn: () => number): Tablet {
    const p = this.prepare(def);
    const tablet = newTablet(p.def, p.range, p.groups, floorTxn());
    this.insert(tablet);
    return tablet;
  }

  /** Registers a tablet (checked by prepare, or one being restored after a failed change). */
  insert(t: Tablet): void {
    let table = this.tables.get(t.def.table);
    if (!table) {
      table = { name: t.def.table, active: this.newMemory(), frozen: [], tablets: [], inflight: new Set(), applying: new Set(), taps: new Set() };
      this.tables.set(t.def.table, table);
    }
    table.tablets.push(t);
    table.tablets.sort((a, b) => compareUpper(a.range.upperInclusive, b.range.upperInclusive));
    this.tablets.set(t.def.id, t);
  }

  remove(t: Tablet): void {
    const table = this.tables.get(t.def.table)!;
    table.tablets = table.tablets.filter((x) => x !== t);
    this.tablets.delete(t.def.id);
  }

  /**
   * Replaces `t` by (lower, row] as `lowId` and (row, upper] as `highId`,
   * sharing its fragments (each half reads only its rows of them) and its
   * floor; work finishing for `t` goes to the halves (t.successors). On a
   * bad row or id nothing changes.
   */
  split(t: Tablet, row: Uint8Array, lowId: string, highId: string): void {
    const id = t.def.id;
    if (!rowInRange(row, t.range) || (t.range.upperInclusive && Buffer.compare(row, t.range.upperInclusive) === 0)) {
      throw invalidArgument(`split row must lie strictly inside tablet ${id}`);
    }
    this.remove(t);
    const { purge: _p, inMemory: _m, ...base } = t.def;
    const groups = t.routing.groups;
    let low: Tablet;
    try {
      low = this.add({ ...base, id: lowId, upperInclusive: row, groups }, () => t.floorTxn);
    } catch (e) {
      this.insert(t);
      throw e;
    }
    let high: Tablet;
    try {
      high = this.add({ ...base, id: highId, lowerExclusive: row, groups }, () => t.floorTxn);
    } catch (e) {
      this.remove(low);
      this.insert(t);
      throw e;
    }
    for (const half of [low, high]) {
      half.homeDisk = t.homeDisk;
      t.chains.forEach((c, i) => half.chains[i]!.fragments.push(...c.fragments.map((f) => f.ref())));
      half.legacy.push(...t.legacy.map((f) => f.ref()));
    }
    t.successors = [low, high];
    dropChains(t);
  }

  /** Holds a prepared tablet's id and range while it loads. */
  reserve(p: PreparedTablet): void {
    this.reserved.set(p.def.id, { table: p.def.table, range: p.range });
  }

  unreserve(id: string): void {
    this.reserved.delete(id);
  }

  get(id: string): Tablet {
    const t = this.tablets.get(id);
    if (!t) throw notFound(`no tablet ${id}`);
    return t;
  }

  /** Still the registered tablet of its id (not split, dropped or unloaded). */
  isCurrent(t: Tablet): boolean {
    return this.tablets.get(t.def.id) === t;
  }

  /** The tablet of each cell (and the distinct ones); every problem is 'invalid-argument' naming the cell. */
  route(table: Table, cells: readonly Cell[]): { perCell: Tablet[]; distinct: Set<Tablet> } {
    const perCell: Tablet[] = new Array(cells.length);
    const distinct = new Set<Tablet>();
    for (let i = 0; i < cells.length; i++) {
      const t = this.tabletFor(table, cells[i]!.row);
      if (!t) throw invalidArgument(`cells[${i}].row is outside every tablet of table ${table.name} open here`);
      if (t.unloading) {
        throw invalidArgument(`tablet ${t.def.id} of table ${table.name} (holding cells[${i}].row) is unloading; ask the master where it is served now`, {
          cellIndex: i,
          tablet: t.def.id,
          unloading: true,
        });
      }
      if (t.routing.wildcard === undefined && t.routing.groupOfColumn(cells[i]!.column) === undefined) {
        const family = Buffer.from(familyOf(cells[i]!.column)).toString('utf8');
        throw invalidArgument(
          `cells[${i}].column is in family ${JSON.stringify(family)}, which no locality group of table ${table.name} holds, and there is no wildcard group; add the family to a group or write to a family the schema names`,
          { cellIndex: i, family },
        );
      }
      perCell[i] = t;
      distinct.add(t);
    }
    return { perCell, distinct };
  }

  /** The tablet of `table` whose range holds `row`. */
  tabletFor(table: Table, row: Uint8Array): Tablet | undefined {
    const ts = table.tablets;
    let lo = 0;
    let hi = ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const up = ts[mid]!.range.upperInclusive;
      if (up && Buffer.compare(up, row) < 0) lo = mid + 1;
      else hi = mid;
    }
    const t = ts[lo];
    return t && rowInRange(row, t.range) ? t : undefined;
  }
}

function compareUpper(a: Uint8Array | undefined, b: Uint8Array | undefined): number {
  if (!a) return b ? 1 : 0;
  if (!b) return -1;
  return Buffer.compare(a, b);
}

function rangesOverlap(a: RowRange, b: RowRange): boolean {
  // a ends before b starts, or b ends before a starts.
  const aBeforeB = a.upperInclusive && b.lowerExclusive && Buffer.compare(a.upperInclusive, b.lowerExclusive) <= 0;
  const bBeforeA = b.upperInclusive && a.lowerExclusive && Buffer.compare(b.upperInclusive, a.lowerExclusive) <= 0;
  return !aBeforeB && !bBeforeA;
}
