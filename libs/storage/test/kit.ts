// Shared helpers for the engine-level suites: cell builders, a seeded
// random source, and a reference model of a KDI table.

import { compareCellKeys, type Cell } from '@kdi/primitives';
import { seededRandom } from '@kdi/primitives/test-support';
import type { Engine } from '../src/engine/engine.js';

export const b = (s: string): Buffer => Buffer.from(s, 'utf8');
export const str = (u: Uint8Array | null): string | null => (u === null ? null : Buffer.from(u).toString('utf8'));

export function cell(row: string, column: string, timestamp: number, value: string | null = 'v'): Cell {
  return { row: b(row), column: b(column), timestamp, value: value === null ? null : b(value) };
}
export const erase = (row: string, column: string, timestamp: number): Cell => cell(row, column, timestamp, null);

/** Cells as compact "row column@ts=value" strings, for readable assertions. */
export function show(cells: readonly Cell[]): string[] {
  return cells.map((c) => `${str(c.row)} ${str(c.column)}@${c.timestamp}=${str(c.value)}`);
}

/** A small seeded PRNG so failures reproduce. */
export const rng = seededRandom;

export const keyOf = (c: Pick<Cell, 'row' | 'column' | 'timestamp'>) => `${Buffer.from(c.row).toString('hex')}|${Buffer.from(c.column).toString('hex')}|${c.timestamp}`;

/**
 * The reference model: a map from key to value, where an erasure removes
 * the key (DESIGN §2: it hides exactly that key; a later set brings it back).
 */
export class TableModel {
  readonly cells = new Map<string, Cell>();
  apply(batch: readonly Cell[]): void {
    for (const c of batch) {
      if (c.value === null) this.cells.delete(keyOf(c));
      else this.cells.set(keyOf(c), c);
    }
  }
  sorted(): Cell[] {
    return [...this.cells.values()].sort(compareCellKeys);
  }
}

/** Every cell of a tablet, page by page (resuming after each page's last key), as show() lines. */
export async function scanShown(engine: Engine, id: string, pageCells = 37): Promise<string[]> {
  const out: Cell[] = [];
  let after: Cell | undefined;
  for (;;) {
    const page = await engine.scan(id, {}, { maxCells: pageCells, after });
    out.push(...page.cells);
    if (page.end) return show(out);
    after = page.cells[page.cells.length - 1] ?? after;
  }
}
