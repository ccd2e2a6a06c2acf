// The part of a server's error mapping that is the same for every KDI
// server: what Fastify itself fails a request with, as the KdiError the
// client is told about (STYLE: one exhaustive mapping at the app's edge;
// the app keeps its own sendError and its own errors, e.g. the storage
// engine's, and calls this for the rest).
//
// It promises, for `classifyFastifyError(error, texts)`:
//  - a KdiError                         → itself
//  - schema validation (zod, strict)    → INVALID_ARGUMENT naming each field
//  - body over the limit (413)          → INVALID_ARGUMENT, the server's text
//  - empty or malformed JSON body       → INVALID_ARGUMENT
//  - unsupported media type (415)       → INVALID_ARGUMENT, the server's text
//  - a SyntaxError with status 400      → INVALID_ARGUMENT quoting the parser
//  - any other 4xx Fastify raises       → the code for that status (else
//    INVALID_ARGUMENT), with Fastify's message, which is safe to pass on
//  - anything else                      → toKdiError: INTERNAL with the
//    message hidden from the client
// Every KdiError built here keeps `error` as its cause, for the log.
// It does not import Fastify: it reads only the fields Fastify's errors carry.

import { KdiError, toKdiError, type ErrorCode, type ErrorDetails } from '@kdi/protocol';
import { validationError, type ValidationErrorOptions, type ValidationIssue } from './validation-message.js';

/** Codes for Fastify's own 4xx errors, by status (413 and 415 are INVALID_ARGUMENT: DESIGN §2). */
const CODE_BY_STATUS: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [401, 'UNAUTHENTICATED'],
  [403, 'PERMISSION_DENIED'],
  [404, 'NOT_FOUND'],
  [408, 'DEADLINE_EXCEEDED'],
  [429, 'RESOURCE_EXHAUSTED'],
]);

/** A message for the client and, optionally, its details. */
export interface ErrorText {
  readonly message: string;
  readonly details?: ErrorDetails;
}

/** What differs between servers: the words for the errors that depend on what a server accepts. */
export interface FastifyErrorTexts {
  /** How validation messages name fields (e.g. the URL wildcard's name). */
  readonly validation?: ValidationErrorOptions;
  /** FST_ERR_CTP_BODY_TOO_LARGE: the limit and how to stay under it. */
  readonly bodyTooLarge: ErrorText;
  /** FST_ERR_CTP_EMPTY_JSON_BODY: a body of Content-Type application/json was empty. */
  readonly emptyJsonBody: string;
  /** FST_ERR_CTP_INVALID_MEDIA_TYPE: which Content-Types the server takes. */
  readonly invalidMediaType: ErrorText;
}

/** The fields of a Fastify error read here. */
interface FastifyErrorFields {
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly message?: string;
  readonly validation?: unknown;
  readonly validationContext?: string;
}

/** Classifies `error` (Fastify's, or anything else) as the KdiError the client is told about. */
export function classifyFastifyError(error: unknown, texts: FastifyErrorTexts): KdiError {
  if (error instanceof KdiError) return error;
  if (typeof error !== 'object' || error === null) return toKdiError(error);
  const e = error as FastifyErrorFields;
  if (Array.isArray(e.validation)) {
    return validationError(e.validation as ValidationIssue[], e.validationContext ?? 'request', texts.validation);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return invalidArgument(texts.bodyTooLarge, error);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return invalidArgument({ message: texts.emptyJsonBody }, error);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return invalidArgument({ message: 'the request body is not valid JSON (its Content-Type says application/json)' }, error);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return invalidArgument(texts.invalidMediaType, error);
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (error instanceof SyntaxError && status === 400) {
    return invalidArgument({ message: `the request body is not valid JSON: ${error.message}` }, error);
  }
  if (status >= 400 && status < 500) {
    // Fastify's own client errors (bad URL encoding, prototype poisoning,
    // content-length mismatch, …) have messages safe to pass on.
    return new KdiError(CODE_BY_STATUS.get(status) ?? 'INVALID_ARGUMENT', e.message ?? `HTTP ${status}`, { cause: error });
  }
  return toKdiError(error);
}

function invalidArgument(text: ErrorText, cause: unknown): KdiError {
  return new KdiError('INVALID_ARGUMENT', text.message, { ...(text.details !== undefined && { details: text.details }), cause });
}
