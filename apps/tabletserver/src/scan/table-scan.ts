// One page of a table scan over the tablets this server serves (DESIGN §4
// scan). A page walks the table's tablets in row order from the position
// (the last key returned, or "after row R"), so it may cross tablet
// boundaries; it ends when
//   - the budget (cells or bytes) is spent: end=false, position = the last
//     key returned (or the boundary just passed);
//   - the predicate wants no more rows: end=true;
//   - the next wanted rows are in a tablet not served here: end=false,
//     position = after the last tablet finished here, and `nextRow`: a row
//     of the tablet to ask the master for. The client sends the same
//     resume token to the server that serves `nextRow`.
// A page that cannot start here at all (the first wanted row is in no
// tablet served here) is WRONG_TABLET with that row.
//
// Consistency: each tablet's part of a page is read from one engine scan;
// scanTxn is the lowest scanTxn of those scans, so a read-modify-write
// that uses it as commitMaxTxn is conservative (it may abort needlessly,
// never wrongly succeed).

import type { Cell, Interval, Predicate } from '@kdi/protocol';
import { cellSize } from '@kdi/primitives';
import { isStorageError, type Engine, type ScanSpec } from '@kdi/storage';
import { rangeContains } from '../tablets/row-range.js';
import { fromStorageError } from '../tablets/storage-errors.js';
import type { TabletEntry, TabletMap } from '../tablets/tablet-map.js';
import { wrongTablet } from '../tablets/write-check.js';
import { pointRowsOf, readPointRows } from './point-rows.js';
import { nextStart, rowsAbove, rowToLocate, type ScanPosition, type StartBound } from './scan-position.js';

export interface TablePageRequest {
  readonly table: string;
  readonly predicate: Predicate;
  /** predicate.rows normalized (sorted, disjoint); undefined = every row. */
  readonly rows: readonly Interval<Uint8Array>[] | undefined;
  readonly position: ScanPosition | undefined;
  readonly maxCells: number;
  readonly maxBytes: number;
}

export interface TablePage {
  readonly cells: Cell[];
  readonly scanTxn: number;
  readonly end: boolean;
  /** Set when !end: where the next page starts. */
  readonly position: ScanPosition | undefined;
  /** Set when the rest of the scan starts in a tablet not served here: a row of that tablet. */
  readonly nextRow: Uint8Array | undefined;
}

export interface TabletKeyAfter {
  readonly row: Uint8Array;
  readonly column: Uint8Array;
  readonly timestamp: number;
}

/** What a table scan needs of the server (the TabletServer is one). */
export interface TableScanHost {
  readonly engine: Pick<Engine, 'scan' | 'readRow' | 'readRowIfCached' | 'currentTxn'>;
  readonly map: TabletMap;
  /** The latest txn visible to scans. */
  readonly currentTxn: number;
  /** Counts reads per tablet for the heartbeats' request rates. */
  readonly rates?: { recordReads(tabletId: string, reads: number): void };
  checkOpen(): void;
  wrongTabletContext(): { serverId: string };
}

/** Reads the next cells of one tablet: a fresh engine scan per page, or a scanner held between pages. */
export interface TabletReader {
  read(
    entry: TabletEntry,
    spec: ScanSpec,
    after: TabletKeyAfter | undefined,
    maxCells: number,
    maxBytes: number,
  ): Promise<{ readonly cells: Cell[]; readonly end: boolean; readonly scanTxn: number }>;
}

/**
 * The stateless reader: one engine scan per tablet per page — or, for a
 * first page that wants only whole rows named one by one (the SDK's gets),
 * the engine's point reads (point-rows.ts).
 */
export function engineReader(server: Pick<TableScanHost, 'engine'>): TabletReader {
  return {
    read: async (entry, spec, after, maxCells, maxBytes) => {
      const rows = after === undefined ? pointRowsOf(spec) : undefined;
      if (rows !== undefined) {
        const part = await readPointRows(server.engine, entry.id, entry, rows, spec.history, maxCells, maxBytes);
        if (part !== undefined) return part;
      }
      return server.engine.scan(entry.id, spec, { after, maxCells, maxBytes });
    },
  };
}

/** The tablet (any state) holding the scan's next wanted rows, and the one row that names them. */
export function locateStart(server: Pick<TableScanHost, 'map'>, table: string, start: StartBound): { row: Uint8Array; entry: TabletEntry | undefined } {
  const row = rowToLocate(start);
  const entry = start === 'first' || start.inclusive ? server.map.containing(table, row) : server.map.holdingRowsAfter(table, start.value);
  return { row, entry };
}

/** How often a page re-resolves a tablet that vanished (split, unloaded) between lookup and read. */
const MAX_RELOCATES = 3;

export async function readTablePage(server: TableScanHost, req: TablePageRequest, reader: TabletReader): Promise<TablePage> {
  server.checkOpen();
  const { table } = req;
  const cells: Cell[] = [];
  let bytes = 0;
  let scanTxn: number | undefined;
  let pos = req.position;
  let relocates = 0;
  const page = (end: boolean, nextRow?: Uint8Array): TablePage => ({
    cells,
    scanTxn: scanTxn ?? server.currentTxn,
    end,
    position: end ? undefined : pos,
    nextRow,
  });

  for (;;) {
    const start = nextStart(req.rows, pos);
    if (start === null) return page(true);
    if (cells.length >= req.maxCells || bytes >= req.maxBytes) return page(false);
    const { row: locate, entry } = locateStart(server, table, start);
    if (entry === undefined || entry.state === 'loading') {
      if (scanTxn === undefined) throw wrongTablet(server.wrongTabletContext(), table, locate, entry, 'the scan continues at row');
      return page(false, locate);
    }
    const after = pos?.kind === 'key' && rangeContains(entry, pos.row) ? pos : undefined;
    const rows = pos?.kind === 'after-row' ? rowsAbove(req.rows, pos.row) : req.rows;
    const spec: ScanSpec = { ...req.predicate, ...(rows !== undefined && { rows }) };
    let part: Awaited<ReturnType<TabletReader['read']>>;
    try {
      part = await reader.read(entry, spec, after, req.maxCells - cells.length, req.maxBytes - bytes);
    } catch (e) {
      if (isStorageError(e, 'not-found') && server.map.get(entry.id) !== entry && relocates++ < MAX_RELOCATES) continue;
      throw fromStorageError(e);
    }
    scanTxn = scanTxn === undefined ? part.scanTxn : Math.min(scanTxn, part.scanTxn);
    // A part that found nothing was still a read of the tablet.
    server.rates?.recordReads(entry.id, Math.max(1, part.cells.length));
    for (const c of part.cells) {
      cells.push(c);
      bytes += cellSize(c);
    }
    const last = part.cells[part.cells.length - 1];
    if (last !== undefined) pos = { kind: 'key', row: last.row, column: last.column, timestamp: last.timestamp };
    if (!part.end) return page(false);
    if (entry.upperInclusive === undefined) return page(true);
    pos = { kind: 'after-row', row: entry.upperInclusive };
  }
}
