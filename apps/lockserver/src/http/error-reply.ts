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
// 4xx are logged at info, 5xx at error.

import { ERROR_CATALOGUE, KdiError, toKdiError, type ErrorCode } from '@kdi/protocol';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_ID_HEADER, validationError, type ValidationIssue } from '@kdi/service-kit';

/** Codes for Fastify's own 4xx errors, by status (413 is INVALID_ARGUMENT: DESIGN §2). */
const CODE_BY_STATUS: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [401, 'UNAUTHENTICATED'],
  [403, 'PERMISSION_DENIED'],
  [404, 'NOT_FOUND'],
  [408, 'DEADLINE_EXCEEDED'],
  [429, 'RESOURCE_EXHAUSTED'],
]);

export interface ErrorReplyOptions {
  /** The body limit, for the message of an oversized request. */
  readonly bodyLimit: number;
  readonly maxContentsBytes: number;
}

/** Classifies `error` as the KdiError the client is told about. */
export function classifyError(error: unknown, opts: ErrorReplyOptions): KdiError {
  if (error instanceof KdiError) return error;
  const e = error as Partial<FastifyError> & { validation?: unknown; validationContext?: string };
  if (typeof e !== 'object' || e === null) return toKdiError(error);
  if (Array.isArray(e.validation)) {
    return validationError(e.validation as ValidationIssue[], e.validationContext ?? 'request', { wildcardName: 'path' });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new KdiError(
        'INVALID_ARGUMENT',
        `the request body is larger than the limit of ${opts.bodyLimit} bytes (file contents may be at most ${opts.maxContentsBytes} bytes, sent as text or base64)`,
        { details: { limit: opts.bodyLimit, maxContentsBytes: opts.maxContentsBytes }, cause: error },
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new KdiError('INVALID_ARGUMENT', 'the body is empty but Content-Type is application/json; send a JSON object (at least {}) or no Content-Type', {
        cause: error,
      });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new KdiError('INVALID_ARGUMENT', 'the request body is not valid JSON (its Content-Type says application/json)', { cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new KdiError('INVALID_ARGUMENT', 'the body must be JSON, sent with Content-Type: application/json', { cause: error });
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (error instanceof SyntaxError && status === 400) {
    return new KdiError('INVALID_ARGUMENT', `the request body is not valid JSON: ${error.message}`, { cause: error });
  }
  if (status >= 400 && status < 500) {
    // Fastify's own client errors (bad URL encoding, prototype poisoning,
    // content-length mismatch, …) have messages safe to pass on.
    return new KdiError(CODE_BY_STATUS.get(status) ?? 'INVALID_ARGUMENT', e.message ?? `HTTP ${status}`, { cause: error });
  }
  return toKdiError(error);
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
