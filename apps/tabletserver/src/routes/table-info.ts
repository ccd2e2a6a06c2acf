// GET /v1/tables/{table} — the table as this server knows it: the tablets
// it holds with their ranges and sizes, and the schema they were loaded
// with. NOT_FOUND when no tablet of the table is here (the master knows
// the whole table).

import { KdiError, TableInfoQuerySchema, TableInfoReplySchema, ERROR_RESPONSES, TableParamsSchema } from '@kdi/protocol';
import { boundsOf, replyEncoding, tabletJson } from '../api/tablet-json.js';
import type { TabletApp } from '../http/tablet-app.js';
import type { RouteDeps } from './route-deps.js';

export function registerTableInfoRoute(app: TabletApp, { server }: RouteDeps): void {
  app.get(
    '/v1/tables/:table',
    {
      schema: {
        operationId: 'getTableInfo',
        tags: ['table'],
        summary: 'Table info: tablets served here, their ranges and sizes, the schema',
        params: TableParamsSchema,
        querystring: TableInfoQuerySchema,
        response: { 200: TableInfoReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { table } = request.params;
      const views = server.tablets(table);
      if (views.length === 0) {
        throw new KdiError('NOT_FOUND', `no tablet of table ${table} is on server ${server.serverId}; the master lists every tablet of a table`, {
          details: { table, serverId: server.serverId },
        });
      }
      const encoding = replyEncoding(request.query.encoding, boundsOf(views));
      const schema = server.schemaOf(table);
      return {
        table,
        serverId: server.serverId,
        encoding,
        ...(schema !== undefined && { schema }),
        memoryBytes: server.tableMemoryBytes(table),
        tablets: views.map((v) => tabletJson(v, encoding)),
      };
    },
  );
}
