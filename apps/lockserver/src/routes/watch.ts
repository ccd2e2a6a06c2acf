// Watches: long-poll for events on a file, or below a directory.

import { WatchQuerySchema, WatchResultSchema } from '@kdi/protocol';
import { clientGoneSignal, ERROR_RESPONSES } from '../http/route-schemas.js';
import type { LockApp } from '../http/lock-app.js';
import type { LockService } from '../service/lock-service.js';

export function registerWatchRoutes(app: LockApp, service: LockService): void {
  app.get(
    '/v1/watch',
    {
      schema: {
        operationId: 'watch',
        tags: ['watch'],
        summary: 'Wait for events on a file or below a directory',
        description:
          'Returns the matching events after `after` (omitted: from now), waiting up to timeoutMs for one. ' +
          "Pass the answer's revision as the next `after`. reset=true means history was lost: re-read, then watch from revision.",
        querystring: WatchQuerySchema,
        response: { 200: WatchResultSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => service.watch(request.query, clientGoneSignal(reply)),
  );
}
