// Where a routed scan stands between pages (DESIGN §4, §12): the resume
// token of the last page (the server's stateless continuation: any server
// now serving the range accepts it, so pages survive splits and moves with
// no cell twice and none skipped) and the row used to find the server for
// the next page. Pure; the table handle does the I/O. Between pages the
// state can leave the process as a page token (page-token.ts) and come back
// with resumeAt.
//
//   next page's row = the page's nextRow (the scan continues in a tablet
//   not served there), else the last row returned (the resume point is in
//   its tablet), else unchanged; a WRONG_TABLET naming a row moves it there.
//   (Table.scanPages advances before decoding a page, with no cells: the
//   row stays that of the page's server, where the resume point lies.)

import type { ScanPage } from './table-wire.js';

export class ScanCursor {
  #locateRow: Uint8Array;
  #resume: string | undefined;
  #done = false;

  constructor(firstRow: Uint8Array) {
    this.#locateRow = firstRow;
  }

  /** A cursor between pages, as a page token recorded it (page-token.ts): the next page is asked with `resume` of `locateRow`'s server. */
  static resumeAt(locateRow: Uint8Array, resume: string): ScanCursor {
    const c = new ScanCursor(locateRow);
    c.#resume = resume;
    return c;
  }

  /** The row whose tablet's server gets the next page. */
  get locateRow(): Uint8Array {
    return this.#locateRow;
  }

  /** The token for the next page (undefined: the first page). */
  get resume(): string | undefined {
    return this.#resume;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Takes a page in; afterwards `done` says whether the scan is complete. */
  advance(page: Pick<ScanPage, 'cells' | 'end' | 'resume' | 'nextRow'>): void {
    if (this.#done) throw new Error('the scan is already complete');
    if (page.end) {
      this.#done = true;
      return;
    }
    if (page.resume === undefined) throw new Error('a page that is not the end must carry a resume token');
    this.#resume = page.resume;
    const last = page.cells[page.cells.length - 1];
    this.#locateRow = page.nextRow ?? last?.row ?? this.#locateRow;
  }

  /** The server refused the page (WRONG_TABLET) naming `row`: look that row up next. */
  relocate(row: Uint8Array | undefined): void {
    if (row !== undefined) this.#locateRow = row;
  }
}
