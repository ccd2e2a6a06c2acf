// POST /v1/tables/{table}/stat — approximate cells and bytes a predicate
// touches, per tablet served here, from block indexes (DESIGN §4).

import { ERROR_RESPONSES, NO_QUERY, TableParamsSchema, StatBodySchema, StatReplySchema, PREDICATE_ROUTE_CONFIG, readWirePredicate } from '@kdi/protocol';
import type { TabletApp } from '../http/tablet-app.js';
import type { RouteDeps } from './route-deps.js';

export function registerStatRoute(app: TabletApp, { server }: RouteDeps): void {
  app.post(
    '/v1/tables/:table/stat',
    {
      config: PREDICATE_ROUTE_CONFIG,
      schema: {
        operationId: 'stat',
        tags: ['table'],
        summary: 'Estimate the cells and bytes of a predicate',
        description:
          'Whole disk blocks overlapping the rows (minus those the time range or family mask rule out) plus the memory data: ' +
          'overwritten and erased versions count. Only tablets served here whose rows the predicate meets are listed; WRONG_TABLET when none of the table is here.',
        params: TableParamsSchema,
        querystring: NO_QUERY,
        body: StatBodySchema,
        response: { 200: StatReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { predicate } = readWirePredicate(request.body.predicate, request.body.encoding, 'body.predicate');
      return server.stat(request.params.table, predicate);
    },
  );
}
