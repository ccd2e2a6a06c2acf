// The one mapping from anything a request can fail with to the protocol's
// error body `{error:{code,message,details,retryAfterMs,requestId}}` and
// the catalogue's HTTP status (STYLE: one exhaustive mapping at the app's
// edge):
//  - KdiError (service, store)                → its code
//  - schema validation (zod, strict)          → INVALID_ARGUMENT naming each field
//  - body over the limit (Fastify's 413)      → INVALID_ARGUMENT naming the limit
//  - malformed or empty JSON, bad URL, other
//    client errors Fastify raises (4xx)       → the code for that status
//  - anything else                            → INTERNAL; the message is
//    hidden from the client and the error logged in full
// 4xx are logged at info, 5xx at error. The classification of Fastify's
// own errors is service-kit's classifyFastifyError; this file gives it the
// wording that depends on what this server accepts.

import { ERROR_CATALOGUE, type KdiError } from '@kdi/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { classifyFastifyError, REQUEST_ID_HEADER } from '@kdi/service-kit';

export interface ErrorReplyOptions {
  /** The body limit, for the message of an oversized request. */
  readonly bodyLimit: number;
  readonly maxContentsBytes: number;
}

/** Classifies `error` as the KdiError the client is told about (Fastify's own errors: service-kit's classifyFastifyError). */
export function classifyError(error: unknown, opts: ErrorReplyOptions): KdiError {
  return classifyFastifyError(error, {
    validation: { wildcardName: 'path' },
    bodyTooLarge: {
      message: `the request body is larger than the limit of ${opts.bodyLimit} bytes (file contents may be at most ${opts.maxContentsBytes} bytes, sent as text or base64)`,
      details: { limit: opts.bodyLimit, maxContentsBytes: opts.maxContentsBytes },
    },
    emptyJsonBody: 'the body is empty but Content-Type is application/json; send a JSON object (at least {}) or no Content-Type',
    invalidMediaType: { message: 'the body must be JSON, sent with Content-Type: application/json' },
  });
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, opts: ErrorReplyOptions): FastifyReply {
  const kdi = classifyError(error, opts);
  const status = ERROR_CATALOGUE[kdi.code].status;
  if (status >= 500) request.log.error({ err: error, code: kdi.code }, 'request failed');
  else request.log.info({ code: kdi.code, message: kdi.message }, 'request rejected');
  // Also here: errors Fastify raises before the onRequest hooks (bad URL) skip the hook that sets it.
  reply.header(REQUEST_ID_HEADER, request.id);
  if (kdi.code === 'UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer');
  if (kdi.retryAfterMs !== undefined) reply.header('retry-after', String(Math.ceil(kdi.retryAfterMs / 1000)));
  return reply.code(status).type('application/json; charset=utf-8').send(kdi.toBody(request.id));
}
