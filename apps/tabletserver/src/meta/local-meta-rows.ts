// META's rows on this tablet server, when it serves the META tablet: the
// MetaRows transport (libs/client-sdk meta/meta-table.ts) over the
// server's own data path, so META reads and writes by this server skip
// HTTP.

import { KdiError, META_TABLE, type Interval, type MetaCell, type Predicate } from '@kdi/protocol';
import { MetaTableClient, type MetaRows } from '@kdi/client-sdk';
import { engineReader, readTablePage, type TableScanHost } from '../scan/table-scan.js';
import type { ScanPosition } from '../scan/scan-position.js';

const PAGE_CELLS = 10_000;
const PAGE_BYTES = 8 * 1024 * 1024;

/** What META's local rows need of the server that may serve the META tablet (its data operations, or the TabletServer). */
export interface LocalTableServer extends TableScanHost {
  apply(table: string, cells: readonly MetaCell[], opts: { commitMaxTxn?: number | undefined; waitForSync: boolean }): Promise<number>;
}

/** META's rows on this server (it serves the META tablet). */
export class LocalMetaRows implements MetaRows {
  constructor(
    /** The server's data path (the composition builds it before META access and the server). */
    private readonly server: LocalTableServer,
    private readonly opts: { readonly waitForSync?: boolean } = {},
  ) {}

  /** Does this server serve META now? */
  get serving(): boolean {
    return this.server.map.tabletsOf(META_TABLE).some((t) => t.state === 'serving');
  }

  apply(cells: readonly MetaCell[], commitMaxTxn: number): Promise<number> {
    return this.server.apply(META_TABLE, cells, { commitMaxTxn, waitForSync: this.opts.waitForSync ?? true });
  }

  /** Every cell in the META rows of `rows`, across pages; txn: the lowest scanTxn of the pages. */
  async scan(rows: Interval<Uint8Array>, maxCells?: number): Promise<{ cells: MetaCell[]; txn: number }> {
    const predicate: Predicate = { rows: [rows] };
    const cells: MetaCell[] = [];
    let txn: number | undefined;
    let position: ScanPosition | undefined;
    for (;;) {
      const page = await readTablePage(
        this.server,
        { table: META_TABLE, predicate, rows: [rows], position, maxCells: maxCells ?? PAGE_CELLS, maxBytes: PAGE_BYTES },
        engineReader(this.server),
      );
      cells.push(...page.cells);
      txn = txn === undefined ? page.scanTxn : Math.min(txn, page.scanTxn);
      if (page.end || maxCells !== undefined) return { cells, txn };
      if (page.nextRow !== undefined) {
        throw new KdiError('UNAVAILABLE', `this server does not serve all of the ${META_TABLE} table`, { retryAfterMs: 1000 });
      }
      position = page.position;
    }
  }
}

/** A MetaTable over an in-process TabletServer that serves the META table. */
export class LocalMetaTable extends MetaTableClient {
  constructor(server: LocalTableServer, opts: { readonly waitForSync?: boolean } = {}) {
    super(new LocalMetaRows(server, opts));
  }
}
