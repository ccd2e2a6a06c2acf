// POST /v1/admin/tables/:table/schema — the master pushes a schema change
// (DESIGN §6, §9): this server reads the table's schema from META again
// and applies it to the table's tablets here. Cluster secret and the
// current master's sequencer, like load and unload.

import { AdminEmptyBodySchema, ERROR_RESPONSES, NO_QUERY, ReloadSchemaReplySchema, TableParamsSchema } from '@kdi/protocol';
import { masterSequencerCheck } from '../http/master-sequencer.js';
import type { TabletApp } from '../http/tablet-app.js';
import type { RouteDeps } from './route-deps.js';

export function registerSchemaReloadRoute(app: TabletApp, { server, masterSequencers }: RouteDeps): void {
  const fromMaster = masterSequencerCheck(masterSequencers);
  app.post(
    '/v1/admin/tables/:table/schema',
    {
      schema: {
        operationId: 'reloadTableSchema',
        tags: ['admin'],
        summary: "Reload a table's schema from META",
        description:
          "Reads the table's schema from its META row again and applies it to the table's tablets on this server: writes to families no group " +
          'holds are refused from then on, new fragments follow the new groups, existing ones are repartitioned by compaction. NOT_FOUND when ' +
          'no tablet of the table is here; FAILED_PRECONDITION when the server has no META (no lock service) or the schema in META is invalid ' +
          "(the last valid schema stays). In a cluster the current master's sequencer is required in x-kdi-sequencer.",
        params: TableParamsSchema,
        querystring: NO_QUERY,
        body: AdminEmptyBodySchema,
        response: { 200: ReloadSchemaReplySchema, ...ERROR_RESPONSES },
      },
      preHandler: async (request) => fromMaster(request),
    },
    async (request) => {
      const table = request.params.table;
      return { table, tablets: await server.reloadSchema(table) };
    },
  );
}
