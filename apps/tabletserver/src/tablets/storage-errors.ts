// The storage engine's small error set mapped onto the protocol catalogue
// (STYLE: one exhaustive mapping at the app's edge):
//
//   aborted          → ABORTED (409): a row changed after commitMaxTxn
//   busy             → RESOURCE_EXHAUSTED (429) with the engine's retryAfterMs
//   invalid-argument → INVALID_ARGUMENT (400)
//   not-found        → NOT_FOUND (404)
//   corruption       → DATA_CORRUPTION (500)
//   io, closed       → UNAVAILABLE (503): the disk failed or the engine is
//                      shutting down; another server (or this one, later)
//                      may serve the request
//   unavailable      → UNAVAILABLE (503) with retryAfterMs: the tablet's
//                      writes stayed frozen (a migration) for the whole wait
//
// Anything that is not a StorageError passes through unchanged (KdiErrors
// keep their code; the HTTP edge turns the rest into INTERNAL).

import { KdiError, type ErrorCode } from '@kdi/protocol';
import { isStorageError, type StorageErrorKind } from '@kdi/storage';

const CODE_BY_KIND: Readonly<Record<StorageErrorKind, ErrorCode>> = {
  aborted: 'ABORTED',
  busy: 'RESOURCE_EXHAUSTED',
  'invalid-argument': 'INVALID_ARGUMENT',
  'not-found': 'NOT_FOUND',
  corruption: 'DATA_CORRUPTION',
  io: 'UNAVAILABLE',
  closed: 'UNAVAILABLE',
  unavailable: 'UNAVAILABLE',
};

/** The KdiError for a StorageError (extra details merged in); anything else unchanged. */
export function fromStorageError(e: unknown, extraDetails?: Readonly<Record<string, unknown>>): unknown {
  if (!isStorageError(e)) return e;
  const code = CODE_BY_KIND[e.kind];
  const details = { ...e.details, ...extraDetails };
  let message = e.message;
  if (e.kind === 'io') message = `storage I/O failed: ${e.message}`;
  else if (e.kind === 'closed') message = `the tablet server is shutting down (${e.message})`;
  else if (e.kind === 'corruption') message = `stored data failed a check: ${e.message}`;
  return new KdiError(code, message, {
    ...(Object.keys(details).length > 0 && { details }),
    ...((e.kind === 'busy' || e.kind === 'unavailable') && { retryAfterMs: e.retryAfterMs ?? 1000 }),
    cause: e,
  });
}
