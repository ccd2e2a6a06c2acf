// The cells of a table's META row "<table>" (DESIGN §7): its schema as
// schema:<group>:<setting> columns (encodeSchemaColumns) and `state:`
// (active | deleting). Writing a schema erases the schema columns the new
// one does not have. Pure; the writes happen in table-service.ts.

import { encodeSchemaColumns, tableRowKey, type MetaCell, type TableSchema } from '@kdi/protocol';
import type { TableState } from '../meta/catalog.js';

const text = (s: string) => Buffer.from(s, 'utf8');

/** The cells that set the row's schema (undefined: none) over the `previous` live columns. */
export function schemaCells(table: string, schema: TableSchema | undefined, previous: readonly string[]): MetaCell[] {
  const row = tableRowKey(table);
  const next = schema === undefined ? [] : encodeSchemaColumns(schema);
  const keep = new Set(next.map((c) => c.column));
  const cells: MetaCell[] = next.map((c) => ({ row, column: text(c.column), timestamp: 0, value: text(c.value) }));
  for (const column of previous) if (column.startsWith('schema:') && !keep.has(column)) cells.push({ row, column: text(column), timestamp: 0, value: null });
  return cells;
}

export function stateCell(table: string, state: TableState): MetaCell {
  return { row: tableRowKey(table), column: text('state:'), timestamp: 0, value: text(state) };
}

/** Cells erasing every listed column of `row`. */
export function eraseCells(row: Uint8Array, columns: readonly string[]): MetaCell[] {
  return columns.map((column) => ({ row, column: text(column), timestamp: 0, value: null }));
}
