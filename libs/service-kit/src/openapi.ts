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
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

export type OpenApiTransform = typeof jsonSchemaTransform;
export type OpenApiTransformInput = Parameters<OpenApiTransform>[0];
export type OpenApiTransformOutput = ReturnType<OpenApiTransform>;

export const BEARER_SCHEME = 'clusterSecret';

export interface OpenApiOptions {
  readonly title: string;
  readonly version: string;
  readonly description: string;
  /** Publish the bearer scheme (the cluster secret). */
  readonly securityScheme: boolean;
  /** True for the route URLs whose operations need the bearer. */
  readonly secured?: (url: string) => boolean;
  /** The app's transform around the chassis' one (`next`). */
  readonly transform?: (input: OpenApiTransformInput, next: OpenApiTransform) => OpenApiTransformOutput;
}

interface RouteSchema {
  response?: Record<string, unknown>;
  security?: unknown;
  hide?: boolean;
}

function chassisTransform(opts: OpenApiOptions): OpenApiTransform {
  return (input) => {
    const out = jsonSchemaTransform(input);
    // A route without a schema has none here either.
    const schema = (out.schema ?? {}) as RouteSchema;
    if (opts.secured?.(out.url) === true && !schema.hide) schema.security = [{ [BEARER_SCHEME]: [] }];
    // type 'null' makes @fastify/swagger leave the content out.
    if (schema.response?.['204'] !== undefined) schema.response['204'] = { type: 'null', description: 'No content' };
    return { ...out, schema: schema as typeof out.schema };
  };
}

export async function registerOpenApi(app: FastifyInstance, opts: OpenApiOptions): Promise<void> {
  const base = chassisTransform(opts);
  const transform: OpenApiTransform = opts.transform === undefined ? base : (input) => opts.transform!(input, base);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: opts.title, version: opts.version, description: opts.description },
      ...(opts.securityScheme && {
        components: { securitySchemes: { [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', description: 'The cluster secret' } } },
      }),
    },
    transform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', logLevel: 'warn' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
