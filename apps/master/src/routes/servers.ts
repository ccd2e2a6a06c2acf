// GET /v1/servers (the tablet servers the master knows, live and dead) and
// POST /v1/cluster/heartbeat (a tablet server's status; cluster secret).

import { ERROR_RESPONSES, HeartbeatBodySchema, HeartbeatReplySchema, ListServersReplySchema, NO_QUERY } from '@kdi/protocol';
import type { MasterApp } from '../http/master-app.js';
import type { Master } from '../node/master.js';

export function registerServerRoutes(app: MasterApp, master: Master): void {
  app.get(
    '/v1/servers',
    {
      schema: {
        operationId: 'listServers',
        tags: ['master'],
        summary: 'Tablet servers: live ones and the dead ones this master saw',
        querystring: NO_QUERY,
        response: { 200: ListServersReplySchema, ...ERROR_RESPONSES },
      },
    },
    async () => ({ servers: await master.servers() }),
  );

  app.post(
    '/v1/cluster/heartbeat',
    {
      schema: {
        operationId: 'heartbeat',
        tags: ['cluster'],
        summary: "A tablet server's status (cluster secret)",
        description:
          'Sent by each tablet server every intervalMs (the reply says how often) and at once after a change. A server that holds no ' +
          '/kdi/servers/<id> file is not counted live until the master sees its file. UNAVAILABLE on a standby (it names the active master).',
        querystring: NO_QUERY,
        body: HeartbeatBodySchema,
        response: { 200: HeartbeatReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => master.heartbeat(request.body),
  );
}
