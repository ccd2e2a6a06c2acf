// Sessions: open with a TTL, keep alive, close (lock-api.ts).

import { OpenSessionRequestSchema, SessionIdSchema, SessionInfoSchema } from '@kdi/protocol';
import { z } from 'zod';
import { ERROR_RESPONSES, NO_CONTENT, NO_QUERY } from '../http/route-schemas.js';
import type { LockApp } from '../http/lock-app.js';
import type { LockService } from '../service/lock-service.js';

const SessionParamsSchema = z.strictObject({ sessionId: SessionIdSchema });

export function registerSessionRoutes(app: LockApp, service: LockService): void {
  app.post(
    '/v1/sessions',
    {
      schema: {
        operationId: 'openSession',
        tags: ['sessions'],
        summary: 'Open a session',
        description: 'The body may be omitted. ttlMs is clamped to the server limits; keep the session alive within it.',
        body: OpenSessionRequestSchema.nullish(),
        querystring: NO_QUERY,
        response: { 201: SessionInfoSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const info = await service.openSession(request.body?.ttlMs);
      return reply.code(201).send(info);
    },
  );

  app.post(
    '/v1/sessions/:sessionId/keepalive',
    {
      schema: {
        operationId: 'keepAlive',
        tags: ['sessions'],
        summary: 'Extend the lease by the session TTL from now',
        description: 'NOT_FOUND when the session has expired or was closed: its locks and ephemeral files are gone.',
        params: SessionParamsSchema,
        querystring: NO_QUERY,
        response: { 200: SessionInfoSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => service.keepAlive(request.params.sessionId),
  );

  app.delete(
    '/v1/sessions/:sessionId',
    {
      schema: {
        operationId: 'closeSession',
        tags: ['sessions'],
        summary: 'Close a session',
        description: 'Its locks are released at once (no lock-delay) and its ephemeral files deleted.',
        params: SessionParamsSchema,
        querystring: NO_QUERY,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await service.closeSession(request.params.sessionId);
      return reply.code(204).send(null);
    },
  );
}
