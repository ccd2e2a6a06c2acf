// One way to build filesystem errors, shared by every FileSystem
// implementation so callers treat them alike: a StorageError whose `cause`
// is an Error carrying the errno name in `code` (Node's own error for the
// Node implementation, a look-alike for the in-memory and faulty ones).
// ENOENT becomes kind 'not-found'; every other errno is kind 'io'.
import { StorageError, invalidArgument } from '../errors.js';

/** The errno names the in-memory and fault-injecting filesystems produce. */
export type ErrnoCode = 'ENOENT' | 'EEXIST' | 'ENOTDIR' | 'ENOTEMPTY' | 'EISDIR' | 'EINVAL' | 'ENOSPC' | 'EIO';

const DESCRIPTIONS: Record<ErrnoCode, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  ENOTDIR: 'not a directory',
  ENOTEMPTY: 'directory not empty',
  EISDIR: 'illegal operation on a directory',
  EINVAL: 'invalid argument',
  ENOSPC: 'no space left on device',
  EIO: 'i/o error',
};

/** An Error shaped like Node's system errors (`code`, `syscall`, `path`). */
export interface ErrnoError extends Error {
  code: string;
  syscall?: string;
  path?: string;
}

/** Wraps an error thrown by an fs operation `op` on `path`. */
export function fsError(op: string, path: string, cause: unknown): StorageError {
  if (cause instanceof StorageError) return cause;
  const code = errnoOf(cause);
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StorageError(code === 'ENOENT' ? 'not-found' : 'io', `${op} ${path}: ${detail}`, path, { cause });
}

/** Builds the error an fs operation `op` on `path` fails with, as Node would. */
export function errnoError(code: ErrnoCode, op: string, path: string, note?: string): StorageError {
  const suffix = note === undefined ? '' : ` (${note})`;
  const cause = new Error(`${code}: ${DESCRIPTIONS[code]}, ${op} '${path}'${suffix}`) as ErrnoError;
  cause.code = code;
  cause.syscall = op;
  cause.path = path;
  return fsError(op, path, cause);
}

/** The errno name behind a filesystem error (from any implementation), if any. */
export function fsErrorCode(e: unknown): string | undefined {
  return errnoOf(e instanceof StorageError ? e.cause : e);
}

/** ENOSPC (or EDQUOT), from this thread's file system or a worker's. */
export function isNoSpace(e: unknown): boolean {
  const code = fsErrorCode(e);
  if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  return e instanceof Error && /\bENOSPC\b|no space left on device/i.test(e.message);
}

function errnoOf(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code;
  return undefined;
}

/** Rejects a negative or non-integer file position or length (before any I/O). */
export function checkRange(position: number, length: number): void {
  if (!Number.isSafeInteger(position) || position < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw invalidArgument(`bad file range: position ${position}, length ${length}`);
  }
}
