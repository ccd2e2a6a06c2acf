// A scan predicate as requests send it (DESIGN §3): the text form (parsed
// with the protocol's parser; a syntax error is INVALID_ARGUMENT naming
// the position and what was expected) or the parsed structure as JSON,
// with byte strings in the request's encoding. Both give a Predicate and
// its canonical text, which resume tokens are bound to — so a token made
// for the text form is accepted with the equivalent structure and back.
// Shared by the tablet server and the master's gateway, so both read a
// predicate field alike.

import type { CellEncoding } from '../cells/json-schema.js';
import { decodeWireBytes } from '../cells/wire-bytes.js';
import { KdiError } from '../errors/kdi-error.js';
import { toKdiError } from '../errors/to-kdi-error.js';
import { parsePredicate } from '../predicate/parser.js';
import type { Interval } from '@kdi/primitives';
import type { Predicate } from '../predicate/predicate.js';
import { printPredicate } from '../predicate/printer.js';
import { PredicateSyntaxError } from '../predicate/syntax-error.js';
import type { StructuredPredicate, WireInterval } from './predicate-schema.js';

export interface WirePredicate {
  readonly predicate: Predicate;
  /**
   * printPredicate(predicate): the same for the text and the structured
   * form. Printed on first read: most requests (a page that ends, a stat)
   * never need it.
   */
  readonly canonical: string;
}

/** A class, not an object literal with a getter: V8 builds those slowly, once per request. */
class LazyWirePredicate implements WirePredicate {
  #canonical: string | undefined;
  constructor(readonly predicate: Predicate) {}

  get canonical(): string {
    return (this.#canonical ??= printPredicate(this.predicate));
  }
}

/** The predicate of a request; `field` names it in errors ("body.predicate"). */
export function readWirePredicate(input: string | StructuredPredicate | undefined, encoding: CellEncoding, field = 'predicate'): WirePredicate {
  if (input === undefined) return { predicate: {}, canonical: '' };
  if (typeof input === 'string') {
    let predicate: Predicate;
    try {
      predicate = parsePredicate(input);
    } catch (e) {
      if (e instanceof PredicateSyntaxError) {
        const k = toKdiError(e);
        throw new KdiError('INVALID_ARGUMENT', `${field}: ${k.message}`, { details: { ...k.details, field }, cause: e });
      }
      throw e;
    }
    return new LazyWirePredicate(predicate);
  }
  const predicate: Predicate = {
    ...(input.rows !== undefined && { rows: byteIntervals(input.rows, encoding, `${field}.rows`) }),
    ...(input.columns !== undefined && { columns: byteIntervals(input.columns, encoding, `${field}.columns`) }),
    ...(input.times !== undefined && { times: timeIntervals(input.times, `${field}.times`) }),
    ...(input.history !== undefined && { history: input.history }),
  };
  return new LazyWirePredicate(predicate);
}

function byteIntervals(list: readonly WireInterval<string>[], encoding: CellEncoding, where: string): Interval<Uint8Array>[] {
  checkList(list, where);
  return list.map((iv, i) => ({
    ...(iv.lower !== undefined && { lower: { value: decodeWireBytes(iv.lower.value, encoding, `${where}[${i}].lower.value`), inclusive: iv.lower.inclusive } }),
    ...(iv.upper !== undefined && { upper: { value: decodeWireBytes(iv.upper.value, encoding, `${where}[${i}].upper.value`), inclusive: iv.upper.inclusive } }),
  }));
}

function timeIntervals(list: readonly WireInterval<number>[], where: string): Interval<number>[] {
  checkList(list, where);
  return list.map((iv) => ({ ...(iv.lower !== undefined && { lower: iv.lower }), ...(iv.upper !== undefined && { upper: iv.upper }) }));
}

/** Structures the text form cannot express are refused, so every predicate has one canonical text. */
function checkList(list: readonly WireInterval<unknown>[], where: string): void {
  if (list.length === 0) {
    throw new KdiError('INVALID_ARGUMENT', `${where} is an empty list, which would match nothing; leave the field out to match everything`, {
      details: { field: where },
    });
  }
  list.forEach((iv, i) => {
    if (iv.lower === undefined && iv.upper === undefined) {
      throw new KdiError('INVALID_ARGUMENT', `${where}[${i}] has neither a lower nor an upper bound; leave the field out to match everything`, {
        details: { field: `${where}[${i}]` },
      });
    }
  });
}
