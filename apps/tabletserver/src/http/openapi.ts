// The tablet server's part of its OpenAPI document (the chassis serves it
// at /openapi.json and /docs, and marks the /v1/admin operations as
// needing the cluster secret): routes that take a JSON or a binary cell
// block body declare the body per content type (`body: {content: {...}}`,
// which Fastify validates per media type); this transform documents the
// JSON schema and the cell block as an opaque binary string.

import { CELL_BLOCK_MIME_TYPE } from '@kdi/protocol';
import type { OpenApiTransform, OpenApiTransformInput, OpenApiTransformOutput } from '@kdi/service-kit';

interface RouteSchema {
  body?: unknown;
}

const BINARY = { type: 'string', format: 'binary', description: `A cell block (${CELL_BLOCK_MIME_TYPE}, DESIGN §2)` };

function isContentBody(body: unknown): body is { content: Record<string, { schema: unknown }> } {
  return typeof body === 'object' && body !== null && 'content' in body;
}

/** Per-content-type bodies around the chassis' transform (`next`). */
export function contentBodyTransform(input: OpenApiTransformInput, next: OpenApiTransform): OpenApiTransformOutput {
  const schema = (input.schema ?? {}) as RouteSchema;
  if (!isContentBody(schema.body)) return next(input);
  const bodyContent = schema.body.content;
  const json = bodyContent['application/json']?.schema;
  const { body: _omitted, ...rest } = schema;
  const out = next({ ...input, schema: (json === undefined ? rest : { ...rest, body: json }) as typeof input.schema });
  const outSchema = out.schema as RouteSchema;
  const content: Record<string, { schema: unknown }> = {};
  for (const type of Object.keys(bodyContent)) content[type] = { schema: type === 'application/json' ? outSchema.body : BINARY };
  outSchema.body = { content };
  return out;
}
