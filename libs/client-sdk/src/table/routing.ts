// What a routed call does with a failure before it is retried (DESIGN
// §12): WRONG_TABLET drops the cached range it was routed by (and the one
// the server names in details.row, which may differ after a split);
// a server that cannot be reached is forgotten with everything it served.
// The next attempt reads META again — except after a WRONG_TABLET whose
// location hint says the tablet is served elsewhere with a newer epoch
// (a move: a migration keeps a tablet's bounds): the cached range then
// names the hinted server, and the retry goes there without a META read.
// Safe when the bounds did change meanwhile: servers check every row, and
// a row the hinted server does not serve is answered WRONG_TABLET again.

import { isKdiError, type KdiError, LocationHintSchema } from '@kdi/protocol';
import type { TabletRange } from './location-cache.js';
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
    const moved = movedRange(locator, e, table, routedRow, url);
    locator.forget(table, routedRow);
    const named = wrongTabletRow(e);
    if (named !== undefined) locator.forget(table, named);
    if (moved !== undefined) locator.cache.insert(moved);
  } else if (e.code === 'UNAVAILABLE') {
    locator.forgetServer(url);
  }
}

/**
 * The cached range `routedRow` was routed by, naming the server a
 * WRONG_TABLET's hint gives instead — when the hint says `serving` with an
 * epoch above the cached one, at another server than `url`, and the row
 * the error names (if any) lies in that range. Else undefined (META is
 * read again).
 */
function movedRange(locator: Locator, e: KdiError, table: string, routedRow: Uint8Array, url: string): TabletRange | undefined {
  const hint = LocationHintSchema.safeParse(e.details?.['locationHint']);
  if (!hint.success || hint.data.state !== 'serving' || hint.data.url === url) return undefined;
  const cached = locator.cache.find(table, routedRow);
  if (cached === undefined || hint.data.epoch <= cached.location.epoch) return undefined;
  const named = wrongTabletRow(e);
  if (named !== undefined && locator.cache.find(table, named) !== cached) return undefined;
  return { ...cached, location: { serverId: hint.data.serverId, url: hint.data.url, epoch: hint.data.epoch } };
}
