// One mapping from anything thrown inside a KDI process to the catalogue
// (STYLE: one exhaustive mapping at each app's edge). Predicate syntax
// errors are the user's to fix (INVALID_ARGUMENT, with the position);
// unknown errors become INTERNAL with a message that reveals nothing.

import { PredicateSyntaxError } from '../predicate/syntax-error.js';
import { isKdiError, KdiError } from './kdi-error.js';

export function toKdiError(e: unknown): KdiError {
  if (isKdiError(e)) return e;
  if (e instanceof PredicateSyntaxError) {
    return new KdiError('INVALID_ARGUMENT', `bad predicate: ${e.message}`, {
      details: { position: e.position, expected: e.expected },
      cause: e,
    });
  }
  return new KdiError('INTERNAL', 'internal error', { cause: e });
}
