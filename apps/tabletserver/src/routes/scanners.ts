// Server-side scanners (DESIGN §4, optional): POST /v1/scanners opens one,
// GET /v1/scanners/{id}/next reads its next page (JSON or a cell block by
// Accept, exactly like /scan), DELETE closes it. They are held in a
// bounded LRU and closed after an idle timeout; every page carries the
// stateless resume token, so an expired scanner is never a dead end.

import {
  CELL_BLOCK_MIME_TYPE,
  KdiError,
  OpenScannerBodySchema,
  OpenScannerReplySchema,
  ScannerNextQuerySchema,
  ScannerParamsSchema,
  ScanReplySchema,
  ERROR_RESPONSES,
  NO_CONTENT,
  NO_QUERY,
  PREDICATE_ROUTE_CONFIG,
} from '@kdi/protocol';
import { CellBlockReplySchema } from '../http/cell-content.js';
import type { TabletApp } from '../http/tablet-app.js';
import { replyWithPage } from './page-reply.js';
import type { RouteDeps } from './route-deps.js';

export function registerScannerRoutes(app: TabletApp, { scans, metrics }: RouteDeps, idleTimeoutMs: number): void {
  app.post(
    '/v1/scanners',
    {
      config: PREDICATE_ROUTE_CONFIG,
      schema: {
        operationId: 'openScanner',
        tags: ['scanners'],
        summary: 'Open a server-side scanner',
        description:
          'Checks the table name, predicate and resume token now; pages come from GET /v1/scanners/{scannerId}/next. ' +
          'Opening one past the server limit closes the least recently used. FAILED_PRECONDITION when scanners are disabled.',
        querystring: NO_QUERY,
        body: OpenScannerBodySchema,
        response: { 201: OpenScannerReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const scanner = scans.openScanner({ table: b.table, predicate: b.predicate, encoding: b.encoding, resume: b.resume });
      return reply.code(201).send({ scannerId: scanner.id, idleTimeoutMs });
    },
  );

  app.get(
    '/v1/scanners/:scannerId/next',
    {
      schema: {
        operationId: 'nextScannerPage',
        tags: ['scanners'],
        summary: "Read a scanner's next page",
        description:
          'The same page as POST /v1/tables/{table}/scan would return with the previous resume token. After end=true the scanner is closed. ' +
          'NOT_FOUND when the scanner expired or was evicted: continue with the last resume token via /scan.',
        params: ScannerParamsSchema,
        querystring: ScannerNextQuerySchema,
        response: {
          200: { content: { 'application/json': { schema: ScanReplySchema }, [CELL_BLOCK_MIME_TYPE]: { schema: CellBlockReplySchema } } },
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const page = await scans.next(request.params.scannerId, request.query);
      metrics.scanned(page.cells.length);
      return replyWithPage(request, reply, page, page.encoding);
    },
  );

  app.delete(
    '/v1/scanners/:scannerId',
    {
      schema: {
        operationId: 'closeScanner',
        tags: ['scanners'],
        summary: 'Close a scanner',
        params: ScannerParamsSchema,
        querystring: NO_QUERY,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      if (!scans.closeScanner(request.params.scannerId)) {
        throw new KdiError('NOT_FOUND', `scanner ${request.params.scannerId} does not exist (already closed, finished, expired or evicted)`, {
          details: { scannerId: request.params.scannerId },
        });
      }
      return reply.code(204).send(null);
    },
  );
}
