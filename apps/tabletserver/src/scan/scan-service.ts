// Scans as the routes ask for them: the predicate read (text or
// structure), the resume token checked against it, page sizes clamped to
// the server's caps, and the resume token of the next page made. Both the
// stateless scan and the server-side scanners go through here, so they
// return the same pages and accept each other's tokens.
//
// Page sizes: maxCells / maxBytes above the server's caps (maxPageCells,
// maxPageBytes) are clamped to the caps, not refused — a page is "up to"
// its limits, and the reply says whether more follows. Absent: the caps.

import { normalizeIntervals, readWirePredicate, type CellEncoding, type Interval, type Predicate, type StructuredPredicate } from '@kdi/protocol';
import { checkName, type TabletServer } from '../tablets/tablet-server.js';
import { wrongTablet } from '../tablets/write-check.js';
import { decodeResumeToken, encodeResumeToken, predicateDigest } from './resume-token.js';
import { nextStart, type ScanPosition } from './scan-position.js';
import { ScannerRegistry } from './scanner-registry.js';
import { ServerScanner } from './server-scanner.js';
import { engineReader, locateStart, readTablePage, type TablePage } from './table-scan.js';

export interface ScanServiceOptions {
  readonly maxPageCells: number;
  readonly maxPageBytes: number;
  readonly maxScanners: number;
  readonly scannerIdleMs: number;
  /** Monotonic milliseconds for scanner expiry; default performance.now. */
  readonly now?: () => number;
}

export interface ScanInput {
  readonly table: string;
  readonly predicate: string | StructuredPredicate | undefined;
  /** How byte strings of a structured predicate are written. */
  readonly encoding: CellEncoding;
  readonly resume?: string | undefined;
}

export interface PageLimits {
  readonly maxCells?: number | undefined;
  readonly maxBytes?: number | undefined;
}

export interface ScanResult extends TablePage {
  /** The token for the next page; absent when end. */
  readonly resume: string | undefined;
}

interface PreparedScan {
  readonly predicate: Predicate;
  readonly rows: readonly Interval<Uint8Array>[] | undefined;
  /** What a resume token is bound to (computed on first use: a page that ends needs no token). */
  readonly digest: () => Uint8Array;
  readonly position: ScanPosition | undefined;
}

export class ScanService {
  readonly scanners: ScannerRegistry;

  constructor(
    private readonly server: TabletServer,
    private readonly o: ScanServiceOptions,
  ) {
    this.scanners = new ScannerRegistry({ maxScanners: o.maxScanners, idleMs: o.scannerIdleMs, ...(o.now && { now: o.now }) });
    this.scanners.startSweeper();
    // Held engine scanners must not outlive the tablets they read.
    server.onTabletRemoved((entry) => this.scanners.closeTable(entry.table));
  }

  /** One stateless page. */
  async scan(input: ScanInput, limits: PageLimits): Promise<ScanResult> {
    const p = this.prepare(input);
    const page = await readTablePage(
      this.server,
      { table: input.table, predicate: p.predicate, rows: p.rows, position: p.position, ...this.clamp(limits) },
      engineReader(this.server),
    );
    return withToken(page, p.digest);
  }

  /** Opens a server-side scanner positioned at the start (or at `input.resume`). */
  openScanner(input: ScanInput): ServerScanner {
    this.server.checkOpen();
    this.scanners.checkEnabled();
    const p = this.prepare(input);
    checkStartServed(this.server, input.table, p.rows, p.position);
    const scanner = new ServerScanner(this.server, {
      id: ScannerRegistry.newId(),
      table: input.table,
      predicate: p.predicate,
      rows: p.rows,
      digest: p.digest(),
      encoding: input.encoding,
      position: p.position,
    });
    this.scanners.add(scanner);
    return scanner;
  }

  async next(scannerId: string, limits: PageLimits): Promise<ScanResult & { readonly encoding: CellEncoding }> {
    const scanner = this.scanners.get(scannerId);
    const { maxCells, maxBytes } = this.clamp(limits);
    const page = await scanner.next(maxCells, maxBytes);
    if (page.end) this.scanners.remove(scannerId);
    return { ...withToken(page, () => scanner.digest), encoding: scanner.encoding };
  }

  /** False when there was no such scanner. */
  closeScanner(scannerId: string): boolean {
    return this.scanners.remove(scannerId);
  }

  close(): void {
    this.scanners.closeAll();
  }

  private prepare(input: ScanInput): PreparedScan {
    this.server.checkOpen();
    checkName('table', input.table);
    const wire = readWirePredicate(input.predicate, input.encoding, 'body.predicate');
    const predicate = wire.predicate;
    let memo: Uint8Array | undefined;
    // wire.canonical is printed only here, for a token: a page that ends needs none.
    const digest = () => (memo ??= predicateDigest(input.table, wire.canonical));
    const position = input.resume === undefined ? undefined : decodeResumeToken(input.resume, digest(), this.server.limits);
    const rows = predicate.rows === undefined ? undefined : normalizeIntervals(predicate.rows);
    return { predicate, rows, digest, position };
  }

  private clamp(limits: PageLimits): { maxCells: number; maxBytes: number } {
    return {
      maxCells: Math.min(limits.maxCells ?? this.o.maxPageCells, this.o.maxPageCells),
      maxBytes: Math.min(limits.maxBytes ?? this.o.maxPageBytes, this.o.maxPageBytes),
    };
  }
}

/** WRONG_TABLET now, rather than at the first page, when the scan cannot start here. */
function checkStartServed(server: TabletServer, table: string, rows: readonly Interval<Uint8Array>[] | undefined, position: ScanPosition | undefined): void {
  const start = nextStart(rows, position);
  if (start === null) return; // nothing to read: the first page will say end
  const { row, entry } = locateStart(server, table, start);
  if (entry === undefined || entry.state === 'loading') throw wrongTablet(server.wrongTabletContext(), table, row, entry, 'the scan starts at row');
}

function withToken(page: TablePage, digest: () => Uint8Array): ScanResult {
  // Field by field rather than a spread: one of these per page, and the spread is the slower copy.
  return {
    cells: page.cells,
    scanTxn: page.scanTxn,
    end: page.end,
    position: page.position,
    nextRow: page.nextRow,
    resume: page.position === undefined ? undefined : encodeResumeToken(page.position, digest()),
  };
}
