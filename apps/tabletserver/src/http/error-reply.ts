// The one mapping from anything a request can fail with to the protocol's
// error body `{error:{code,message,details,retryAfterMs,requestId}}` and
// the catalogue's HTTP status (STYLE: one exhaustive mapping at the app's
// edge):
//  - KdiError (tablet server, codecs, predicate) → its code
//  - StorageError (engine)                       → tablets/storage-errors.ts
//  - predicate syntax error                      → INVALID_ARGUMENT with the position
//  - schema validation (zod, strict)             → INVALID_ARGUMENT naming each field
//  - body over the limit (Fastify's 413)         → INVALID_ARGUMENT naming the limit
//  - malformed or empty JSON, unsupported media
//    type, other client errors Fastify raises    → INVALID_ARGUMENT (or the code for that status)
//  - anything else                               → INTERNAL; the message is
//    hidden from the client and the error logged in full
// 4xx are logged at info, 5xx at error. The classification of Fastify's
// own errors is service-kit's classifyFastifyError; this file gives it the
// wording that depends on what this server accepts.

import { CELL_BLOCK_MIME_TYPE, ERROR_CATALOGUE, KdiError } from '@kdi/protocol';
import { isStorageError } from '@kdi/storage';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { fromStorageError } from '../tablets/storage-errors.js';
import { classifyFastifyError, REQUEST_ID_HEADER } from '@kdi/service-kit';

export interface ErrorReplyOptions {
  /** The JSON body limit, for the message of an oversized request. */
  readonly bodyLimit: number;
  /** The binary cell block body limit. */
  readonly cellBlockLimit: number;
  readonly maxRequestBytes: number;
}

/** Classifies `error` as the KdiError the client is told about (Fastify's own errors: service-kit's classifyFastifyError). */
export function classifyError(error: unknown, opts: ErrorReplyOptions): KdiError {
  if (error instanceof KdiError) return error;
  if (isStorageError(error)) return fromStorageError(error) as KdiError;
  return classifyFastifyError(error, {
    bodyTooLarge: {
      message:
        `the request body is larger than the limit (${opts.bodyLimit} bytes for JSON, ${opts.cellBlockLimit} for ${CELL_BLOCK_MIME_TYPE}); ` +
        `one request may carry at most ${opts.maxRequestBytes} bytes of cells: split the batch`,
      details: { bodyLimit: opts.bodyLimit, cellBlockLimit: opts.cellBlockLimit, maxRequestBytes: opts.maxRequestBytes },
    },
    emptyJsonBody: 'the body is empty but Content-Type is application/json; send a JSON object (at least {})',
    invalidMediaType: {
      message: `unsupported Content-Type; send application/json (or, for apply, ${CELL_BLOCK_MIME_TYPE})`,
      details: { field: 'content-type' },
    },
  });
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, opts: ErrorReplyOptions): FastifyReply {
  const kdi = classifyError(error, opts);
  const status = ERROR_CATALOGUE[kdi.code].status;
  if (status >= 500) request.log.error({ err: error, code: kdi.code }, 'request failed');
  else request.log.info({ code: kdi.code, message: kdi.message }, 'request rejected');
  // Also here: errors Fastify raises before the onRequest hooks (bad URL) skip the hook that sets it.
  reply.header(REQUEST_ID_HEADER, request.id);
  // A binary scan may have set these before failing.
  reply.removeHeader('x-kdi-scan-txn');
  reply.removeHeader('x-kdi-resume');
  reply.removeHeader('x-kdi-end');
  if (kdi.code === 'UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer');
  if (kdi.retryAfterMs !== undefined) reply.header('retry-after', String(Math.ceil(kdi.retryAfterMs / 1000)));
  return reply.code(status).type('application/json; charset=utf-8').send(kdi.toBody(request.id));
}
