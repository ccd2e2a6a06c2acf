// KdiError: the one error type that crosses KDI's process boundaries. A
// server turns it into an HTTP status and an ErrorBody; the SDK turns an
// error response back into it (errorFromBody), so callers branch on `code`
// and `retryable` whatever process raised it.

import { ERROR_CATALOGUE, type ErrorCode } from './catalogue.js';

/** JSON-safe extra facts, e.g. WRONG_TABLET's location hint. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

export interface KdiErrorOptions {
  readonly details?: ErrorDetails;
  /**
   * When a retry may succeed, in milliseconds. Stored rounded up to a
   * non-negative integer (a computed 12.5 becomes 13); a non-finite value
   * is dropped, so building an error never throws.
   */
  readonly retryAfterMs?: number;
  /** The request id of the response this error came from (client side). */
  readonly requestId?: string;
  /** The underlying error; kept for logs, never sent to clients. */
  readonly cause?: unknown;
}

/** The JSON body of every KDI error response (see ErrorBodySchema). */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: ErrorDetails;
    readonly retryAfterMs?: number;
    readonly requestId?: string;
  };
}

export class KdiError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails | undefined;
  readonly retryAfterMs: number | undefined;
  readonly requestId: string | undefined;

  constructor(code: ErrorCode, message: string, options: KdiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KdiError';
    this.code = code;
    this.details = options.details;
    const after = options.retryAfterMs;
    this.retryAfterMs = after !== undefined && Number.isFinite(after) ? Math.max(0, Math.ceil(after)) : undefined;
    this.requestId = options.requestId;
  }

  /** The HTTP status of this code (ERROR_CATALOGUE). */
  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }

  /** Whether repeating the identical request may succeed (ERROR_CATALOGUE). */
  get retryable(): boolean {
    return ERROR_CATALOGUE[this.code].retryable;
  }

  /**
   * The response body for this error; absent fields are omitted, not null.
   * `requestId` defaults to the one this error arrived with, if any.
   */
  toBody(requestId: string | undefined = this.requestId): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details !== undefined && { details: this.details }),
        ...(this.retryAfterMs !== undefined && { retryAfterMs: this.retryAfterMs }),
        ...(requestId !== undefined && { requestId }),
      },
    };
  }
}

export function isKdiError(value: unknown): value is KdiError {
  return value instanceof KdiError;
}
