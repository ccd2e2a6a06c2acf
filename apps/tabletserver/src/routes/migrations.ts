// The migration routes (DESIGN §10, docs/migration.md), under /v1/admin
// (cluster secret): the source's — migrate (the master's sequencer), list,
// abort — and the target's — prepare, file, commit — which the source
// calls with the master's sequencer it was given. Thin: schema → the
// server's Migrations (migration/migrations.ts) → reply.

import {
  CELL_BLOCK_MIME_TYPE,
  CommitMigrationBodySchema,
  CommitMigrationReplySchema,
  CRC32C_HEADER,
  decodeCellBlock,
  ERROR_RESPONSES,
  MigrateBodySchema,
  MigrationDeltaReplySchema,
  MigrateReplySchema,
  MigrationFileParamsSchema,
  MigrationListReplySchema,
  MigrationParamsSchema,
  MigrationStatusSchema,
  NO_CONTENT,
  NO_QUERY,
  KdiError,
  PreloadMigrationBodySchema,
  PrepareMigrationBodySchema,
  TabletParamsSchema,
} from '@kdi/protocol';
import { blockCrc32c } from '@kdi/storage';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Readable } from 'node:stream';
import { decodeWireBytes } from '../api/wire-bytes.js';
import { CellBlockBodySchema } from '../http/cell-content.js';
import { masterSequencerCheck, SEQUENCER_HEADER } from '../http/master-sequencer.js';
import type { TabletApp } from '../http/tablet-app.js';
import type { Migrations } from '../migration/migrations.js';
import type { RouteDeps } from './route-deps.js';

const OCTET_STREAM = 'application/octet-stream';

