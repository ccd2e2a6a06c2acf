// The error response body, `{error:{code,message,details?,retryAfterMs?,
// requestId?}}` (DESIGN §4), as a zod schema for route definitions and
// OpenAPI, and its inverse for clients: errorFromBody.

import { z } from 'zod';
import { ERROR_CATALOGUE, ERROR_CODES, isErrorCode, type ErrorCode } from './catalogue.js';
import { KdiError, type ErrorDetails } from './kdi-error.js';

const codeDescription = ERROR_CODES.map(
  (code) => `${code} (${ERROR_CATALOGUE[code].status}${ERROR_CATALOGUE[code].retryable ? ', retryable' : ''}): ${ERROR_CATALOGUE[code].meaning}`,
).join('\n');

const optionalString = (what: string) => z.string().optional().describe(what);
const optionalInt = (what: string) => z.int().optional().describe(what);

/**
 * `details`: open (any code may add facts), with the fields clients act on
 * typed. Loose, so a code's other facts pass unchanged.
 */
const ErrorDetailsSchema = z
  .looseObject({
    field: optionalString('INVALID_ARGUMENT (and others refusing an input): the request field at fault, e.g. cells[3].column or x-kdi-sequencer'),
    table: optionalString('WRONG_TABLET: the table'),
    row: optionalString('WRONG_TABLET: the row, written as rowEncoding says'),
    rowEncoding: z.enum(['utf8', 'base64']).optional().describe('WRONG_TABLET: how row is written'),
    serverId: optionalString('WRONG_TABLET: the server that refused'),
    locationHint: z
      .looseObject({
        serverId: z.string(),
        url: z.string().describe('Base URL of the server META names'),
        epoch: z.int().optional(),
        state: z.string().optional().describe('The tablet state in META (loading, serving, ...)'),
      })
      .optional()
      .describe('WRONG_TABLET: where META says the row is served (absent when META was out of reach): send the request there'),
    cellIndex: optionalInt('ABORTED (row transaction): the index of the first cell whose row changed'),
    rowTxn: optionalInt('ABORTED (row transaction): the txn that last changed that row'),
    commitMaxTxn: optionalInt('ABORTED (row transaction): the bound the request gave'),
    generation: optionalInt("ABORTED (lock service compare-and-set): the file's current generation"),
  })
  .describe('Code-specific facts (typed: WRONG_TABLET, ABORTED, INVALID_ARGUMENT; other codes add their own)');

/**
 * What KDI servers send. Strict: the code is one of the catalogue's and no
 * other fields are allowed, so a server bug that leaks extra fields fails
 * its tests rather than reaching clients.
 */
export const ErrorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: z.enum(ERROR_CODES).describe(codeDescription),
      message: z.string().describe('What went wrong, written for a person to act on.'),
      details: ErrorDetailsSchema.optional(),
      retryAfterMs: z.int().nonnegative().optional().describe('Milliseconds to wait before retrying.'),
      requestId: z.string().optional().describe('The request id, as in the server logs.'),
    }),
  })
  .describe('The body of every KDI error response.');

/**
 * What clients accept: the same shape, but unknown codes and extra fields
 * are tolerated, so an older SDK keeps working against a newer server.
 */
const LenientErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional().catch(undefined),
    retryAfterMs: z.number().optional().catch(undefined),
    requestId: z.string().optional().catch(undefined),
  }),
});

/**
 * Codes for responses that carry no KDI error body (a proxy's 502 page, a
 * bare 413 from the HTTP layer): chosen so that retryability is right.
 */
const CODE_BY_STATUS: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [400, 'INVALID_ARGUMENT'],
  [401, 'UNAUTHENTICATED'],
  [403, 'PERMISSION_DENIED'],
  [404, 'NOT_FOUND'],
  [408, 'DEADLINE_EXCEEDED'],
  [413, 'INVALID_ARGUMENT'],
  [421, 'WRONG_TABLET'],
  [429, 'RESOURCE_EXHAUSTED'],
  [499, 'CANCELLED'],
  [502, 'UNAVAILABLE'],
  [503, 'UNAVAILABLE'],
  [504, 'DEADLINE_EXCEEDED'],
]);

const SNIPPET_CHARS = 200;

/**
 * Rebuilds the KdiError a server sent. `body` is the parsed JSON (or the
 * raw text when it was not JSON). When the body is a KDI error its code
 * wins over `status`; an unknown code becomes INTERNAL with the message
 * kept and the original code in `details.unknownCode`. A body that is not a
 * KDI error at all is classified by status, and its beginning is quoted.
 */
export function errorFromBody(body: unknown, status: number): KdiError {
  const parsed = LenientErrorBodySchema.safeParse(body);
  if (parsed.success) {
    const { code, message, details, retryAfterMs, requestId } = parsed.data.error;
    const options = { retryAfterMs, requestId };
    if (isErrorCode(code)) return new KdiError(code, message, { ...options, details: details as ErrorDetails | undefined });
    return new KdiError('INTERNAL', message, { ...options, details: { ...details, unknownCode: code } });
  }
  const code = CODE_BY_STATUS.get(status) ?? (status >= 500 || status < 400 ? 'INTERNAL' : 'INVALID_ARGUMENT');
  return new KdiError(code, `HTTP ${status} without a KDI error body: ${snippet(body)}`, { details: { status } });
}

function snippet(body: unknown): string {
  let text: string;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8', 0, SNIPPET_CHARS * 4);
  else {
    try {
      text = JSON.stringify(body) ?? String(body);
    } catch {
      text = String(body);
    }
  }
  if (text.length === 0) return '(empty body)';
  return text.length > SNIPPET_CHARS ? `${text.slice(0, SNIPPET_CHARS)}…` : text;
}
