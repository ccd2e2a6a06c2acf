// The table routes of the master API (DESIGN §9): list, create, describe,
// drop, set schema, and a table's tablets. Create, drop and set-schema
// need the admin token when the master has one (http/auth.ts).

import {
  CreateTableBodySchema,
  DropTableReplySchema,
  ERROR_RESPONSES,
  ListTablesReplySchema,
  NO_QUERY,
  SetSchemaReplySchema,
  TableDescriptionSchema,
  TableParamsSchema,
  TableSchemaSchema,
  TableTabletsQuerySchema,
  TableTabletsReplySchema,
} from '@kdi/protocol';
import type { FastifyRequest } from 'fastify';
import type { MasterApp } from '../http/master-app.js';
import type { Master } from '../node/master.js';

export function registerTableRoutes(app: MasterApp, master: Master, adminCheck: (request: FastifyRequest) => Promise<void>): void {
  app.get(
    '/v1/tables',
    {
      schema: {
        operationId: 'listTables',
        tags: ['tables'],
        summary: 'Tables, with their tablet counts and sizes',
        querystring: NO_QUERY,
        response: { 200: ListTablesReplySchema, ...ERROR_RESPONSES },
      },
    },
    async () => ({ tables: await master.active().tables.list() }),
  );

  app.post(
    '/v1/tables',
    {
      schema: {
        operationId: 'createTable',
        tags: ['tables'],
        summary: 'Create a table, optionally pre-split',
        description:
          'Writes the table and one tablet per range to META, then assigns the tablets to the least-loaded live servers; the reply shows ' +
          'them loading or serving (poll GET /v1/tables/{table} until all serve). ALREADY_EXISTS (409) for an existing table; INVALID_ARGUMENT ' +
          'for a bad name, schema or split rows (empty, repeated, too long), and for META.',
        querystring: NO_QUERY,
        body: CreateTableBodySchema,
        response: { 201: TableDescriptionSchema, ...ERROR_RESPONSES },
      },
      preHandler: adminCheck,
    },
    async (request, reply) => {
      const b = request.body;
      const d = await master.active().tables.create({ name: b.name, schema: b.schema, splits: b.splits, encoding: b.encoding });
      return reply.code(201).send(d);
    },
  );

  app.get(
    '/v1/tables/:table',
    {
      schema: {
        operationId: 'describeTable',
        tags: ['tables'],
        summary: 'A table: schema, state and tablets (ranges, locations, sizes, states)',
        description: 'Read from META, so splits the servers made show at once. Bounds are base64 (and encoding says so) when one is not UTF-8.',
        params: TableParamsSchema,
        querystring: TableTabletsQuerySchema,
        response: { 200: TableDescriptionSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => master.active().tables.describe(request.params.table, request.query.encoding),
  );

  app.delete(
    '/v1/tables/:table',
    {
      schema: {
        operationId: 'dropTable',
        tags: ['tables'],
        summary: 'Drop a table',
        description:
          'Marks it deleting, unloads its tablets, erases its META rows; its files are deleted by the file GC after the grace period. NOT_FOUND for an unknown table; FAILED_PRECONDITION for META.',
        params: TableParamsSchema,
        querystring: NO_QUERY,
        response: { 200: DropTableReplySchema, ...ERROR_RESPONSES },
      },
      preHandler: adminCheck,
    },
    async (request) => master.active().tables.drop(request.params.table),
  );

  app.put(
    '/v1/tables/:table/schema',
    {
      schema: {
        operationId: 'setTableSchema',
        tags: ['tables'],
        summary: "Set a table's schema (locality groups)",
        description:
          'Validated, written to META, then pushed to every server serving a tablet of the table; servers that did not take it are listed as pending ' +
          '(they read it from META when they next load a tablet of the table).',
        params: TableParamsSchema,
        querystring: NO_QUERY,
        body: TableSchemaSchema,
        response: { 200: SetSchemaReplySchema, ...ERROR_RESPONSES },
      },
      preHandler: adminCheck,
    },
    async (request) => master.active().tables.setSchema(request.params.table, request.body),
  );

  app.get(
    '/v1/tables/:table/tablets',
    {
      schema: {
        operationId: 'listTablets',
        tags: ['tables'],
        summary: "A table's tablets in row order",
        params: TableParamsSchema,
        querystring: TableTabletsQuerySchema,
        response: { 200: TableTabletsReplySchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => master.active().tables.tablets(request.params.table, request.query.encoding),
  );
}
