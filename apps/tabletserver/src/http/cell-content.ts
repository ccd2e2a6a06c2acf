// Content negotiation for cells (DESIGN §2): requests carry cells as JSON
// or as one binary block (Content-Type: application/x-kdi-cells);
// responses carry them as JSON unless the Accept header prefers the
// binary block. Binary scan replies put the page's facts in the x-kdi-*
// headers that protocol defines (table-api/cell-headers.ts).

import { CELL_BLOCK_MIME_TYPE } from '@kdi/protocol';
import { z } from 'zod';
import type { TabletApp } from './tablet-app.js';

export { END_HEADER, NEXT_ROW_HEADER, RESUME_HEADER, SCAN_TXN_HEADER } from '@kdi/protocol';

/** A binary body as the parser hands it over (validated per media type by Fastify). */
export const CellBlockBodySchema = z.custom<Buffer>((v) => Buffer.isBuffer(v), `the body must be a ${CELL_BLOCK_MIME_TYPE} block`);

/** The binary reply, for the OpenAPI document. */
export const CellBlockReplySchema = z.string().meta({ format: 'binary', description: `A cell block (${CELL_BLOCK_MIME_TYPE}); page facts in x-kdi-* headers` });

/** Accepts binary bodies whole (up to `limit` bytes); the routes decode them. */
export function registerCellBlockParser(app: TabletApp, limit: number): void {
  app.addContentTypeParser(CELL_BLOCK_MIME_TYPE, { parseAs: 'buffer', bodyLimit: limit }, (_request, body, done) => done(null, body));
}

/**
 * Whether the Accept header prefers the cell block over JSON: it names
 * application/x-kdi-cells with a q above 0 and at least JSON's q (an
 * absent or wildcard-only Accept means JSON).
 */
export function prefersCellBlock(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  // What the SDK sends, answered without parsing.
  if (accept === CELL_BLOCK_MIME_TYPE) return true;
  let block = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';');
    const name = type?.trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (!Number.isFinite(q)) continue;
    if (name === CELL_BLOCK_MIME_TYPE) block = Math.max(block, q);
    else if (name === 'application/json' || name === 'application/*' || name === '*/*') json = Math.max(json, q);
  }
  return block > 0 && block >= json;
}
