// The disk routes (issue 11, docs/disks.md), under /v1/admin (cluster
// secret; no master sequencer: a disk migration moves files within this
// server, the tablet stays where META says): disk-capacity, disk-replica,
// disk migrations (start, list, one) and disk-balance. Thin: schema →
// ServerDisks (disks/server-disks.ts) → reply.

import {
  DiskBalanceBodySchema,
  DiskBalanceReplySchema,
  DiskCapacityReplySchema,
  DiskMigrationBodySchema,
  DiskMigrationListReplySchema,
  DiskMigrationParamsSchema,
  DiskMigrationStatusSchema,
  DiskQuerySchema,
  DiskReplicaReplySchema,
  ERROR_RESPONSES,
  NO_QUERY,
} from '@kdi/protocol';
import type { FastifyRequest } from 'fastify';
import type { ServerDisks } from '../disks/server-disks.js';
import type { TabletApp } from '../http/tablet-app.js';
import type { RouteDeps } from './route-deps.js';

/** No body at all is the same as {} (curl -XPOST … with nothing to say). */
async function emptyBodyIsObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

export function registerDiskRoutes(app: TabletApp, { server }: RouteDeps, disks: ServerDisks): void {
  app.get(
    '/v1/admin/disks',
    {
      schema: {
        operationId: 'diskCapacity',
        tags: ['admin', 'disks'],
        summary: "disk-capacity: each disk's capacity, used, free and KDI bytes, usage, state and tablets",
        description:
          'Used is capacity − free on the filesystem (KDI files and others); usage = used ÷ capacity. state is the engine’s: ok, high-water (takes no new fragments) or full. ' +
          '?disk= (an index or an absolute path) answers that disk only; an unknown one is INVALID_ARGUMENT.',
        querystring: DiskQuerySchema,
        response: { 200: DiskCapacityReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => ({ serverId: server.serverId, disks: await disks.capacity(request.query.disk) }),
  );

  app.get(
    '/v1/admin/disks/tablets',
    {
      schema: {
        operationId: 'diskReplica',
        tags: ['admin', 'disks'],
        summary: 'disk-replica: the tablets on each disk with their bytes there',
        description: 'A tablet split over two disks (during or after a migration, or by placement) is listed on each. ?disk= answers that disk only.',
        querystring: DiskQuerySchema,
        response: { 200: DiskReplicaReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => ({ serverId: server.serverId, disks: disks.replica(request.query.disk) }),
  );

  app.post(
    '/v1/admin/disk-migrations',
    {
      schema: {
        operationId: 'startDiskMigration',
        tags: ['admin', 'disks'],
        summary: "disk-migrate: move a tablet's fragment files to another disk of this server (runs in the background)",
        description:
          'IDLE → MOVING → MOVED → CLOSED → COMPLETED (docs/disks.md); the tablet keeps serving reads and writes. Answers 202 with the status at once; follow it with ' +
          'GET /v1/admin/disk-migrations/{tablet}. INVALID_ARGUMENT for the same disk twice, an unknown disk or a tablet with no file on `from`; NOT_FOUND for a tablet ' +
          'not on this server; ALREADY_EXISTS (409) while a disk migration of the tablet runs.',
        querystring: NO_QUERY,
        body: DiskMigrationBodySchema,
        response: { 202: DiskMigrationStatusSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const b = request.body;
      return reply.code(202).send(disks.startMigration(b.tablet, b.from, b.to));
    },
  );

  app.get(
    '/v1/admin/disk-migrations',
    {
      schema: {
        operationId: 'listDiskMigrations',
        tags: ['admin', 'disks'],
        summary: 'Disk migrations: the running ones and the last one of each tablet',
        querystring: NO_QUERY,
        response: { 200: DiskMigrationListReplySchema, ...ERROR_RESPONSES },
      },
    },
    async () => ({ serverId: server.serverId, migrations: disks.migrations() }),
  );

  app.get(
    '/v1/admin/disk-migrations/:tablet',
    {
      schema: {
        operationId: 'getDiskMigration',
        tags: ['admin', 'disks'],
        summary: "A tablet's disk migration: running, or the last that ended (NOT_FOUND if it never had one)",
        params: DiskMigrationParamsSchema,
        querystring: NO_QUERY,
        response: { 200: DiskMigrationStatusSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => disks.migration(request.params.tablet),
  );

  app.post(
    '/v1/admin/disk-balance',
    {
      schema: {
        operationId: 'diskBalance',
        tags: ['admin', 'disks'],
        summary: 'disk-balance: plan moves that even out the disks’ usage, and start the first (one at a time)',
        description:
          'The planner (docs/disks.md): nothing to do while the fullest disk is under usageFloor or the skew (max − min usage) is at or under skewThreshold; ' +
          'otherwise the largest tablet of at least minTabletBytes that fits without overshooting the mean, onto the disk with the most room. ' +
          'Unless dryRun the first move is started (started); a move that could not start says why (error). Ask again once it has ended.',
        querystring: NO_QUERY,
        body: DiskBalanceBodySchema,
        response: { 200: DiskBalanceReplySchema, ...ERROR_RESPONSES },
      },
      preValidation: emptyBodyIsObject,
    },
    async (request) => disks.balance(request.body),
  );
}
