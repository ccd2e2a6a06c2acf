// The storage engine's own small error set (LevelDB's Status, Pebble's
// errors): callers map these onto the protocol's catalogue at the app edge.
//   aborted — a row transaction conflict (a touched row changed after commitMaxTxn);
//   busy    — back-pressure: memory is full and did not drain in time (retryAfterMs says when to retry);
//   unavailable — the tablet's writes are frozen, or its reads gated (a migration hands it over), for the whole wait; retry (retryAfterMs).
export type StorageErrorKind = 'corruption' | 'io' | 'invalid-argument' | 'not-found' | 'closed' | 'aborted' | 'busy' | 'unavailable';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly kind: StorageErrorKind,
    message: string,
    /** The file the error concerns, when there is one. */
    readonly path?: string,
    options?: { cause?: unknown; details?: Record<string, unknown>; retryAfterMs?: number },
  ) {
    super(message, options);
    this.details = options?.details;
    this.retryAfterMs = options?.retryAfterMs;
  }
  /** Machine-readable facts about the error (e.g. the conflicting row). */
  readonly details: Record<string, unknown> | undefined;
  /** For 'busy': when a retry is likely to succeed. */
  readonly retryAfterMs: number | undefined;
}

export const corruption = (message: string, path?: string) => new StorageError('corruption', message, path);
export const ioError = (message: string, path?: string, cause?: unknown) => new StorageError('io', message, path, { cause });
export const invalidArgument = (message: string, details?: Record<string, unknown>) => new StorageError('invalid-argument', message, undefined, details ? { details } : undefined);
export const notFound = (message: string, path?: string) => new StorageError('not-found', message, path);
export const closed = (what: string) => new StorageError('closed', `${what} is closed`);
export const aborted = (message: string, details: Record<string, unknown>) => new StorageError('aborted', message, undefined, { details });
export const busy = (message: string, retryAfterMs: number) => new StorageError('busy', message, undefined, { retryAfterMs });
export const unavailable = (message: string, retryAfterMs: number, details?: Record<string, unknown>) =>
  new StorageError('unavailable', message, undefined, { retryAfterMs, ...(details && { details }) });

export function isStorageError(e: unknown, kind?: StorageErrorKind): e is StorageError {
  return e instanceof StorageError && (kind === undefined || e.kind === kind);
}
