// Evaluation of a Predicate over cells (DESIGN §3), as pure functions over
// data: the reference semantics that the storage engine's scans must agree
// with, and what the SDK and tests use to filter cells in memory.
//
// A cell matches when its row, column and timestamp each lie in their sets
// (a missing set admits everything; an empty list admits nothing). Erasures
// hide exactly their own key and are never returned. `history = K > 0` keeps
// the newest K cells of each (row, column) among those that survived erasure
// and the time filter; `K < 0` drops the newest |K| of them and keeps the rest.

import { compareBytes, compareCellKeys, compareNumbers, normalizedSetContains, normalizeIntervals, type Cell, type CellKey, type Interval } from '@kdi/primitives';
import type { Predicate } from './predicate.js';

/** A predicate prepared for repeated matching: sets normalized, membership O(log n). */
export class CompiledPredicate {
  /** Normalized row intervals (sorted, disjoint); undefined admits every row. */
  readonly rows: readonly Interval<Uint8Array>[] | undefined;
  /** Normalized column intervals; undefined admits every column. */
  readonly columns: readonly Interval<Uint8Array>[] | undefined;
  /** Normalized time intervals in ascending time order; undefined admits every time. */
  readonly times: readonly Interval<number>[] | undefined;
  /** As in Predicate: non-zero, or undefined for "every version". */
  readonly history: number | undefined;

  constructor(predicate: Predicate) {
    const { history } = predicate;
    if (history !== undefined && (!Number.isSafeInteger(history) || history === 0)) {
      throw new RangeError(`compilePredicate: history must be a non-zero safe integer, got ${history}`);
    }
    this.rows = predicate.rows && normalizeIntervals(predicate.rows);
    this.columns = predicate.columns && normalizeIntervals(predicate.columns);
    this.times = predicate.times && normalizeIntervals(predicate.times, compareNumbers);
    this.history = history;
  }

  matchesRow(row: Uint8Array): boolean {
    return this.rows === undefined || normalizedSetContains(this.rows, row, compareBytes);
  }

  matchesColumn(column: Uint8Array): boolean {
    return this.columns === undefined || normalizedSetContains(this.columns, column, compareBytes);
  }

  matchesTime(timestamp: number): boolean {
    return this.times === undefined || normalizedSetContains(this.times, timestamp, compareNumbers);
  }

  /** Row, column and time all match; says nothing about history or erasure. */
  matchesKey(cell: CellKey): boolean {
    return this.matchesRow(cell.row) && this.matchesColumn(cell.column) && this.matchesTime(cell.timestamp);
  }
}

export function compilePredicate(predicate: Predicate): CompiledPredicate {
  return new CompiledPredicate(predicate);
}

/**
 * Applies `predicate` to `cells` and returns the visible matching cells in
 * the same order.
 *
 * `cells` must be in key order (see compareCellKeys) and may hold erasures
 * (value null) and several entries for one key, as a merge of fragments
 * yields them: entries for one key must be adjacent, newest fragment first,
 * and the first one wins — a later duplicate is ignored whether it is a
 * value or an erasure. Throws RangeError if a cell is out of order.
 */
export function filterCells(cells: Iterable<Cell>, predicate: Predicate | CompiledPredicate): Cell[] {
  const compiled = predicate instanceof CompiledPredicate ? predicate : compilePredicate(predicate);
  const history = compiled.history;
  const out: Cell[] = [];
  let previous: Cell | undefined;
  let index = 0;
  // The (row, column) whose versions are being counted for history, and how
  // many of its versions have passed erasure and the filters so far.
  let group: Cell | undefined;
  let versions = 0;

  for (const cell of cells) {
    const at = index++;
    if (previous !== undefined) {
      const order = compareCellKeys(previous, cell);
      if (order > 0) {
        throw new RangeError(`filterCells: cell ${at} is out of key order (row asc, column asc, timestamp desc)`);
      }
      if (order === 0) continue;
    }
    previous = cell;
    if (cell.value === null || !compiled.matchesKey(cell)) continue;

    const sameGroup = group !== undefined && compareBytes(group.row, cell.row) === 0 && compareBytes(group.column, cell.column) === 0;
    if (!sameGroup) {
      group = cell;
      versions = 0;
    }
    versions++;
    if (history === undefined || (history > 0 ? versions <= history : versions > -history)) out.push(cell);
  }
  return out;
}
