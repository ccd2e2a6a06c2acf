// GET /v1/servers (the tablet servers the master knows, live and dead),
// POST and DELETE /v1/servers/{serverId}/drain (admin token), and POST
// /v1/cluster/heartbeat (a tablet server's status; cluster secret).

import { DrainReplySchema, ERROR_RESPONSES, HeartbeatBodySchema, HeartbeatReplySchema, ListServersReplySchema, NO_QUERY, ServerParamsSchema } from '@kdi/protocol';
import type { FastifyRequest } from 'fastify';
import type { MasterApp } from '../http/master-app.js';
import type { Master } from '../node/master.js';

export function registerServerRoutes(app: MasterApp, master: Master, adminCheck: (request: FastifyRequest) => Promise<void>): void {
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
    '/v1/servers/:serverId/drain',
    {
      schema: {
        operationId: 'drainServer',
        tags: ['master'],
        summary: 'Drain a server: no new tablets, and every tablet it holds moved off',
        description:
          'The drain is kept in the lock service (/kdi/drain/<serverId>), so a new master continues it; the balancer moves the tablets off within ' +
          'its concurrency bound, checking every second. Once GET /v1/servers shows it with 0 tablets it may be stopped. META moves too, ' +
          'last (once its other tablets have left). NOT_FOUND for an unknown server, FAILED_PRECONDITION for a dead one. Needs the admin token when the master has one.',
        params: ServerParamsSchema,
        querystring: NO_QUERY,
        response: { 200: DrainReplySchema, ...ERROR_RESPONSES },
      },
      preHandler: adminCheck,
    },
    async (request) => master.drain(request.params.serverId, true),
  );

  app.delete(
    '/v1/servers/:serverId/drain',
    {
      schema: {
        operationId: 'undrainServer',
        tags: ['master'],
        summary: 'End the drain of a server: it takes tablets again',
        description:
          'Moves already started finish; nothing new is moved off. A server that is not draining answers draining: false. Needs the admin token when the master has one.',
        params: ServerParamsSchema,
        querystring: NO_QUERY,
        response: { 200: DrainReplySchema, ...ERROR_RESPONSES },
      },
      preHandler: adminCheck,
    },
    async (request) => master.drain(request.params.serverId, false),
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
