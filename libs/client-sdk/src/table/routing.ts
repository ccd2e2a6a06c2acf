// What a routed call does with a failure before it is retried (DESIGN
// §12): WRONG_TABLET drops the cached range it was routed by (and the one
// the server names in details.row, which may differ after a split);
// a server that cannot be reached is forgotten with everything it served.
// The next attempt reads META again.

import { isKdiError } from '@kdi/protocol';
import type { Locator } from './locator.js';

/** The row a WRONG_TABLET error names (details.row in details.rowEncoding), if any. */
export function wrongTabletRow(e: unknown): Uint8Array | undefined {
  if (!isKdiError(e) || e.code !== 'WRONG_TABLET') return undefined;
  const row = e.details?.['row'];
  if (typeof row !== 'string') return undefined;
  return Buffer.from(row, e.details?.['rowEncoding'] === 'base64' ? 'base64' : 'utf8');
}

export function forgetAfter(locator: Locator, e: unknown, table: string, routedRow: Uint8Array, url: string): void {
  if (!isKdiError(e)) return;
  if (e.code === 'WRONG_TABLET') {
    locator.forget(table, routedRow);
    const named = wrongTabletRow(e);
    if (named !== undefined) locator.forget(table, named);
  } else if (e.code === 'UNAVAILABLE') {
    locator.forgetServer(url);
  }
}
