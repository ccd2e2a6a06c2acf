// POST /v1/tables/{table}/sync — waits until every txn up to atLeastTxn is
// durable (DESIGN §4). Txns are per server, so the table only routes the
// call here; it need not have a tablet on this server.

import { SyncBodySchema, SyncReplySchema, ERROR_RESPONSES, NO_QUERY, TableParamsSchema } from '@kdi/protocol';
import type { TabletApp } from '../http/tablet-app.js';
import type { RouteDeps } from './route-deps.js';

export function registerSyncRoute(app: TabletApp, { server }: RouteDeps): void {
  app.post(
    '/v1/tables/:table/sync',
    {
      schema: {
        operationId: 'sync',
        tags: ['table'],
        summary: 'Wait until writes up to a txn are durable',
        description: 'INVALID_ARGUMENT when atLeastTxn was never handed out by this server (the latest txn is in the message).',
        params: TableParamsSchema,
        querystring: NO_QUERY,
        body: SyncBodySchema,
        response: { 200: SyncReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => ({ syncTxn: await server.sync(request.body.atLeastTxn) }),
  );
}
