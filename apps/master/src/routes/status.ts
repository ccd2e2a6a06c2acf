// GET /v1/master (active or standby, with counts), GET /v1/events (the
// recent-events ring) and GET /v1/meta/location (where META is, from
// /kdi/root: how connect({ master }) bootstraps; open, and answered by
// standbys too, since it only reads the lock service).

import { readRoot } from '@kdi/client-sdk';
import { ERROR_RESPONSES, EventsQuerySchema, EventsReplySchema, MasterStatusReplySchema, MetaLocationReplySchema, NO_QUERY } from '@kdi/protocol';
import type { MasterApp } from '../http/master-app.js';
import type { Master } from '../node/master.js';

export function registerStatusRoutes(app: MasterApp, master: Master): void {
  app.get(
    '/v1/master',
    {
      schema: {
        operationId: 'getMaster',
        tags: ['master'],
        summary: 'This master: active or standby, and counts',
        description: 'A standby names no counts (zeros); every other master route on a standby is UNAVAILABLE naming the active master (details.activeMaster).',
        querystring: NO_QUERY,
        response: { 200: MasterStatusReplySchema, ...ERROR_RESPONSES },
      },
    },
    async () => master.status(),
  );

  app.get(
    '/v1/events',
    {
      schema: {
        operationId: 'listEvents',
        tags: ['master'],
        summary: 'Recent cluster events, oldest first',
        description:
          'The master keeps the last KDI_MASTER_HISTORY_EVENTS (1000) events (assignments, loads, deaths, DDL, GC, moves, balancer runs), across a failover too: ' +
          'a master that takes over lists its predecessor’s and numbers its own after them. `after` returns only newer ones (poll with the last seq seen).',
        querystring: EventsQuerySchema,
        response: { 200: EventsReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      master.active();
      const { limit, after } = request.query;
      return { events: master.events.list({ limit, after: after === undefined ? undefined : Number(after) }) };
    },
  );

  app.get(
    '/v1/meta/location',
    {
      schema: {
        operationId: 'getMetaLocation',
        tags: ['master'],
        summary: "META's location (read from the root); how clients bootstrap",
        description:
          'The tablet server that serves the META table, as /kdi/root names it; location is absent while META is not assigned. ' +
          'The same reply as a tablet server gives. No secret is needed.',
        querystring: NO_QUERY,
        response: { 200: MetaLocationReplySchema, ...ERROR_RESPONSES },
      },
    },
    async () => {
      const loc = (await readRoot(master.lock))?.config.location;
      return { table: 'META' as const, ...(loc !== undefined && { location: { serverId: loc.serverId, url: loc.url, epoch: loc.epoch } }) };
    },
  );
}
