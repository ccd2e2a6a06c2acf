// GET /v1/meta/location — where META is served, as the root (/kdi/root)
// names it. Open (no cluster secret, read-only): it is how a client
// bootstraps from any tablet server (DESIGN §7, §12) — META's location
// first, then every tablet location through a scan of META. A server
// outside a cluster (no lock service) has no META: FAILED_PRECONDITION.

import { ERROR_RESPONSES, KdiError, META_TABLE, MetaLocationReplySchema, NO_QUERY } from '@kdi/protocol';
import type { TabletApp } from '../http/tablet-app.js';
import type { RouteDeps } from './route-deps.js';

export function registerMetaLocationRoute(app: TabletApp, { server }: RouteDeps): void {
  app.get(
    '/v1/meta/location',
    {
      schema: {
        operationId: 'getMetaLocation',
        tags: ['table'],
        summary: "META's location (read from the root); how clients bootstrap",
        description:
          'The server that serves the META table, as /kdi/root names it; location is absent while the master has not assigned META. ' +
          'Clients read the locations of every other tablet from META (scan rows "<table> <lastRow>" / "<table>!", columns first: and location:). ' +
          'No cluster secret is needed. FAILED_PRECONDITION on a server outside a cluster (no lock service, so no META).',
        querystring: NO_QUERY,
        response: { 200: MetaLocationReplySchema, ...ERROR_RESPONSES },
      },
    },
    async () => {
      const meta = server.meta;
      if (meta === undefined) {
        throw new KdiError('FAILED_PRECONDITION', `server ${server.serverId} is not in a cluster (no lock service), so there is no ${META_TABLE} table; clients need a cluster`);
      }
      const loc = await meta.locate(META_TABLE, new Uint8Array(0));
      return { table: 'META' as const, ...(loc !== undefined && { location: { serverId: loc.serverId, url: loc.url, epoch: loc.epoch } }) };
    },
  );
}
