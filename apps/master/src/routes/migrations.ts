// Tablet moves (docs/migration.md "Master"): POST /v1/tablets/{tabletId}/move
// (admin token), GET /v1/migrations and GET /v1/migrations/{migrationId}.

import {
  ERROR_RESPONSES,
  KdiError,
  ListMigrationsReplySchema,
  MasterMigrationSchema,
  MasterMigrationParamsSchema,
  MoveTabletBodySchema,
  MoveTabletParamsSchema,
  MoveTabletReplySchema,
  NO_QUERY,
} from '@kdi/protocol';
import type { FastifyRequest } from 'fastify';
import { emptyBodyIsObject } from '../http/empty-body.js';
import type { MasterApp } from '../http/master-app.js';
import type { Master } from '../node/master.js';

export function registerMigrationRoutes(app: MasterApp, master: Master, adminCheck: (request: FastifyRequest) => Promise<void>): void {
  app.post(
    '/v1/tablets/:tabletId/move',
    {
      schema: {
        operationId: 'moveTablet',
        tags: ['migrations'],
        summary: 'Move a tablet to another server while it keeps serving',
        description:
          'Asks the tablet’s server (the source) to move it (docs/migration.md): 202 with the move, which runs in the background — follow it at ' +
          'GET /v1/migrations/{migrationId}. META moves too (tablet id meta; its commit writes the root). Without target the master picks the ' +
          'least-loaded other live server that is not draining. ' +
          'NOT_FOUND: no live server serves that tablet id, or the target is unknown; INVALID_ARGUMENT: the target is the tablet’s own server; ' +
          'FAILED_PRECONDITION: a dead or draining target, no other server, or a source that refuses; ALREADY_EXISTS: the tablet is already ' +
          'moving (details.migrationId); UNAVAILABLE: the source did not answer. Needs the admin token when the master has one.',
        params: MoveTabletParamsSchema,
        querystring: NO_QUERY,
        body: MoveTabletBodySchema,
        response: { 202: MoveTabletReplySchema, ...ERROR_RESPONSES },
      },
      // No body at all is the same as {} (curl -XPOST … with nothing to say).
      preValidation: emptyBodyIsObject,
      preHandler: adminCheck,
    },
    async (request, reply) => {
      const migration = await master.active().migrations.move({ tabletId: request.params.tabletId, target: request.body.target, reason: 'manual' });
      return reply.code(202).send({ migration });
    },
  );

  app.get(
    '/v1/migrations',
    {
      schema: {
        operationId: 'listMigrations',
        tags: ['migrations'],
        summary: 'Tablet moves: the running ones and the last 100 ended, newest first',
        description:
          "The master's records (requested, target, outcome) with the source's progress (step, bytes and files copied, step durations), polled every second; " +
          'the last KDI_MASTER_HISTORY_MOVES (100) ended. Kept across a failover: the active master writes them to the lock service, and a master that takes over ' +
          "lists them and learns moves it was not told of from their sources (reason 'unknown', epoch 0).",
        querystring: NO_QUERY,
        response: { 200: ListMigrationsReplySchema, ...ERROR_RESPONSES },
      },
    },
    async () => ({ migrations: master.active().migrations.book.list() }),
  );

  app.get(
    '/v1/migrations/:migrationId',
    {
      schema: {
        operationId: 'getMigration',
        tags: ['migrations'],
        summary: 'One tablet move',
        params: MasterMigrationParamsSchema,
        querystring: NO_QUERY,
        response: { 200: MasterMigrationSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const m = master.active().migrations.book.get(request.params.migrationId);
      if (m === undefined) {
        throw new KdiError(
          'NOT_FOUND',
          `no move ${request.params.migrationId} is known to this master (it keeps the running ones and the last KDI_MASTER_HISTORY_MOVES ended); GET /v1/migrations lists them`,
          {
            details: { migrationId: request.params.migrationId },
          },
        );
      }
      return m;
    },
  );
}
