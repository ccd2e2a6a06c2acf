// The OpenAPI 3 document of a server, generated from its routes' zod
// schemas (fastify-type-provider-zod's jsonSchemaTransform), served at
// /openapi.json and browsable at /docs.
//
// The chassis' transform: zod → JSON schema, a 204 documented without
// content, and `security` on the operations the app says need the bearer.
// An app with more needs (a URL wildcard's name, per-content-type bodies)
// wraps it: its `transform` gets the route and the chassis' transform.

import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject, jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { $ZodRegistry } from 'zod/v4/core';
import { finishDocument } from './openapi-document.js';

export type OpenApiTransform = typeof jsonSchemaTransform;
export type OpenApiTransformInput = Parameters<OpenApiTransform>[0];
export type OpenApiTransformOutput = ReturnType<OpenApiTransform>;

export const BEARER_SCHEME = 'clusterSecret';

/** Named schemas (`{id}`) published under components.schemas and referenced as `$ref`s. */
export type OpenApiSchemaRegistry = $ZodRegistry<{ id?: string | undefined }>;

export interface OpenApiOptions {
  readonly title: string;
  readonly version: string;
  readonly description: string;
  /**
   * True for the route URLs whose operations need the bearer (the cluster
   * secret): they get `security: [{clusterSecret: []}]`, every other
   * operation `security: []`; 'sometimes' (e.g. writes to one table only)
   * gives `[{}, {clusterSecret: []}]`: without or with the bearer. The
   * scheme is always published, also by a
   * server that runs without a secret (the document describes the API, not
   * one deployment).
   */
  readonly secured?: (url: string) => boolean | 'sometimes';
  /** The shared schemas of the API, by name (components.schemas). */
  readonly schemas?: OpenApiSchemaRegistry;
  /** The app's last pass over the built document (in place). */
  readonly finish?: (doc: Record<string, unknown>) => void;
  /** The app's transform around the chassis' one (`next`). */
  readonly transform?: (input: OpenApiTransformInput, next: OpenApiTransform) => OpenApiTransformOutput;
}

interface RouteSchema {
  response?: Record<string, unknown>;
  security?: unknown;
  hide?: boolean;
}

function securityOf(secured: boolean | 'sometimes'): Array<Record<string, string[]>> {
  if (secured === 'sometimes') return [{}, { [BEARER_SCHEME]: [] }];
  return secured ? [{ [BEARER_SCHEME]: [] }] : [];
}

function chassisTransform(opts: OpenApiOptions): OpenApiTransform {
  const zodTransform = opts.schemas === undefined ? jsonSchemaTransform : createJsonSchemaTransform({ schemaRegistry: opts.schemas });
  return (input) => {
    const out = zodTransform(input);
    // A route without a schema has none here either.
    const schema = (out.schema ?? {}) as RouteSchema;
    if (!schema.hide) schema.security = securityOf(opts.secured?.(out.url) ?? false);
    // type 'null' makes @fastify/swagger leave the content out.
    if (schema.response?.['204'] !== undefined) schema.response['204'] = { type: 'null', description: 'No content' };
    return { ...out, schema: schema as typeof out.schema };
  };
}

export async function registerOpenApi(app: FastifyInstance, opts: OpenApiOptions): Promise<void> {
  const base = chassisTransform(opts);
  const transform: OpenApiTransform = opts.transform === undefined ? base : (input) => opts.transform!(input, base);
  const named = opts.schemas === undefined ? undefined : createJsonSchemaTransformObject({ schemaRegistry: opts.schemas });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: opts.title, version: opts.version, description: opts.description },
      components: { securitySchemes: { [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', description: 'The cluster secret' } } },
    },
    transform,
    transformObject: (input) => {
      const built = named === undefined && 'openapiObject' in input ? input.openapiObject : named?.(input);
      const doc = built as Record<string, unknown>;
      finishDocument(doc);
      opts.finish?.(doc);
      return doc;
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', logLevel: 'warn' });
  // `servers`: this server's own URL, as the caller reached it, so a client
  // generated from the document has a usable base URL (a client of another
  // server of the cluster passes that server's URL instead).
  app.get('/openapi.json', { schema: { hide: true } }, async (request) => ({
    ...app.swagger(),
    servers: [{ url: `${request.protocol}://${request.host}`, description: 'The server that served this document' }],
  }));
}
