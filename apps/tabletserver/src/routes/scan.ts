// POST /v1/tables/{table}/scan — one page of a scan (DESIGN §4), JSON or
// a binary cell block by Accept. Stateless: the resume token of a page is
// all the next page needs, on this server or whichever now serves the rows.

import { CELL_BLOCK_MIME_TYPE, ScanBodySchema, ScanReplySchema, ERROR_RESPONSES, NO_QUERY, TableParamsSchema, PREDICATE_ROUTE_CONFIG } from '@kdi/protocol';
import { CellBlockReplySchema } from '../http/cell-content.js';
import type { TabletApp } from '../http/tablet-app.js';
import { replyWithPage } from './page-reply.js';
import type { RouteDeps } from './route-deps.js';

export const SCAN_DESCRIPTION =
  'A page holds up to maxCells cells and about maxBytes bytes (values above the server caps are clamped) and may cross tablet boundaries. ' +
  'end=false: pass `resume` back (same predicate) for the next page. When the rest lies in a tablet not served here, the page ends early ' +
  'with nextRow: ask the master which server serves that row and send it the token. A scan that cannot start here is WRONG_TABLET (421). ' +
  `With Accept: ${CELL_BLOCK_MIME_TYPE} the cells come as one block and scanTxn / end / resume / nextRow (base64) as ` +
  'x-kdi-scan-txn / x-kdi-end / x-kdi-resume / x-kdi-next-row headers.';

export function registerScanRoute(app: TabletApp, { scans, metrics }: RouteDeps): void {
  app.post(
    '/v1/tables/:table/scan',
    {
      config: PREDICATE_ROUTE_CONFIG,
      schema: {
        operationId: 'scan',
        tags: ['table'],
        summary: 'Read one page of a scan',
        description: SCAN_DESCRIPTION,
        params: TableParamsSchema,
        querystring: NO_QUERY,
        body: ScanBodySchema,
        response: {
          200: { content: { 'application/json': { schema: ScanReplySchema }, [CELL_BLOCK_MIME_TYPE]: { schema: CellBlockReplySchema } } },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const page = await scans.scan(
        { table: request.params.table, predicate: b.predicate, encoding: b.encoding, resume: b.resume },
        { maxCells: b.maxCells, maxBytes: b.maxBytes },
      );
      metrics.scanned(page.cells.length);
      return replyWithPage(request, reply, page, b.encoding);
    },
  );
}