export function registerMigrationRoutes(app: TabletApp, { server, masterSequencers }: RouteDeps, migrations: Migrations): void {
  const limits = server.limits;
  const fromMaster = masterSequencerCheck(masterSequencers);
  const preHandler = async (request: FastifyRequest) => fromMaster(request);
  // A migration file is streamed to disk as it arrives, never buffered (and not bound by the body limit).
  app.addContentTypeParser(OCTET_STREAM, (_request, payload, done) => done(null, payload));

  app.post(
    '/v1/admin/tablets/:tabletId/migrate',
    {
      schema: {
        operationId: 'migrateTablet',
        tags: ['admin', 'migration'],
        summary: 'Move a tablet to another server (runs in the background)',
        description:
          'prepare → copy → catch-up → freeze → commit → done (docs/migration.md). Answers 202 at once; follow it in GET /v1/admin/migrations. ' +
          'NOT_FOUND when the tablet is not here; ALREADY_EXISTS when it is already moving or the migrationId is known; FAILED_PRECONDITION when it is ' +
          'not serving (META moves too: its commit writes the root); INVALID_ARGUMENT for a target that is this server or an epoch not above the tablet’s. Needs the master’s sequencer.',
        params: TabletParamsSchema,
        querystring: NO_QUERY,
        body: MigrateBodySchema,
        response: { 202: MigrateReplySchema, ...ERROR_RESPONSES },
      },
      preHandler,
    },
    async (request, reply) => {
      const b = request.body;
      const header = request.headers[SEQUENCER_HEADER];
      const rec = migrations.source.start({
        migrationId: b.migrationId,
        tabletId: request.params.tabletId,
        target: b.target,
        newEpoch: b.epoch,
        sequencer: typeof header === 'string' ? header : undefined,
      });
      return reply.code(202).send({ migrationId: rec.migrationId });
    },
  );

  app.get(
    '/v1/admin/migrations',
    {
      schema: {
        operationId: 'listMigrations',
        tags: ['admin', 'migration'],
        summary: 'The moves this server drives or receives: running, and the last 100 ended',
        querystring: NO_QUERY,
        response: { 200: MigrationListReplySchema, ...ERROR_RESPONSES },
      },
    },
    async () => ({ migrations: migrations.book.list() }),
  );

  app.delete(
    '/v1/admin/migrations/:migrationId',
    {
      schema: {
        operationId: 'abortMigration',
        tags: ['admin', 'migration'],
        summary: 'Abort a migration (either side)',
        description:
          'Answers the status after the call. A move past its point of no return is not aborted: at the source once commit was sent; at the target once its commit ' +
          'started (the answer then waits for the commit and says committed or aborted). When this server is both, the target side answers.',
        params: MigrationParamsSchema,
        querystring: NO_QUERY,
        response: { 200: MigrationStatusSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const id = request.params.migrationId;
      const target = await migrations.target.abort(id);
      if (target !== undefined) return target;
      const source = migrations.source.abort(id);
      if (source !== undefined) return source.status();
      throw new KdiError('NOT_FOUND', `no migration ${id} on server ${server.serverId}`, { details: { migrationId: id } });
    },
  );

  app.post(
    '/v1/admin/migrations/:migrationId',
    {
      schema: {
        operationId: 'prepareMigration',
        tags: ['admin', 'migration'],
        summary: 'Target: prepare to receive a tablet (called by the source)',
        description:
          'Makes the temp directory <data dir>/migrations/<migrationId>.tmp/ and records the migration (in memory). FAILED_PRECONDITION unless META assigns the tablet ' +
          'to the source with epoch. Needs the master’s sequencer.',
        params: MigrationParamsSchema,
        querystring: NO_QUERY,
        body: PrepareMigrationBodySchema,
        response: { 201: MigrationStatusSchema, ...ERROR_RESPONSES },
      },
      preHandler,
    },
    async (request, reply) => {
      const b = request.body;
      const rec = await migrations.target.prepare({
        migrationId: request.params.migrationId,
        tabletId: b.tabletId,
        table: b.table,
        lowerExclusive: b.lowerExclusive === undefined ? undefined : decodeWireBytes(b.lowerExclusive, b.encoding, 'lowerExclusive', limits.maxRowBytes),
        upperInclusive: b.upperInclusive === undefined ? undefined : decodeWireBytes(b.upperInclusive, b.encoding, 'upperInclusive', limits.maxRowBytes),
        source: b.source,
        epoch: b.epoch,
        newEpoch: b.newEpoch,
      });
      return reply.code(201).send(rec.status());
    },
  );

  app.put(
    '/v1/admin/migrations/:migrationId/files/:name',
    {
      schema: {
        operationId: 'putMigrationFile',
        tags: ['admin', 'migration'],
        summary: 'Target: receive one file of the tablet (called by the source)',
        description:
          `Body: the file's bytes as ${OCTET_STREAM}, streamed to the temp directory and fsynced; header ${CRC32C_HEADER}: the CRC-32C of the whole file ` +
          '(decimal). A mismatch is INVALID_ARGUMENT and the file is removed. Needs the master’s sequencer.',
        params: MigrationFileParamsSchema,
        querystring: NO_QUERY,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
      preHandler,
    },
    async (request, reply) => {
      if (request.headers['content-type']?.split(';')[0]?.trim() !== OCTET_STREAM) {
        throw new KdiError('INVALID_ARGUMENT', `a migration file is sent as Content-Type ${OCTET_STREAM}`, { details: { field: 'content-type' } });
      }
      const header = request.headers[CRC32C_HEADER];
      await migrations.target.receiveFile(request.params.migrationId, request.params.name, typeof header === 'string' ? header : undefined, request.body as Readable);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/admin/migrations/:migrationId/preload',
    {
      schema: {
        operationId: 'preloadMigration',
        tags: ['admin', 'migration'],
        summary: 'Target: load the tablet from the files received so far, not served yet (called by the source before it freezes)',
        description:
          'Moves the files the lists name into the engine and loads the tablet (indexes, blooms, in-memory groups) without serving it, its compactions held, ' +
          'and warms the block cache with the hot blocks; the commit then only takes what changed since. Needs the master’s sequencer.',
        params: MigrationParamsSchema,
        querystring: NO_QUERY,
        body: PreloadMigrationBodySchema,
        response: { 200: MigrationStatusSchema, ...ERROR_RESPONSES },
      },
      preHandler,
    },
    async (request) => (await migrations.target.preload(request.params.migrationId, request.body)).status(),
  );

  app.post(
    '/v1/admin/migrations/:migrationId/cells',
    {
      schema: {
        operationId: 'migrationDelta',
        tags: ['admin', 'migration'],
        summary: 'Target: a delta round — cells written at the source since its round before (called by the source between preload and freeze)',
        description:
          `Body: a cell block (${CELL_BLOCK_MIME_TYPE}), in the order the cells entered the source's memory. Applied to the preloaded tablet through this ` +
          'server’s log (durable); applying a cell again changes nothing. FAILED_PRECONDITION before the preload, during another round or once committing. ' +
          'Needs the master’s sequencer.',
        params: MigrationParamsSchema,
        querystring: NO_QUERY,
        body: { content: { [CELL_BLOCK_MIME_TYPE]: { schema: CellBlockBodySchema } } },
        response: { 200: MigrationDeltaReplySchema, ...ERROR_RESPONSES },
      },
      preHandler,
    },
    async (request) => {
      const body: unknown = request.body;
      if (!Buffer.isBuffer(body)) throw new KdiError('INVALID_ARGUMENT', `send the cells as a cell block (Content-Type: ${CELL_BLOCK_MIME_TYPE})`, { details: { field: 'body' } });
      return migrations.target.delta(request.params.migrationId, decodeCellBlock(body, { limits, crc32c: blockCrc32c }));
    },
  );

  app.post(
    '/v1/admin/migrations/:migrationId/commit',
    {
      schema: {
        operationId: 'commitMigration',
        tags: ['admin', 'migration'],
        summary: 'Target: take over the tablet (called by the source)',
        description:
          'After preload: the tablet takes the final lists (files received since moved into the engine), warms the block cache with the hot blocks, applies the memory cells through this server’s ' +
          'log, writes the config to META (the root for META itself) conditioned on location: naming the source with its epoch and state: migrating, and serves. UNAVAILABLE when the META write’s outcome is unknown. ' +
          `With a ${CELL_BLOCK_MIME_TYPE} body (the source after its delta rounds): the cells written since the last round; the tablet keeps the lists it preloaded. ` +
          'Needs the master’s sequencer.',
        params: MigrationParamsSchema,
        querystring: NO_QUERY,
        body: {
          content: {
            'application/json': { schema: CommitMigrationBodySchema },
            [CELL_BLOCK_MIME_TYPE]: { schema: CellBlockBodySchema },
          },
        },
        response: { 200: CommitMigrationReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      // The master's sequencer is checked as for the other migration calls, but while the commit does its own work
      // (inside the write stall): the target awaits it right before its META write.
      const authorized = fromMaster(request);
      authorized.catch(() => undefined); // awaited by the commit; a refusal before that point is its error
      const body: unknown = request.body;
      if (Buffer.isBuffer(body))
        return migrations.target.commit(request.params.migrationId, { memory: decodeCellBlock(body, { limits, crc32c: blockCrc32c }), hotBlocks: [] }, authorized);
      if (typeof body !== 'object' || body === null) {
        throw new KdiError('INVALID_ARGUMENT', `send the commit as JSON or as a cell block (Content-Type: ${CELL_BLOCK_MIME_TYPE})`, { details: { field: 'body' } });
      }
      return migrations.target.commit(request.params.migrationId, body as z.output<typeof CommitMigrationBodySchema>, authorized);
    },
  );
}
