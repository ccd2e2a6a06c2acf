// The storage engine's own small error set (LevelDB's Status, Pebble's
// errors): callers map these onto the protocol's catalogue at the app edge.
export type StorageErrorKind = 'corruption' | 'io' | 'invalid-argument' | 'not-found' | 'closed';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly kind: StorageErrorKind,
    message: string,
    /** The file the error concerns, when there is one. */
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const corruption = (message: string, path?: string) => new StorageError('corruption', message, path);
export const ioError = (message: string, path?: string, cause?: unknown) =>
  new StorageError('io', message, path, { cause });
export const invalidArgument = (message: string) => new StorageError('invalid-argument', message);
export const notFound = (message: string, path?: string) => new StorageError('not-found', message, path);
export const closed = (what: string) => new StorageError('closed', `${what} is closed`);

export function isStorageError(e: unknown, kind?: StorageErrorKind): e is StorageError {
  return e instanceof StorageError && (kind === undefined || e.kind === kind);
}
