// Service status: backend, incarnation, revision, safe mode, sessions.

import { LockServiceStatusSchema } from '@kdi/protocol';
import { ERROR_RESPONSES, NO_QUERY } from '../http/route-schemas.js';
import type { LockApp } from '../http/lock-app.js';
import type { LockService } from '../service/lock-service.js';

export function registerStatusRoutes(app: LockApp, service: LockService): void {
  app.get(
    '/v1/status',
    {
      schema: {
        operationId: 'getStatus',
        tags: ['status'],
        summary: 'The state of the lock service',
        querystring: NO_QUERY,
        response: { 200: LockServiceStatusSchema, ...ERROR_RESPONSES },
      },
    },
    async () => service.status(),
  );
}
