// Tablets as JSON: bounds in the requested encoding, switched to base64
// for the whole reply (which says so) when a bound is not UTF-8.

import type { CellEncoding } from '@kdi/protocol';
import type { TabletView } from '../tablets/tablet-server.js';
import { allUtf8, encodeWireBytes } from './wire-bytes.js';

export interface TabletJson {
  tabletId: string;
  table: string;
  lowerExclusive?: string;
  upperInclusive?: string;
  state: TabletView['state'];
  fragments: number;
  diskBytes: number;
  diskCells: number;
}

/** The encoding a reply about these byte strings can use. */
export function replyEncoding(requested: CellEncoding, bytes: Iterable<Uint8Array | undefined>): CellEncoding {
  return requested === 'utf8' && !allUtf8(bytes) ? 'base64' : requested;
}

export function boundsOf(views: readonly TabletView[]): Array<Uint8Array | undefined> {
  return views.flatMap((v) => [v.lowerExclusive, v.upperInclusive]);
}

export function tabletJson(v: TabletView, encoding: CellEncoding): TabletJson {
  return {
    tabletId: v.tabletId,
    table: v.table,
    ...(v.lowerExclusive !== undefined && { lowerExclusive: encodeWireBytes(v.lowerExclusive, encoding) }),
    ...(v.upperInclusive !== undefined && { upperInclusive: encodeWireBytes(v.upperInclusive, encoding) }),
    state: v.state,
    fragments: v.fragments,
    diskBytes: v.diskBytes,
    diskCells: v.diskCells,
  };
}
