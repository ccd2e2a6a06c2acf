// Schema pieces every route shares: the error responses, "no content",
// the lock-path wildcard, strict integers in query strings, and the signal
// that tells a long-running handler its client has gone.

import { ErrorBodySchema } from '@kdi/protocol';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';

/** Every route may answer with the protocol's error body. */
export const ERROR_RESPONSES = {
  '4xx': ErrorBodySchema.describe('The request was refused; see error.code and error.message.'),
  '5xx': ErrorBodySchema.describe('The server or its store failed; see error.code.'),
} as const;

export const NO_CONTENT = z.null().describe('No content');

/** Routes without query parameters refuse any (unknown fields are rejected everywhere). */
export const NO_QUERY = z.strictObject({});

/** `/v1/files/*` and friends: the lock path without its leading '/'. */
export const WildcardParamsSchema = z.strictObject({ '*': z.string() });

/**
 * A whole number in a query string. Unlike z.coerce.number(), an empty or
 * padded value ("", " 5") is refused rather than read as 0 or 5.
 */
export const QueryIntSchema = z
  .string()
  .regex(/^[0-9]{1,16}$/, 'must be a whole number')
  .transform(Number)
  .pipe(z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));

/** Aborts when the client disconnects before its response was sent. */
export function clientGoneSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const res = reply.raw;
  const onClose = () => {
    if (!res.writableFinished) controller.abort();
  };
  res.once('close', onClose);
  return controller.signal;
}
