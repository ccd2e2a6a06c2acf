// Canonical text form of a Predicate (DESIGN §3): what the SDK sends, and
// the inverse of the parser — parsePredicate(printPredicate(p)) deep-equals
// p for every predicate the printer accepts, and printing a parsed canonical
// text gives the same text back.
//
// Layout: row, column, time, history, joined by " and "; the intervals of a
// field joined by " or " in stored order. Per interval:
//   lower = upper, both inclusive          row = 'x'
//   [p, prefixSuccessor(p))                row ~= 'p'
//   one bound                              row >= 'x'   row < 'x'  ...
//   two bounds                             'a' <= row < 'b'  (lower first)
// Strings use single quotes; printable ASCII is kept, \\ \' \n \r \t are
// escaped, a valid UTF-8 sequence for a printable non-ASCII character is
// kept as that character, and every other byte is \xHH. Times print as
// @<microseconds>; ISO-8601 is accepted on input only.
//
// Some structures have no text form, and printing them throws a RangeError
// instead of printing something that parses to a different predicate:
// - an interval with neither bound (`row >= ''` would parse back as
//   lower '' inclusive, a different structure); omit the field instead;
// - an empty interval list (the grammar has no empty set);
// - a time that is not a safe integer, a history that is 0 or not an integer.
// The parser never produces any of these.

import type { Bound, Interval } from '@kdi/primitives';
import type { Predicate } from './predicate.js';
import { prefixSuccessor } from './prefix.js';
import { formatTime } from './time-literal.js';
import { decodeUtf8Char } from './utf8.js';

/** Prints `p` in canonical form; `{}` prints as the empty string. */
export function printPredicate(p: Predicate): string {
  const parts: string[] = [];
  if (p.rows !== undefined) parts.push(printSet('row', 'rows', p.rows, quoteBytes, bytesEqual));
  if (p.columns !== undefined) parts.push(printSet('column', 'columns', p.columns, quoteBytes, bytesEqual));
  if (p.times !== undefined) parts.push(printSet('time', 'times', p.times, printTime, (a, b) => a === b));
  if (p.history !== undefined) {
    if (!Number.isSafeInteger(p.history) || p.history === 0) {
      throw new RangeError(`printPredicate: history must be a non-zero safe integer, got ${p.history}`);
    }
    parts.push(`history = ${p.history}`);
  }
  return parts.join(' and ');
}

/** A byte string as a single-quoted literal of the predicate language. */
export function quoteBytes(bytes: Uint8Array): string {
  let out = "'";
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    const escape = SIMPLE_ESCAPES.get(b);
    if (escape !== undefined) {
      out += escape;
      i++;
    } else if (b >= 0x20 && b <= 0x7e) {
      out += String.fromCharCode(b);
      i++;
    } else {
      const decoded = b >= 0x80 ? decodeUtf8Char(bytes, i) : undefined;
      const ch = decoded === undefined ? undefined : String.fromCodePoint(decoded.codePoint);
      if (decoded !== undefined && ch !== undefined && PRINTABLE.test(ch)) {
        out += ch;
        i += decoded.length;
      } else {
        out += `\\x${b.toString(16).padStart(2, '0')}`;
        i++;
      }
    }
  }
  return `${out}'`;
}

const SIMPLE_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x5c, '\\\\'],
  [0x27, "\\'"],
  [0x0a, '\\n'],
  [0x0d, '\\r'],
  [0x09, '\\t'],
]);

// Letters, marks, numbers, punctuation and symbols. Separators (e.g. U+00A0,
// U+2028), controls, format characters (e.g. U+200B, U+FEFF), private-use and
// unassigned code points are escaped so the text shows what is there.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

function printTime(micros: number): string {
  if (!Number.isSafeInteger(micros)) {
    throw new RangeError(`printPredicate: time bounds must be safe integers (microseconds), got ${micros}`);
  }
  return formatTime(micros);
}

function printSet<T>(field: string, key: string, intervals: readonly Interval<T>[], literal: (value: T) => string, equal: (a: T, b: T) => boolean): string {
  if (intervals.length === 0) {
    throw new RangeError(`printPredicate: ${key} is an empty list, which has no text form`);
  }
  return intervals.map((interval, i) => printInterval(field, `${key}[${i}]`, interval, literal, equal)).join(' or ');
}

function printInterval<T>(field: string, where: string, { lower, upper }: Interval<T>, literal: (value: T) => string, equal: (a: T, b: T) => boolean): string {
  if (lower !== undefined && upper !== undefined) {
    if (lower.inclusive && upper.inclusive && equal(lower.value, upper.value)) {
      return `${field} = ${literal(lower.value)}`;
    }
    if (isPrefixRange(lower, upper)) return `${field} ~= ${literal(lower.value)}`;
    const lowerOp = lower.inclusive ? '<=' : '<';
    const upperOp = upper.inclusive ? '<=' : '<';
    return `${literal(lower.value)} ${lowerOp} ${field} ${upperOp} ${literal(upper.value)}`;
  }
  if (lower !== undefined) return `${field} ${lower.inclusive ? '>=' : '>'} ${literal(lower.value)}`;
  if (upper !== undefined) return `${field} ${upper.inclusive ? '<=' : '<'} ${literal(upper.value)}`;
  throw new RangeError(`printPredicate: ${where} has neither a lower nor an upper bound, which has no text form; ` + 'omit the field to admit every value');
}

/** True when [lower, upper) is exactly what `~= lower` parses to. */
function isPrefixRange<T>(lower: Bound<T>, upper: Bound<T>): boolean {
  if (!(lower.value instanceof Uint8Array) || !(upper.value instanceof Uint8Array)) return false;
  if (!lower.inclusive || upper.inclusive) return false;
  const successor = prefixSuccessor(lower.value);
  return successor !== undefined && bytesEqual(successor, upper.value);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}
