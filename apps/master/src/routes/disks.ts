// A tablet server's disks through the master (issue 11, docs/disks.md):
// disk-capacity, disk-replica, disk migrations and disk-balance under
// /v1/servers/{serverId}/…, answered by that server (disks/disk-proxy.ts);
// and GET /v1/disk-balance/decisions, the automatic mode's decisions.
// Starting a migration and a disk balance that is not a dry run need the
// admin token when the master has one.

import {
  DiskBalanceBodySchema,
  DiskBalanceDecisionsQuerySchema,
  DiskBalanceDecisionsReplySchema,
  DiskBalanceReplySchema,
  DiskCapacityReplySchema,
  DiskMigrationBodySchema,
  DiskMigrationListReplySchema,
  DiskMigrationStatusSchema,
  DiskQuerySchema,
  DiskReplicaReplySchema,
  ERROR_RESPONSES,
  NO_QUERY,
  ServerParamsSchema,
  TabletIdSchema,
} from '@kdi/protocol';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { emptyBodyIsObject } from '../http/empty-body.js';
import type { MasterApp } from '../http/master-app.js';
import type { Master } from '../node/master.js';

const ServerTabletParamsSchema = z.strictObject({ serverId: ServerParamsSchema.shape.serverId, tablet: TabletIdSchema });

const withQuery = (path: string, disk: string | undefined) => (disk === undefined ? path : `${path}?disk=${encodeURIComponent(disk)}`);

export function registerDiskRoutes(app: MasterApp, master: Master, adminCheck: (request: FastifyRequest) => Promise<void>): void {
  const proxy = () => master.active().diskProxy;
  const by =
    'Answered by the server (its /v1/admin route of the same name); NOT_FOUND for an unknown server, FAILED_PRECONDITION for a dead one, UNAVAILABLE when it does not answer.';

  app.get(
    '/v1/servers/:serverId/disks',
    {
      schema: {
        operationId: 'serverDiskCapacity',
        tags: ['disks'],
        summary: "disk-capacity of a server: each disk's capacity, used, free and KDI bytes, usage, state and tablets",
        description: `?disk= (an index or an absolute path) answers that disk only. ${by}`,
        params: ServerParamsSchema,
        querystring: DiskQuerySchema,
        response: { 200: DiskCapacityReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => proxy().call(request.params.serverId, 'GET', withQuery('/disks', request.query.disk), DiskCapacityReplySchema),
  );

  app.get(
    '/v1/servers/:serverId/disks/tablets',
    {
      schema: {
        operationId: 'serverDiskReplica',
        tags: ['disks'],
        summary: 'disk-replica of a server: the tablets on each disk with their bytes there',
        description: by,
        params: ServerParamsSchema,
        querystring: DiskQuerySchema,
        response: { 200: DiskReplicaReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => proxy().call(request.params.serverId, 'GET', withQuery('/disks/tablets', request.query.disk), DiskReplicaReplySchema),
  );

  app.get(
    '/v1/servers/:serverId/disk-migrations',
    {
      schema: {
        operationId: 'serverDiskMigrations',
        tags: ['disks'],
        summary: "A server's disk migrations: running ones and the last of each tablet",
        description: by,
        params: ServerParamsSchema,
        querystring: NO_QUERY,
        response: { 200: DiskMigrationListReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => proxy().call(request.params.serverId, 'GET', '/disk-migrations', DiskMigrationListReplySchema),
  );

  app.post(
    '/v1/servers/:serverId/disk-migrations',
    {
      schema: {
        operationId: 'serverStartDiskMigration',
        tags: ['disks'],
        summary: "disk-migrate: move a tablet's files to another disk of its server (runs in the background)",
        description:
          'Answers 202 with the status at once. INVALID_ARGUMENT for the same disk twice, an unknown disk or a tablet with no file on `from`; NOT_FOUND for a tablet not on the server; ' +
          `ALREADY_EXISTS (409) while a disk migration of the tablet runs. Needs the admin token when the master has one. ${by}`,
        params: ServerParamsSchema,
        querystring: NO_QUERY,
        body: DiskMigrationBodySchema,
        response: { 202: DiskMigrationStatusSchema, ...ERROR_RESPONSES },
      },
      preHandler: adminCheck,
    },
    async (request, reply) => reply.code(202).send(await proxy().call(request.params.serverId, 'POST', '/disk-migrations', DiskMigrationStatusSchema, request.body)),
  );

  app.get(
    '/v1/servers/:serverId/disk-migrations/:tablet',
    {
      schema: {
        operationId: 'serverDiskMigration',
        tags: ['disks'],
        summary: "A tablet's disk migration on its server: running, or the last that ended (NOT_FOUND if none)",
        description: by,
        params: ServerTabletParamsSchema,
        querystring: NO_QUERY,
        response: { 200: DiskMigrationStatusSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => proxy().call(request.params.serverId, 'GET', `/disk-migrations/${encodeURIComponent(request.params.tablet)}`, DiskMigrationStatusSchema),
  );

  app.post(
    '/v1/servers/:serverId/disk-balance',
    {
      schema: {
        operationId: 'serverDiskBalance',
        tags: ['disks'],
        summary: "disk-balance of a server: plan moves that even out its disks' usage, and start the first",
        description: `Unless dryRun the server starts the plan's first move (started), or says why it could not (error). Needs the admin token when the master has one, except for a dry run. ${by}`,
        params: ServerParamsSchema,
        querystring: NO_QUERY,
        body: DiskBalanceBodySchema,
        response: { 200: DiskBalanceReplySchema, ...ERROR_RESPONSES },
      },
      preValidation: emptyBodyIsObject,
      preHandler: async (request) => {
        if ((request.body as { dryRun?: boolean } | undefined)?.dryRun !== true) await adminCheck(request);
      },
    },
    async (request) => proxy().call(request.params.serverId, 'POST', '/disk-balance', DiskBalanceReplySchema, request.body),
  );

  app.get(
    '/v1/disk-balance/decisions',
    {
      schema: {
        operationId: 'listDiskBalanceDecisions',
        tags: ['disks'],
        summary: "The automatic disk balance's recent decisions, newest first, and its settings",
        description:
          'With KDI_MASTER_DISK_BALANCE=auto, each round asks every live server with no disk migration running for its disk-balance; each server’s round is a decision ' +
          '(started, balanced, waiting, failed) with its reason. A quiet one (balanced, waiting) replaces that server’s previous quiet one. Started and failed ones are events too (kind disk-balance).',
        querystring: DiskBalanceDecisionsQuerySchema,
        response: { 200: DiskBalanceDecisionsReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const d = master.active().diskBalance;
      return { decisions: d.decisions(request.query.limit), settings: d.settings };
    },
  );
}
