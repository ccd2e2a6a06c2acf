// The checks an apply passes before it reaches the engine (DESIGN §2, §4,
// §6): cell limits (naming the cell), every row in a tablet this server
// serves and accepts writes for (else WRONG_TABLET for the first row that
// is not), and every column's family in the table's schema when the schema
// has no wildcard group. All synchronous, so the answer is about the
// tablet map as it is at the moment the engine gets the batch.

import { KdiError, validateCells, type Cell, type CellLimits, columnFamily, groupForFamily, type TableSchema } from '@kdi/protocol';
import { rowDetails } from '../api/wire-bytes.js';
import { rangeContains } from './row-range.js';
import type { TabletEntry, TabletMap } from './tablet-map.js';

export interface WriteCheckContext {
  readonly map: TabletMap;
  readonly limits: CellLimits;
  readonly serverId: string;
  readonly schema: TableSchema | undefined;
}

/** Throws the first problem of the batch; returns the tablets it touches, each with its number of cells. */
export function checkWrite(ctx: WriteCheckContext, table: string, cells: readonly Cell[]): Map<TabletEntry, number> {
  if (cells.length === 0) {
    throw new KdiError('INVALID_ARGUMENT', 'cells is empty: an apply needs at least one cell', { details: { field: 'cells' } });
  }
  validateCells(cells, ctx.limits);
  const touched = new Map<TabletEntry, number>();
  let tablet: TabletEntry | undefined;
  let run = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i]!;
    // Batches are usually sorted or clustered: try the last tablet first.
    if (tablet === undefined || !rangeContains(tablet, cell.row)) {
      if (tablet !== undefined) touched.set(tablet, (touched.get(tablet) ?? 0) + run);
      tablet = ctx.map.containing(table, cell.row);
      if (tablet === undefined || tablet.state !== 'serving') throw wrongTablet(ctx, table, cell.row, tablet, `cells[${i}].row`);
      run = 0;
    }
    run++;
    if (ctx.schema !== undefined && groupForFamily(ctx.schema, columnFamily(cell.column)) === undefined) {
      throw unknownFamily(ctx.schema, table, cell.column, i);
    }
  }
  if (tablet !== undefined) touched.set(tablet, (touched.get(tablet) ?? 0) + run);
  return touched;
}

/**
 * WRONG_TABLET for `row` of `table`: why this server does not take it. In
 * a cluster the HTTP layer adds where META says the row is served
 * (details.locationHint, meta/location-hint.ts).
 */
export function wrongTablet(ctx: Pick<WriteCheckContext, 'serverId'>, table: string, row: Uint8Array, tablet: TabletEntry | undefined, where?: string): KdiError {
  const reason =
    tablet === undefined
      ? `no tablet of table ${table} holding it is served by server ${ctx.serverId}`
      : tablet.state === 'loading'
        ? `its tablet ${tablet.id} is still loading on server ${ctx.serverId}`
        : `its tablet ${tablet.id} is being unloaded from server ${ctx.serverId} and takes no writes`;
  const shown = rowDetails(row);
  return new KdiError(
    'WRONG_TABLET',
    `${where ?? 'the row'} ${JSON.stringify(shown.row)}${shown.rowEncoding === 'base64' ? ' (base64)' : ''}: ${reason}; ask the master where it is served`,
    {
      details: { table, ...shown, serverId: ctx.serverId },
    },
  );
}

function unknownFamily(schema: TableSchema, table: string, column: Uint8Array, i: number): KdiError {
  const family = Buffer.from(columnFamily(column)).toString('utf8');
  const known = schema.groups.flatMap((g) => (g.families === '*' ? [] : g.families));
  return new KdiError(
    'INVALID_ARGUMENT',
    `cells[${i}].column: family ${JSON.stringify(family)} is in no locality group of table ${table} and the schema has no wildcard group; known families: ${known.map((f) => JSON.stringify(f)).join(', ')}`,
    { details: { field: `cells[${i}].column`, family, table } },
  );
}
