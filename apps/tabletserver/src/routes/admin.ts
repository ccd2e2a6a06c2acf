// The admin API the master calls (cluster secret required, see
// http/cluster-secret.ts): load and unload tablets, split and compact
// them, flush memory data, and the server's status.

import {
  AdminEmptyBodySchema,
  KdiError,
  CompactBodySchema,
  LoadTabletBodySchema,
  SerializeReplySchema,
  SplitBodySchema,
  SplitReplySchema,
  StatusQuerySchema,
  StatusReplySchema,
  TabletViewSchema,
  ERROR_RESPONSES,
  NO_CONTENT,
  NO_QUERY,
  TabletParamsSchema,
} from '@kdi/protocol';
import type { FastifyRequest } from 'fastify';
import { masterSequencerCheck } from '../http/master-sequencer.js';
import { boundsOf, replyEncoding, tabletJson } from '../api/tablet-json.js';
import { decodeWireBytes, encodeWireBytes } from '../api/wire-bytes.js';
import type { TabletApp } from '../http/tablet-app.js';
import type { RouteDeps } from './route-deps.js';

export function registerAdminRoutes(app: TabletApp, { server, scans, disks, masterSequencers }: RouteDeps): void {
  const limits = server.limits;
  // Calls that move tablets need the current master's sequencer in a cluster.
  const fromMaster = masterSequencerCheck(masterSequencers);
  const preHandler = async (request: FastifyRequest) => fromMaster(request);

  app.post(
    '/v1/admin/tablets',
    {
      schema: {
        operationId: 'loadTablet',
        tags: ['admin'],
        summary: 'Load (serve) a tablet',
        description:
          'Registers the tablet as loading, opens it in the storage engine (creating it empty, or taking over the one the engine kept ' +
          'from before a restart), then serves it. ALREADY_EXISTS for a known id; FAILED_PRECONDITION when its range overlaps a tablet here. ' +
          'In a cluster (the server has a lock service) give epoch: the config is read from META (the root for META itself), location: must name ' +
          "this server with that epoch, the logs it names are replayed, and the config is rewritten naming this server's fragments and log before " +
          "the tablet serves (DESIGN §7). In a cluster, load, unload and split need the current master's sequencer (its exclusive lock on " +
          '/kdi/master) as JSON in the x-kdi-sequencer header; a stale one is FAILED_PRECONDITION.',
        querystring: NO_QUERY,
        body: LoadTabletBodySchema,
        response: { 201: TabletViewSchema, ...ERROR_RESPONSES },
      },
      preHandler,
    },
    async (request, reply) => {
      const b = request.body;
      const upper = b.upperInclusive === undefined ? undefined : decodeWireBytes(b.upperInclusive, b.encoding, 'upperInclusive', limits.maxRowBytes);
      if (b.epoch !== undefined) {
        for (const field of ['lowerExclusive', 'schema'] as const) {
          if (b[field] !== undefined) {
            throw new KdiError('INVALID_ARGUMENT', `${field} must be absent with epoch: a cluster load takes the tablet's bounds and schema from META`, { details: { field } });
          }
        }
        const view = await server.loadFromMeta({ table: b.table, tabletId: b.tabletId, upperInclusive: upper, epoch: b.epoch });
        return reply.code(201).send(tabletJson(view, replyEncoding(b.encoding, boundsOf([view]))));
      }
      const view = await server.loadTablet({
        table: b.table,
        tabletId: b.tabletId,
        lowerExclusive: b.lowerExclusive === undefined ? undefined : decodeWireBytes(b.lowerExclusive, b.encoding, 'lowerExclusive', limits.maxRowBytes),
        upperInclusive: upper,
        schema: b.schema,
      });
      return reply.code(201).send(tabletJson(view, replyEncoding(b.encoding, boundsOf([view]))));
    },
  );

  app.delete(
    '/v1/admin/tablets/:tabletId',
    {
      schema: {
        operationId: 'unloadTablet',
        tags: ['admin'],
        summary: 'Unload a tablet',
        description:
          'Stops writes (WRONG_TABLET from then on), waits for admitted applies, serializes memory data, stops reads and drops the tablet. ' +
          'Server-side scanners of its table are closed. FAILED_PRECONDITION unless it is serving.',
        params: TabletParamsSchema,
        querystring: NO_QUERY,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
      preHandler,
    },
    async (request, reply) => {
      await server.unloadTablet(request.params.tabletId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/admin/tablets/:tabletId/split',
    {
      schema: {
        operationId: 'splitTablet',
        tags: ['admin'],
        summary: 'Split a tablet',
        description:
          'Into (lower, row] and (row, upper]; without row, at the approximate median of its disk data. Both halves share its fragments until compacted. ' +
          'New ids are generated unless given.',
        params: TabletParamsSchema,
        querystring: NO_QUERY,
        body: SplitBodySchema,
        response: { 200: SplitReplySchema, ...ERROR_RESPONSES },
      },
      preHandler,
    },
    async (request) => {
      const b = request.body ?? { encoding: 'utf8' as const };
      const row = b.row === undefined ? undefined : decodeWireBytes(b.row, b.encoding, 'row', limits.maxRowBytes);
      const split = await server.splitTablet(request.params.tabletId, row, { low: b.lowTabletId, high: b.highTabletId });
      const encoding = replyEncoding(b.encoding, [split.row, ...boundsOf([split.low, split.high])]);
      return {
        parent: split.parent,
        row: encodeWireBytes(split.row, encoding),
        encoding,
        low: tabletJson(split.low, encoding),
        high: tabletJson(split.high, encoding),
      };
    },
  );

  app.post(
    '/v1/admin/tablets/:tabletId/compact',
    {
      schema: {
        operationId: 'compactTablet',
        tags: ['admin'],
        summary: "Compact a tablet's fragment chain",
        params: TabletParamsSchema,
        querystring: NO_QUERY,
        body: CompactBodySchema,
        response: { 200: TabletViewSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const view = await server.compactTablet(request.params.tabletId, request.body?.full ?? true);
      return tabletJson(view, replyEncoding('utf8', boundsOf([view])));
    },
  );

  app.post(
    '/v1/admin/serialize',
    {
      schema: {
        operationId: 'serialize',
        tags: ['admin'],
        summary: 'Write all memory data to disk fragments now',
        querystring: NO_QUERY,
        body: AdminEmptyBodySchema,
        response: { 200: SerializeReplySchema, ...ERROR_RESPONSES },
      },
    },
    async () => {
      await server.serialize();
      return { memoryBytes: server.engine.memoryBytes() };
    },
  );

  app.get(
    '/v1/admin/status',
    {
      schema: {
        operationId: 'getStatus',
        tags: ['admin'],
        summary: 'Server status: tablets, memory, disks, back-pressure',
        querystring: StatusQuerySchema,
        response: { 200: StatusReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const s = server.status();
      const dormant = server.dormantTablets();
      const encoding = replyEncoding(request.query.encoding, [...boundsOf(s.tablets), ...dormant.flatMap((d) => [d.lowerExclusive, d.upperInclusive])]);
      return {
        ...s,
        encoding,
        tablets: s.tablets.map((t) => tabletJson(t, encoding)),
        scanners: scans.scanners.size,
        dormantTablets: dormant.map((d) => ({
          tabletId: d.tabletId,
          table: d.table,
          ...(d.lowerExclusive !== undefined && { lowerExclusive: encodeWireBytes(d.lowerExclusive, encoding) }),
          ...(d.upperInclusive !== undefined && { upperInclusive: encodeWireBytes(d.upperInclusive, encoding) }),
          reason: d.reason,
          detail: d.detail,
        })),
        disks: await disks.statuses(),
      };
    },
  );
}
