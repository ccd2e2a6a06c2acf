// A server-side scanner (DESIGN §4: an optimisation for long scans, never
// required): the same pages as the stateless scan, but the engine scanner
// of the current tablet stays open between pages, so a page does not seek
// and merge its way back to where the previous one stopped. Every page
// also carries the stateless resume token, so a client whose scanner was
// evicted or expired continues with /v1/tables/{t}/scan.
//
// Pages of one scanner are read one at a time, in the order asked.

import type { CellEncoding, Interval, Predicate } from '@kdi/protocol';
import type { EngineScanner } from '@kdi/storage';
import type { TabletServer } from '../tablets/tablet-server.js';
import type { ScanPosition } from './scan-position.js';
import { readTablePage, type TablePage, type TabletReader } from './table-scan.js';

export interface ServerScannerInit {
  readonly id: string;
  readonly table: string;
  readonly predicate: Predicate;
  readonly rows: readonly Interval<Uint8Array>[] | undefined;
  /** Binds resume tokens of this scanner's pages to its table and predicate. */
  readonly digest: Uint8Array;
  readonly encoding: CellEncoding;
  readonly position: ScanPosition | undefined;
}

export class ServerScanner {
  readonly id: string;
  readonly table: string;
  readonly digest: Uint8Array;
  readonly encoding: CellEncoding;
  private position: ScanPosition | undefined;
  private ended = false;
  private closed = false;
  private current: { readonly tabletId: string; readonly scanner: EngineScanner } | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly server: TabletServer,
    private readonly init: ServerScannerInit,
  ) {
    this.id = init.id;
    this.table = init.table;
    this.digest = init.digest;
    this.encoding = init.encoding;
    this.position = init.position;
  }

  /** The next page; after the last one, empty pages with end=true. */
  next(maxCells: number, maxBytes: number): Promise<TablePage> {
    const run = this.queue.then(() => this.read(maxCells, maxBytes));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.closed = true;
    this.current?.scanner.close();
    this.current = undefined;
  }

  private async read(maxCells: number, maxBytes: number): Promise<TablePage> {
    if (this.closed || this.ended) {
      return { cells: [], scanTxn: this.server.currentTxn, end: true, position: undefined, nextRow: undefined };
    }
    const reader: TabletReader = {
      read: async (entry, spec, after, cells, bytes) => {
        if (this.current?.tabletId !== entry.id) {
          // A new tablet, or the held one was split or moved: open afresh at the position.
          this.current?.scanner.close();
          this.current = undefined;
          const scanner = await this.server.engine.openScanner(entry.id, spec, { after });
          if (this.closed) {
            scanner.close();
            return { cells: [], end: true, scanTxn: scanner.scanTxn };
          }
          this.current = { tabletId: entry.id, scanner };
        }
        const page = await this.current.scanner.nextBatch(cells, bytes);
        if (page.end) this.current = undefined; // the engine scanner closed itself
        return page;
      },
    };
    const page = await readTablePage(this.server, { table: this.table, predicate: this.init.predicate, rows: this.init.rows, position: this.position, maxCells, maxBytes }, reader);
    this.position = page.position;
    if (page.end) {
      this.ended = true;
      this.close();
    }
    return page;
  }
}
