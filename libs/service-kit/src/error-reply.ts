// The one mapping from anything a request can fail with to the protocol's
// error body `{error:{code,message,details,retryAfterMs,requestId}}` and
// the catalogue's HTTP status (STYLE: one exhaustive mapping at the app's
// edge):
//  - the app's own errors (e.g. the engine's) → its `classify` hook, which
//    may also add details (a location hint)
//  - KdiError                                 → its code
//  - Fastify's own errors (validation, body
//    limit, bad JSON, media type, bad URL …)  → classifyFastifyError with
//    the app's wording
//  - anything else                            → INTERNAL; the message is
//    hidden from the client and the error logged in full
// 4xx are logged at info, 5xx at error.

import { ERROR_CATALOGUE, KdiError } from '@kdi/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { classifyFastifyError, type FastifyErrorTexts } from './fastify-errors.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import { knownFieldsAt } from './schema-fields.js';

export interface ErrorReplyOptions {
  /** The words for Fastify's errors that depend on what the server accepts. */
  readonly texts: FastifyErrorTexts;
  /**
   * The app's classifier, run first: returns its own errors as KdiErrors
   * (or adds details to one); what it returns is classified as above.
   */
  readonly classify?: (error: unknown) => unknown;
  /** Headers a failed handler may have set that an error reply must not carry. */
  readonly clearHeaders?: readonly string[];
}

/**
 * The route schema's part a validation context names (Fastify's
 * `validationContext`); for a body given per media type (`{content: {type:
 * {schema}}}`), the request's.
 */
function routeSchemaPart(request: FastifyRequest | undefined, error: unknown): unknown {
  const context = (error as { validationContext?: unknown } | null)?.validationContext;
  const schema = request?.routeOptions?.schema as Record<string, unknown> | undefined;
  if (typeof context !== 'string' || schema === undefined) return undefined;
  const part = schema[context] as { content?: Record<string, { schema?: unknown }> } | undefined;
  if (part?.content === undefined) return part;
  const mediaType = String(request?.headers['content-type'] ?? '')
    .split(';', 1)[0]!
    .trim()
    .toLowerCase();
  return part.content[mediaType]?.schema;
}

/**
 * Classifies `error` as the KdiError the client is told about; with the
 * request, a validation error names the fields the route takes beside an unknown one.
 */
export async function classifyError(error: unknown, opts: ErrorReplyOptions, request?: FastifyRequest): Promise<KdiError> {
  const refined = opts.classify === undefined ? error : await opts.classify(error);
  if (refined instanceof KdiError) return refined;
  const part = routeSchemaPart(request, refined);
  const texts: FastifyErrorTexts = part === undefined ? opts.texts : { ...opts.texts, validation: { ...opts.texts.validation, knownFields: (path) => knownFieldsAt(part, path) } };
  return classifyFastifyError(refined, texts);
}

export async function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, opts: ErrorReplyOptions): Promise<FastifyReply> {
  const kdi = await classifyError(error, opts, request);
  const status = ERROR_CATALOGUE[kdi.code].status;
  // UNAVAILABLE is a deliberate, retryable answer (a standby, a tablet loading): not an error of this server.
  if (status >= 500 && kdi.code !== 'UNAVAILABLE') request.log.error({ err: error, code: kdi.code }, 'request failed');
  else request.log.info({ code: kdi.code, message: kdi.message }, 'request rejected');
  // Also here: errors Fastify raises before the onRequest hooks (bad URL) skip the hook that sets it.
  reply.header(REQUEST_ID_HEADER, request.id);
  for (const h of opts.clearHeaders ?? []) reply.removeHeader(h);
  if (kdi.code === 'UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer');
  if (kdi.retryAfterMs !== undefined) reply.header('retry-after', String(Math.ceil(kdi.retryAfterMs / 1000)));
  return reply.code(status).type('application/json; charset=utf-8').send(kdi.toBody(request.id));
}
