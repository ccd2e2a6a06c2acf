// Reading and writing tablet configs in the META table (DESIGN §7), with
// the fencing §7 requires: a config change is a row transaction over one
// META row, and the writer first checks that `location:` still names the
// expected server with the expected epoch.
//
// writeTablet(config, expect, readTxn):
//   1. reads the row again (inside writeTablet, not a cache of the caller's
//      read) and checks that its `location:` names expect.serverId with
//      expect.epoch (or, for a create — expect undefined — that the row has
//      no location); otherwise FAILED_PRECONDITION. The previous config's
//      fragment groups also come from this read, so dropped groups are erased.
//   2. applies tabletConfigCells(config, previousGroups) with
//      commitMaxTxn = readTxn (the txn of the caller's own read). A change
//      to the row after readTxn — including one between step 1 and step 2 —
//      makes the apply fail ABORTED (409): that is the fence.
// Checking the fresh read (rather than the caller's) means a stale epoch is
// reported as FAILED_PRECONDITION even when the master's rewrite came after
// the caller's read; a change the check cannot see still aborts in step 2.

import { KdiError, type Interval, type Predicate } from '@kdi/protocol';
import { engineReader, readTablePage } from '../scan/table-scan.js';
import type { ScanPosition } from '../scan/scan-position.js';
import type { TabletServer } from '../tablets/tablet-server.js';
import { META_TABLE, parseMetaRow, parseTabletConfig, tabletConfigCells, tabletRowKey, tabletRowsOf, type MetaCell, type TabletConfig } from './meta-rows.js';

export interface ExpectedAssignment {
  readonly serverId: string;
  readonly epoch: number;
}

export interface MetaTable {
  /** The tablet's config (undefined when its row holds none) and the txn the read saw. */
  readTablet(table: string, upperInclusive: Uint8Array | undefined): Promise<{ config: TabletConfig | undefined; txn: number }>;
  /**
   * Writes `config` as a row transaction against the caller's read at
   * `readTxn`. `expect`: the assignment `location:` must still name;
   * undefined creates — the row must not have a location yet. Resolves
   * with the commit txn; FAILED_PRECONDITION when the location differs,
   * ABORTED when the row changed after readTxn.
   */
  writeTablet(config: TabletConfig, expect: ExpectedAssignment | undefined, readTxn: number): Promise<number>;
  /** The table's tablet configs in row order (the last tablet, "<table>!", last). */
  listTablets(table: string): Promise<TabletConfig[]>;
}

const PAGE_CELLS = 10_000;
const PAGE_BYTES = 8 * 1024 * 1024;

/** A MetaTable over an in-process TabletServer that serves the META table. */
export class LocalMetaTable implements MetaTable {
  constructor(
    private readonly server: TabletServer,
    private readonly opts: { readonly waitForSync?: boolean } = {},
  ) {}

  async readTablet(table: string, upperInclusive: Uint8Array | undefined): Promise<{ config: TabletConfig | undefined; txn: number }> {
    const row = tabletRowKey(table, upperInclusive);
    const { cells, txn } = await this.scan({ lower: { value: row, inclusive: true }, upper: { value: row, inclusive: true } });
    const config = cells.length > 0 && cells.some((c) => c.value !== null) ? parseTabletConfig(row, cells) : undefined;
    return { config, txn };
  }

  async writeTablet(config: TabletConfig, expect: ExpectedAssignment | undefined, readTxn: number): Promise<number> {
    const { config: current } = await this.readTablet(config.table, config.upperInclusive);
    const where = `tablet ${describeTablet(config)}`;
    const loc = current?.location;
    if (expect === undefined) {
      if (loc !== undefined) {
        throw new KdiError('FAILED_PRECONDITION', `${where} is assigned to ${loc.serverId}/epoch ${loc.epoch}; a create expects no location`, {
          details: { table: config.table, serverId: loc.serverId, epoch: loc.epoch },
        });
      }
    } else if (loc === undefined || loc.serverId !== expect.serverId || loc.epoch !== expect.epoch) {
      const now = loc === undefined ? 'no server' : `${loc.serverId}/epoch ${loc.epoch}`;
      throw new KdiError('FAILED_PRECONDITION', `${where} is assigned to ${now}, not ${expect.serverId}/epoch ${expect.epoch}`, {
        details: {
          table: config.table,
          expectedServerId: expect.serverId,
          expectedEpoch: expect.epoch,
          ...(loc !== undefined && { serverId: loc.serverId, epoch: loc.epoch }),
        },
      });
    }
    const previousGroups = current === undefined ? [] : Object.keys(current.fragments);
    return this.server.apply(META_TABLE, tabletConfigCells(config, previousGroups), {
      commitMaxTxn: readTxn,
      waitForSync: this.opts.waitForSync ?? true,
    });
  }

  async listTablets(table: string): Promise<TabletConfig[]> {
    const { first, last } = tabletRowsOf(table);
    const { cells } = await this.scan({ lower: { value: first, inclusive: true }, upper: { value: last, inclusive: true } });
    const out: TabletConfig[] = [];
    let i = 0;
    while (i < cells.length) {
      const row = cells[i]!.row;
      let j = i;
      while (j < cells.length && Buffer.compare(cells[j]!.row, row) === 0) j++;
      const rowCells = cells.slice(i, j);
      const parsed = parseMetaRow(row);
      if (parsed?.kind === 'tablet' && parsed.table === table && rowCells.some((c) => c.value !== null)) out.push(parseTabletConfig(row, rowCells));
      i = j;
    }
    return out;
  }

  /** Every cell in the META rows of `rows`, across pages; txn: the lowest scanTxn of the pages. */
  private async scan(rows: Interval<Uint8Array>): Promise<{ cells: MetaCell[]; txn: number }> {
    const predicate: Predicate = { rows: [rows] };
    const cells: MetaCell[] = [];
    let txn: number | undefined;
    let position: ScanPosition | undefined;
    for (;;) {
      const page = await readTablePage(
        this.server,
        { table: META_TABLE, predicate, rows: [rows], position, maxCells: PAGE_CELLS, maxBytes: PAGE_BYTES },
        engineReader(this.server),
      );
      cells.push(...page.cells);
      txn = txn === undefined ? page.scanTxn : Math.min(txn, page.scanTxn);
      if (page.end) return { cells, txn };
      if (page.nextRow !== undefined) {
        throw new KdiError('UNAVAILABLE', `this server does not serve all of the ${META_TABLE} table`, { retryAfterMs: 1000 });
      }
      position = page.position;
    }
  }
}

function describeTablet(config: TabletConfig): string {
  const upper = config.upperInclusive === undefined ? '(last)' : JSON.stringify(Buffer.from(config.upperInclusive).toString('latin1'));
  return `${config.table} ${upper}`;
}
