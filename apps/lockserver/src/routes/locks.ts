// Locks: acquire (try, or wait up to waitMs) and release.

import { AcquireRequestSchema, AcquireResultSchema, ReleaseResultSchema, SessionIdSchema } from '@kdi/protocol';
import { z } from 'zod';
import { clientGoneSignal, ERROR_RESPONSES, NO_QUERY, WildcardParamsSchema } from '../http/route-schemas.js';
import type { LockApp } from '../http/lock-app.js';
import type { LockService } from '../service/lock-service.js';
import { pathFromWildcard } from '../service/paths.js';

const ReleaseQuerySchema = z.strictObject({ sessionId: SessionIdSchema });

export function registerLockRoutes(app: LockApp, service: LockService): void {
  app.post(
    '/v1/locks/*',
    {
      schema: {
        operationId: 'acquireLock',
        tags: ['locks'],
        summary: 'Acquire a lock on a file',
        description:
          'Answers {acquired:true, sequencer} or {acquired:false, reason, retryAfterMs}. waitMs > 0 waits for the lock ' +
          'up to that long. A retry with the same sessionId and requestId returns the same grant.',
        params: WildcardParamsSchema,
        body: AcquireRequestSchema,
        querystring: NO_QUERY,
        response: { 200: AcquireResultSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => service.acquire(pathFromWildcard(request.params['*']), request.body, clientGoneSignal(reply)),
  );

  app.delete(
    '/v1/locks/*',
    {
      schema: {
        operationId: 'releaseLock',
        tags: ['locks'],
        summary: "Release the session's hold on a lock",
        description: 'released is false when the session held no lock on the file.',
        params: WildcardParamsSchema,
        querystring: ReleaseQuerySchema,
        response: { 200: ReleaseResultSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => service.release(pathFromWildcard(request.params['*']), request.query.sessionId),
  );
}
