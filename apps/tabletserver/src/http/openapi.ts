// The OpenAPI 3 document, generated from the routes' zod schemas
// (fastify-type-provider-zod's jsonSchemaTransform), served at
// /openapi.json and browsable at /docs.
//
// Routes that take a JSON or a binary cell block body declare the body per
// content type (`body: {content: {...}}`, which Fastify validates per media
// type); the transform documents the JSON schema and the cell block as an
// opaque binary string. /v1/admin operations are marked as needing the
// cluster secret.

import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { CELL_BLOCK_MIME_TYPE } from '@kdi/protocol';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { isAdminPath } from './cluster-secret.js';
import type { TabletApp } from './tablet-app.js';

type Transform = typeof jsonSchemaTransform;

interface RouteSchema {
  body?: unknown;
  response?: Record<string, unknown>;
  security?: unknown;
  hide?: boolean;
}

const BINARY = { type: 'string', format: 'binary', description: `A cell block (${CELL_BLOCK_MIME_TYPE}, DESIGN §2)` };

function isContentBody(body: unknown): body is { content: Record<string, { schema: unknown }> } {
  return typeof body === 'object' && body !== null && 'content' in body;
}

function transform(input: Parameters<Transform>[0]): ReturnType<Transform> {
  const schema = (input.schema ?? {}) as RouteSchema;
  let bodyContent: Record<string, { schema: unknown }> | undefined;
  let inputForZod = input;
  if (isContentBody(schema.body)) {
    bodyContent = schema.body.content;
    const json = bodyContent['application/json']?.schema;
    const { body: _omitted, ...rest } = schema;
    inputForZod = { ...input, schema: (json === undefined ? rest : { ...rest, body: json }) as typeof input.schema };
  }
  const out = jsonSchemaTransform(inputForZod);
  const outSchema = out.schema as RouteSchema;
  if (bodyContent !== undefined) {
    const content: Record<string, { schema: unknown }> = {};
    for (const type of Object.keys(bodyContent)) content[type] = { schema: type === 'application/json' ? outSchema.body : BINARY };
    outSchema.body = { content };
  }
  if (isAdminPath(out.url) && !outSchema.hide) outSchema.security = [{ clusterSecret: [] }];
  // type 'null' makes @fastify/swagger leave the content out.
  if (outSchema.response?.['204'] !== undefined) outSchema.response['204'] = { type: 'null', description: 'No content' };
  return out;
}

export async function registerOpenApi(app: TabletApp, opts: { version: string }): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'KDI tablet server',
        version: opts.version,
        description:
          'The Table API (apply, sync, scan, stat, table info; DESIGN §4) and the admin API the master uses. ' +
          `Cells travel as JSON or as binary ${CELL_BLOCK_MIME_TYPE} blocks, chosen by Content-Type / Accept. ` +
          'Errors are {error:{code,message,details,retryAfterMs,requestId}} with the status of the KDI error catalogue.',
      },
      components: { securitySchemes: { clusterSecret: { type: 'http', scheme: 'bearer', description: 'The cluster secret' } } },
    },
    transform: transform as Transform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', logLevel: 'warn' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
