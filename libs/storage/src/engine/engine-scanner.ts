// A scan of one tablet in progress (Engine.openScanner): pages of a merged
// scan, each stamped with the txn the scan reflects. Holds a reference to
// every fragment it reads until closed or finished, so compaction and
// unloads never pull a file from under it (DESIGN §5).

import type { MergedScan, ScanPage } from '../merge/merged-scan.js';
import type { DiskFragment } from './disk-fragment.js';

/** A scan page and the txn it reflects: every apply with txn ≤ scanTxn is visible in it. */
export interface EngineScanPage extends ScanPage {
  readonly scanTxn: number;
}

/** A scan in progress; holds its fragments until closed or finished. */
export class EngineScanner {
  private done = false;
  constructor(
    private readonly scan: MergedScan,
    private readonly held: DiskFragment[],
    /** Every apply with txn ≤ this was visible when the scanner opened. */
    readonly scanTxn: number,
  ) {}

  async nextBatch(maxCells: number, maxBytes: number): Promise<EngineScanPage> {
    if (this.done) return { cells: [], end: true, scanTxn: this.scanTxn };
    const page = await this.scan.nextBatch(maxCells, maxBytes);
    if (page.end) this.close();
    return { ...page, scanTxn: this.scanTxn };
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    for (const f of this.held) f.unref();
  }
}
