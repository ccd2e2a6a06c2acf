// A scan predicate as callers give it (DESIGN §3): the text form or the
// parsed structure. Either is checked here and sent as its canonical text,
// so a syntax error is an INVALID_ARGUMENT before any request, and the
// first wanted row is known for routing the first page.

import { KdiError, normalizeIntervals, parsePredicate, PredicateSyntaxError, printPredicate, type Predicate } from '@kdi/protocol';

export type PredicateInput = string | Predicate;

export interface PreparedPredicate {
  readonly text: string;
  /** The lowest row the scan wants (empty: from the first row). */
  readonly firstRow: Uint8Array;
}

export function preparePredicate(input: PredicateInput | undefined): PreparedPredicate {
  let p: Predicate;
  try {
    p = input === undefined ? {} : typeof input === 'string' ? parsePredicate(input) : input;
  } catch (e) {
    if (e instanceof PredicateSyntaxError) throw new KdiError('INVALID_ARGUMENT', `the predicate is not valid: ${e.message}`, { cause: e });
    throw e;
  }
  let text: string;
  try {
    text = printPredicate(p);
  } catch (e) {
    throw new KdiError('INVALID_ARGUMENT', `the predicate structure is not valid: ${(e as Error).message}`, { cause: e });
  }
  const rows = p.rows === undefined ? undefined : normalizeIntervals(p.rows);
  const firstRow = rows?.[0]?.lower?.value ?? new Uint8Array(0);
  return { text, firstRow };
}
