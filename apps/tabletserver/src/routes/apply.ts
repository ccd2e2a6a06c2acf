// POST /v1/tables/{table}/apply — an atomic batch on this server (DESIGN
// §4). The body is JSON `{cells, encoding?, commitMaxTxn?, waitForSync?}`
// or one binary cell block (Content-Type: application/x-kdi-cells, keys
// in order and unique, as the SDK sends them) with commitMaxTxn and
// waitForSync in the query string. Replies {commitTxn}.

import {
  CELL_BLOCK_MIME_TYPE,
  decodeCellBlock,
  decodeJsonCells,
  KdiError,
  type Cell,
  ApplyJsonBodySchema,
  ApplyQuerySchema,
  ApplyReplySchema,
  ERROR_RESPONSES,
  TableParamsSchema,
} from '@kdi/protocol';
import { blockCrc32c } from '@kdi/storage';
import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import { serializerCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { CellBlockBodySchema } from '../http/cell-content.js';
import type { TabletApp } from '../http/tablet-app.js';
import type { RouteDeps } from './route-deps.js';

type ApplyJsonBody = z.output<typeof ApplyJsonBodySchema>;

/**
 * The route's reply serializers: zod's (the chassis' compiler), but the
 * 200 reply {"commitTxn":n} written by hand when it is exactly that: zod's
 * check and re-encoding cost about as much as the rest of a small reply,
 * for a number the server made itself. Anything else (an error body)
 * goes through zod as before.
 */
function applySerializerCompiler(route: FastifyRouteSchemaDef<unknown>): (data: unknown) => string {
  const viaZod = serializerCompiler(route as Parameters<typeof serializerCompiler>[0]);
  if (route.httpStatus !== '200') return viaZod;
  return (data: unknown) => {
    const txn = (data as { commitTxn?: unknown }).commitTxn;
    return Number.isSafeInteger(txn) && (txn as number) >= 0 && Object.keys(data as object).length === 1 ? `{"commitTxn":${txn as number}}` : viaZod(data);
  };
}

export function registerApplyRoute(app: TabletApp, { server, metrics }: RouteDeps): void {
  app.post(
    '/v1/tables/:table/apply',
    {
      serializerCompiler: applySerializerCompiler,
      schema: {
        operationId: 'apply',
        tags: ['table'],
        summary: 'Apply a batch of cells atomically',
        description:
          'Every row must be in a tablet this server serves (else WRONG_TABLET, 421). With commitMaxTxn, ABORTED (409) and nothing applied ' +
          'if a touched row changed after it. waitForSync (default true): the reply comes once the batch is durable. ' +
          `JSON body, or a ${CELL_BLOCK_MIME_TYPE} block (keys in order, unique) with commitMaxTxn / waitForSync in the query. ` +
          'RESOURCE_EXHAUSTED (429, retryAfterMs) when memory stays full past the back-pressure wait.',
        params: TableParamsSchema,
        querystring: ApplyQuerySchema,
        body: {
          content: {
            'application/json': { schema: ApplyJsonBodySchema },
            [CELL_BLOCK_MIME_TYPE]: { schema: CellBlockBodySchema },
          },
        },
        response: { 200: ApplyReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const body: unknown = request.body;
      const query = request.query;
      let cells: Cell[];
      let commitMaxTxn: number | undefined;
      let waitForSync: boolean;
      if (Buffer.isBuffer(body)) {
        // The block's CRC by the hardware where it can (storage's): the TypeScript table costs µs per KB.
        cells = decodeCellBlock(body, { limits: server.limits, requireSorted: true, crc32c: blockCrc32c });
        commitMaxTxn = query.commitMaxTxn;
        waitForSync = query.waitForSync ?? true;
      } else if (typeof body === 'object' && body !== null) {
        if (query.commitMaxTxn !== undefined || query.waitForSync !== undefined) {
          throw new KdiError('INVALID_ARGUMENT', 'commitMaxTxn and waitForSync go in the JSON body; the query string carries them only for binary bodies', {
            details: { field: 'query' },
          });
        }
        const json = body as ApplyJsonBody;
        cells = decodeJsonCells(json.cells, json.encoding, server.limits);
        commitMaxTxn = json.commitMaxTxn;
        waitForSync = json.waitForSync;
      } else {
        throw new KdiError('INVALID_ARGUMENT', `send the cells as JSON (Content-Type: application/json) or as a cell block (Content-Type: ${CELL_BLOCK_MIME_TYPE})`, {
          details: { field: 'body' },
        });
      }
      const commitTxn = await server.apply(request.params.table, cells, { commitMaxTxn, waitForSync });
      metrics.applied(cells.length);
      return { commitTxn };
    },
  );
}
