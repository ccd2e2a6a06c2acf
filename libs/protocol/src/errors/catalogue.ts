// The one error catalogue of KDI (DESIGN §4). Every error a KDI process
// sends, and every error the SDK raises, carries one of these codes. The
// table below is the single source of the code → HTTP status mapping, of
// retryability and of the documented meaning (served in OpenAPI).
//
// `retryable` promises: the SDK may send the *same* request again, after
// backoff and within the caller's deadline, and expect a different outcome.
// It is false where repeating the identical call cannot help (ABORTED needs
// a fresh read first; INTERNAL and DATA_CORRUPTION need an operator).
//
// Status choices that are not obvious:
// - FAILED_PRECONDITION → 400, as in Google's AIP-193. 412 is reserved by
//   HTTP for conditional headers (If-Match, …), which KDI does not use;
//   clients tell it apart from INVALID_ARGUMENT by code, not status.
// - WRONG_TABLET → 421 Misdirected Request: "the request was directed at a
//   server that is not able to produce a response" is exactly the meaning,
//   and it keeps location misses out of the 409 conflict counts.
// - CANCELLED (the one code beyond the DESIGN list) → 499, the de-facto
//   "client closed request" status. The SDK raises it when the caller's
//   AbortSignal fires, so every failure of an SDK call is a KdiError; servers
//   only use it in logs and metrics (the client is gone).
// Oversized bodies and fields are INVALID_ARGUMENT (DESIGN §2), so there is
// no PAYLOAD_TOO_LARGE code: a 413 from the HTTP layer is mapped onto it.

export const ERROR_CATALOGUE = {
  INVALID_ARGUMENT: {
    status: 400,
    retryable: false,
    meaning: 'The request is malformed or breaks a limit; the message names the field and how to fix it.',
  },
  NOT_FOUND: {
    status: 404,
    retryable: false,
    meaning: 'The named table, tablet, scanner, server or lock file does not exist.',
  },
  ALREADY_EXISTS: {
    status: 409,
    retryable: false,
    meaning: 'The table, tablet or lock file the request would create already exists.',
  },
  FAILED_PRECONDITION: {
    status: 400,
    retryable: false,
    meaning: 'The target is not in the state the operation requires (for example a table that is not empty or a lock not held).',
  },
  ABORTED: {
    status: 409,
    retryable: false,
    meaning: 'A row changed after commitMaxTxn, so nothing was applied; read the rows again and retry the read-modify-write.',
  },
  WRONG_TABLET: {
    status: 421,
    retryable: true,
    meaning: 'This server does not serve (or does not accept writes for) a row of the request; details carry the current location hint.',
  },
  UNAVAILABLE: {
    status: 503,
    retryable: true,
    meaning: 'The service or tablet is temporarily unable to serve (starting, loading, migrating, no master); retry with backoff.',
  },
  RESOURCE_EXHAUSTED: {
    status: 429,
    retryable: true,
    meaning: 'The server is over a queue, memory or rate limit; retry after retryAfterMs.',
  },
  UNAUTHENTICATED: {
    status: 401,
    retryable: false,
    meaning: 'The request carries no valid bearer token or cluster secret.',
  },
  PERMISSION_DENIED: {
    status: 403,
    retryable: false,
    meaning: "The caller's role does not allow this operation.",
  },
  DEADLINE_EXCEEDED: {
    status: 504,
    retryable: true,
    meaning: 'The operation did not finish in time; its outcome is unknown (KDI writes carry explicit timestamps, so repeating them is safe).',
  },
  DATA_CORRUPTION: {
    status: 500,
    retryable: false,
    meaning: 'Stored data failed a checksum or format check; the affected data is not served until repaired.',
  },
  INTERNAL: {
    status: 500,
    retryable: false,
    meaning: 'An unexpected server error; details are in the server log under the request id.',
  },
  CANCELLED: {
    status: 499,
    retryable: false,
    meaning: 'The caller cancelled the operation (AbortSignal) before it finished; its outcome is unknown.',
  },
} as const satisfies Record<string, ErrorCatalogueEntry>;

export interface ErrorCatalogueEntry {
  /** HTTP status sent with this code; always 4xx or 5xx. */
  readonly status: number;
  /** May the SDK repeat the identical request after backoff? */
  readonly retryable: boolean;
  /** One sentence, shown in the OpenAPI document. */
  readonly meaning: string;
}

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Every code, in catalogue order (for z.enum and documentation). */
export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as [ErrorCode, ...ErrorCode[]];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOGUE, value);
}
