// META read whole, as the master needs it (DESIGN §7, §9): every table
// row ("<table>": schema:* and state:) and every tablet config, grouped by
// table in row order. META is the truth: splits the servers write show up
// in the next read. A table's row and its tablet rows are contiguous in
// META, so one scan groups them.

import { decodeSchemaColumns, parseMetaRow, parseTabletConfig, type MetaCell, type SchemaProblem, type TableSchema, type TabletConfig } from '@kdi/protocol';
import type { MetaRows } from '@kdi/client-sdk';

export type TableState = 'active' | 'deleting';

export interface TableRow {
  readonly name: string;
  readonly state: TableState;
  /** Undefined: no schema columns (every family accepted). */
  readonly schema: TableSchema | undefined;
  /** Set when the schema columns do not decode. */
  readonly schemaProblems: readonly SchemaProblem[] | undefined;
  /** Every live column of the row (to erase it). */
  readonly columns: readonly string[];
}

export interface CatalogTable {
  readonly name: string;
  /** Undefined when only tablet rows exist (a create or drop cut short). */
  readonly row: TableRow | undefined;
  readonly tablets: readonly TabletConfig[];
}

export interface Catalog {
  readonly tables: ReadonlyMap<string, CatalogTable>;
  /** The txn the read saw. */
  readonly txn: number;
  /** The largest assignment epoch in any tablet row. */
  readonly maxEpoch: number;
}

/** The newest live value of each column of one row's cells (erased columns left out). */
export function liveColumns(cells: readonly MetaCell[]): Map<string, Buffer> {
  const seen = new Set<string>();
  const out = new Map<string, Buffer>();
  for (const c of cells) {
    const column = Buffer.from(c.column).toString('utf8');
    if (seen.has(column)) continue;
    seen.add(column);
    if (c.value !== null) out.set(column, Buffer.from(c.value));
  }
  return out;
}

/** A table row from its cells; undefined when the row holds nothing. */
export function parseTableRow(name: string, cells: readonly MetaCell[]): TableRow | undefined {
  const columns = liveColumns(cells);
  if (columns.size === 0) return undefined;
  const state = columns.get('state:')?.toString('utf8') === 'deleting' ? 'deleting' : 'active';
  const schemaColumns = [...columns].filter(([c]) => c.startsWith('schema:')).map(([column, value]) => ({ column, value: value.toString('utf8') }));
  let schema: TableSchema | undefined;
  let schemaProblems: SchemaProblem[] | undefined;
  if (schemaColumns.length > 0) {
    const decoded = decodeSchemaColumns(schemaColumns);
    if (decoded.ok) schema = decoded.schema;
    else schemaProblems = decoded.problems;
  }
  return { name, state, schema, schemaProblems, columns: [...columns.keys()] };
}

/** Groups scanned META cells (rows in order, newest version first) into tables. */
export function buildCatalog(cells: readonly MetaCell[], txn: number): Catalog {
  const tables = new Map<string, { name: string; row: TableRow | undefined; tablets: TabletConfig[] }>();
  let maxEpoch = 0;
  const tableOf = (name: string) => {
    let t = tables.get(name);
    if (t === undefined) tables.set(name, (t = { name, row: undefined, tablets: [] }));
    return t;
  };
  let i = 0;
  while (i < cells.length) {
    const row = cells[i]!.row;
    let j = i;
    while (j < cells.length && Buffer.compare(cells[j]!.row, row) === 0) j++;
    const rowCells = cells.slice(i, j);
    i = j;
    const parsed = parseMetaRow(row);
    if (parsed === undefined || !rowCells.some((c) => c.value !== null)) continue;
    if (parsed.kind === 'table') {
      const r = parseTableRow(parsed.table, rowCells);
      if (r !== undefined) tableOf(parsed.table).row = r;
    } else {
      const config = parseTabletConfig(row, rowCells);
      if (liveColumns(rowCells).size === 0) continue;
      tableOf(parsed.table).tablets.push(config);
      if (config.location !== undefined) maxEpoch = Math.max(maxEpoch, config.location.epoch);
    }
  }
  return { tables, txn, maxEpoch };
}

/** The smallest byte a table name (so a META row) starts with: '-' (names are [A-Za-z0-9._-]). */
const FIRST_ROW = Buffer.from('-');

/** Reads all of META. */
export async function readCatalog(rows: MetaRows): Promise<Catalog> {
  const { cells, txn } = await rows.scan({ lower: { value: FIRST_ROW, inclusive: true } });
  return buildCatalog(cells, txn);
}
