// The OpenAPI 3 document, generated from the routes' zod schemas
// (fastify-type-provider-zod's jsonSchemaTransform), served at
// /openapi.json and browsable at /docs.
//
// Fastify spells a lock-path wildcard `*`; the document names it `{path}`
// (the lock path without its leading '/'), which is what callers know it as.

import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { LockApp } from './lock-app.js';

const PATH_PARAM_DESCRIPTION = "The lock path without its leading '/', e.g. kdi/root for /kdi/root";

type Transform = typeof jsonSchemaTransform;

interface TransformedSchema {
  params?: { properties?: Record<string, unknown>; required?: string[] };
  response?: Record<string, unknown>;
  security?: unknown;
  hide?: boolean;
}

/**
 * jsonSchemaTransform, then: the wildcard is named `path`; a 204 is
 * documented without content; /v1 operations need the secret when one is set.
 */
function makeTransform(secured: boolean): Transform {
  return (input) => {
    const out = jsonSchemaTransform(input);
    const schema = out.schema as TransformedSchema;
    if (secured && out.url.startsWith('/v1') && !schema.hide) schema.security = [{ clusterSecret: [] }];
    // type 'null' makes @fastify/swagger leave the content out.
    if (schema.response?.['204'] !== undefined) schema.response['204'] = { type: 'null', description: 'No content' };
    if (!out.url.includes('*')) return out;
    const params = schema.params;
    if (params?.properties?.['*'] !== undefined) {
      const { '*': wildcard, ...rest } = params.properties;
      params.properties = { ...rest, path: { ...(wildcard as object), description: PATH_PARAM_DESCRIPTION } };
      params.required = (params.required ?? []).map((r) => (r === '*' ? 'path' : r));
    }
    return { ...out, url: out.url.replace('*', '{path}') };
  };
}

export async function registerOpenApi(app: LockApp, opts: { secured: boolean; version: string }): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'KDI lock service',
        version: opts.version,
        description:
          'Sessions, files, locks with fencing sequencers, ephemeral files and watches (DESIGN §8). ' +
          'Errors are {error:{code,message,details,retryAfterMs,requestId}} with the status of the KDI error catalogue.',
      },
      ...(opts.secured && {
        components: { securitySchemes: { clusterSecret: { type: 'http', scheme: 'bearer', description: 'The cluster secret' } } },
      }),
    },
    transform: makeTransform(opts.secured),
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', logLevel: 'warn' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
