// The tablet server's part of its OpenAPI document (the chassis serves it
// at /openapi.json and /docs, and marks the /v1/admin operations as
// needing the cluster secret): routes that take a JSON or a binary cell
// block body declare the body per content type (`body: {content: {...}}`,
// which Fastify validates per media type); this transform documents the
// JSON schema and the cell block as an opaque binary string.
// finishTabletDocument adds what routes' zod schemas cannot say: the
// x-kdi-sequencer request header of the calls that move tablets (checked
// by a preHandler, not a header schema) and the x-kdi-* response headers of
// a scan page answered as a cell block.

import { CELL_BLOCK_MIME_TYPE, END_HEADER, NEXT_ROW_HEADER, RESUME_HEADER, SCAN_TXN_HEADER } from '@kdi/protocol';
import { MASTER_LOCK_PATH, SEQUENCER_HEADER } from './master-sequencer.js';
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

type Json = Record<string, unknown>;

/** The operations that need the master's sequencer in a cluster (master-sequencer.ts). */
const SEQUENCED = new Set([
  'loadTablet',
  'unloadTablet',
  'splitTablet',
  'mergeTablet',
  'migrateTablet',
  'prepareMigration',
  'putMigrationFile',
  'preloadMigration',
  'commitMigration',
]);

const SEQUENCER_PARAMETER = {
  name: SEQUENCER_HEADER,
  in: 'header',
  required: false,
  description:
    `In a cluster (required there): the sequencer of the master's exclusive lock on ${MASTER_LOCK_PATH}, as JSON ` +
    `{"path":"${MASTER_LOCK_PATH}","mode":"exclusive","generation":N}; a stale one is FAILED_PRECONDITION.`,
  schema: { type: 'string' },
};

const CELL_BLOCK_HEADERS = {
  [SCAN_TXN_HEADER]: { description: `Cell-block replies: the page's scanTxn`, schema: { type: 'integer', minimum: 0 } },
  [END_HEADER]: { description: 'Cell-block replies: "true" when the scan is complete', schema: { type: 'string', enum: ['true', 'false'] } },
  [RESUME_HEADER]: { description: 'Cell-block replies: the resume token of the next page (absent at the end)', schema: { type: 'string' } },
  [NEXT_ROW_HEADER]: {
    description: 'Cell-block replies: the base64 row of the tablet to locate next, when the scan continues in a tablet not served here',
    schema: { type: 'string', format: 'byte' },
  },
};

/** The tablet server's last pass over its document (in place). */
export function finishTabletDocument(doc: Json): void {
  for (const ops of Object.values(doc['paths'] as Record<string, Record<string, Json>>)) {
    for (const op of Object.values(ops)) {
      if (SEQUENCED.has(op['operationId'] as string)) op['parameters'] = [...((op['parameters'] ?? []) as Json[]), SEQUENCER_PARAMETER];
      const ok = (op['responses'] as Record<string, Json> | undefined)?.['200'];
      if ((ok?.['content'] as Json | undefined)?.[CELL_BLOCK_MIME_TYPE] !== undefined) ok!['headers'] = CELL_BLOCK_HEADERS;
    }
  }
}
