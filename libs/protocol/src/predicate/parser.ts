// Recursive-descent parser for the predicate language (grammar in DESIGN §3
// and lexer.ts). One token of lookahead; every failure is a
// PredicateSyntaxError naming the offending position and what was expected.
//
// What the parser promises about its output:
// - byte bounds are Buffers (so structural equality is well-defined) and time
//   bounds safe integers;
// - intervals appear in the order written, unmerged;
// - no interval is unbounded on both sides, and no set is empty, so every
//   parsed Predicate can be printed (printer.ts) and parses back equal;
// - keys that were not constrained are absent (not present-but-undefined).

import { describeToken, Lexer } from './lexer.js';
import type { Operator, Token } from './lexer.js';
import type { Bound, Interval } from '@kdi/primitives';
import type { Predicate } from './predicate.js';
import { prefixSuccessor } from './prefix.js';
import { PredicateSyntaxError } from './syntax-error.js';
import { parseIsoTime, parseMicrosLiteral, TIME_LITERAL_DESCRIPTION } from './time-literal.js';

type Field = 'row' | 'column' | 'time';
type Inequality = '<' | '<=' | '>' | '>=';

type ParsedInterval = { readonly field: 'row' | 'column'; readonly interval: Interval<Buffer> } | { readonly field: 'time'; readonly interval: Interval<number> };

type Literal = { readonly kind: 'string'; readonly value: Buffer } | { readonly kind: 'time'; readonly value: number };

const FIELDS: ReadonlySet<string> = new Set<Field>(['row', 'column', 'time']);
const TIME_LITERAL = 'a time (@<microseconds> or an ISO-8601 date-time)';

/** Parses predicate text; empty or all-whitespace text is the empty predicate `{}`. */
export function parsePredicate(text: string): Predicate {
  return new Parser(text).parse();
}

class Parser {
  private readonly lexer: Lexer;
  private rows: Interval<Buffer>[] | undefined;
  private columns: Interval<Buffer>[] | undefined;
  private times: Interval<number>[] | undefined;
  private history: number | undefined;
  /** Where each field (or history) was first constrained, for repeat errors. */
  private readonly seenAt = new Map<string, number>();

  constructor(text: string) {
    this.lexer = new Lexer(text);
  }

  parse(): Predicate {
    if (this.lexer.peek().kind === 'eof') return {};
    for (;;) {
      const wasHistory = this.parseSub();
      const token = this.lexer.peek();
      if (token.kind === 'eof') break;
      if (isKeyword(token, 'and')) {
        this.lexer.next();
        continue;
      }
      throw syntaxError(token, wasHistory ? "'and' or end of input" : "'and', 'or' or end of input");
    }
    const result: { -readonly [K in keyof Predicate]: Predicate[K] } = {};
    if (this.rows !== undefined) result.rows = this.rows;
    if (this.columns !== undefined) result.columns = this.columns;
    if (this.times !== undefined) result.times = this.times;
    if (this.history !== undefined) result.history = this.history;
    return result;
  }

  /** SUB := STRSET | TIMESET | "history" "=" INT. Returns true for a history clause. */
  private parseSub(): boolean {
    const first = this.lexer.peek();
    if (isKeyword(first, 'history')) {
      this.parseHistory();
      return true;
    }
    const head = this.parseInterval(undefined);
    const field = head.field;
    const intervals: ParsedInterval[] = [head];
    while (isKeyword(this.lexer.peek(), 'or')) {
      this.lexer.next();
      intervals.push(this.parseInterval(field));
    }
    if (field === 'time') {
      this.times = intervals.map((p) => p.interval as Interval<number>);
    } else {
      const byteIntervals = intervals.map((p) => p.interval as Interval<Buffer>);
      if (field === 'row') this.rows = byteIntervals;
      else this.columns = byteIntervals;
    }
    return false;
  }

  private parseHistory(): void {
    const keyword = this.lexer.next();
    this.claim('history', keyword);
    const eq = this.lexer.next();
    if (eq.kind !== 'op' || eq.op !== '=') throw syntaxError(eq, "'=' after 'history'");
    const value = this.lexer.next();
    const expected = "a non-zero integer after 'history =' (K > 0 keeps the newest K cells, K < 0 drops the newest |K|)";
    if (value.kind !== 'word' || !/^-?\d+$/.test(value.text)) throw syntaxError(value, expected);
    // Text of up to 15 characters (at most 15 digits) is below 2^53 and exact as a Number; BigInt only for longer text.
    const k = value.text.length <= 15 ? Number(value.text) : BigInt(value.text);
    if (k === 0 || k === 0n) throw syntaxError(value, expected);
    if (typeof k === 'bigint' && (k > BigInt(Number.MAX_SAFE_INTEGER) || k < BigInt(Number.MIN_SAFE_INTEGER))) {
      throw syntaxError(value, 'a history count within the safe-integer range');
    }
    this.history = Number(k);
  }

  /**
   * One STRIV or TIV. `chainField` is the field of the or-chain this
   * interval continues; undefined for the first interval of a chain.
   */
  private parseInterval(chainField: Field | undefined): ParsedInterval {
    const first = this.lexer.next();
    if (first.kind === 'ident' && FIELDS.has(first.text)) {
      return this.parseFieldFirst(first, chainField);
    }
    if (first.kind === 'string' || first.kind === 'word') {
      return this.parseLiteralFirst(first, chainField);
    }
    const expected =
      chainField === undefined
        ? "'row', 'column', 'time', 'history', a string literal or a time"
        : `'${chainField}' or a ${chainField === 'time' ? 'time' : 'string literal'} ` + '(an or-chain unions intervals of one field)';
    throw syntaxError(first, expected);
  }

  /** F INEQ L | F "=" L | F "~=" S */
  private parseFieldFirst(fieldToken: Token, chainField: Field | undefined): ParsedInterval {
    const field = this.checkField(fieldToken, chainField);
    const opToken = this.lexer.next();
    if (opToken.kind !== 'op' || (field === 'time' && opToken.op === '~=')) {
      const ops = field === 'time' ? "'<', '<=', '>', '>=' or '='" : "'<', '<=', '>', '>=', '=' or '~='";
      throw syntaxError(opToken, `${ops} after '${field}'`);
    }
    const literal = this.parseLiteral(field, opToken);
    return makeInterval(field, intervalFor(opToken.op, literal.value));
  }

  /** L INEQ F INEQ L, both operators pointing the same way. */
  private parseLiteralFirst(literalToken: Token, chainField: Field | undefined): ParsedInterval {
    const isString = literalToken.kind === 'string';
    const lowLiteral = this.literalFromToken(literalToken, isString ? 'row' : 'time');
    const op1 = this.lexer.next();
    if (!isInequality(op1)) {
      throw syntaxError(op1, "'<', '<=', '>' or '>=' after a literal (a literal-first comparison is two-sided, e.g. 'a' <= row < 'b')");
    }
    const fieldToken = this.lexer.next();
    const fieldsForLiteral = isString ? "'row' or 'column'" : "'time'";
    if (fieldToken.kind !== 'ident' || !FIELDS.has(fieldToken.text)) {
      throw syntaxError(fieldToken, `${fieldsForLiteral} after '${op1.text}'`);
    }
    const field = this.checkField(fieldToken, chainField);
    if ((field === 'time') === isString) {
      throw syntaxError(fieldToken, `${fieldsForLiteral} after ${isString ? 'a string literal' : 'a time'}`);
    }
    const pointsUp = op1.op === '<' || op1.op === '<=';
    const sameWay = pointsUp ? "'<' or '<='" : "'>' or '>='";
    const op2 = this.lexer.peek();
    if (!isInequality(op2)) {
      throw syntaxError(
        op2,
        `${sameWay} and a second literal after '${field}': a comparison with the literal first must be two-sided ` +
          `(write a one-sided comparison field first, e.g. ${field} ${mirror(op1.op)} ...)`,
      );
    }
    if ((op2.op === '<' || op2.op === '<=') !== pointsUp) {
      throw syntaxError(op2, `${sameWay} (both operators of a two-sided interval must point the same way)`);
    }
    this.lexer.next();
    const highLiteral = this.parseLiteral(field, op2);
    const first: Bound<Buffer | number> = { value: lowLiteral.value, inclusive: op1.op.endsWith('=') };
    const second: Bound<Buffer | number> = { value: highLiteral.value, inclusive: op2.op.endsWith('=') };
    // '<' chains read lower-to-upper; '>' chains read upper-to-lower.
    return makeInterval(field, pointsUp ? { lower: first, upper: second } : { lower: second, upper: first });
  }

  /** Reads the literal that must follow `after` for `field`. */
  private parseLiteral(field: Field, after: Token): Literal {
    const token = this.lexer.next();
    if (field === 'time') {
      if (token.kind !== 'word') throw syntaxError(token, `${TIME_LITERAL} after '${after.text}'`);
    } else if (token.kind !== 'string') {
      throw syntaxError(token, `a string literal after '${after.text}'`);
    }
    return this.literalFromToken(token, field);
  }

  private literalFromToken(token: Token, field: Field): Literal {
    if (field !== 'time') {
      if (token.kind !== 'string') throw syntaxError(token, 'a string literal');
      return { kind: 'string', value: token.bytes };
    }
    const text = token.text;
    let result;
    if (text.startsWith('@')) result = parseMicrosLiteral(text.slice(1));
    else if (/^-?\d+$/.test(text)) result = { ok: false as const, expected: TIME_LITERAL_DESCRIPTION, at: 0 };
    else result = parseIsoTime(text);
    if (!result.ok) {
      // Point at the offending character inside the literal (a mixed format, a bad month, ...).
      throw new PredicateSyntaxError(token.start + result.at, result.expected, describeToken(token));
    }
    return { kind: 'time', value: result.micros };
  }

  /** Checks the field continues the or-chain (if any) and is not constrained twice. */
  private checkField(token: Token, chainField: Field | undefined): Field {
    const field = token.text as Field;
    if (chainField !== undefined) {
      if (field !== chainField) {
        throw syntaxError(token, `'${chainField}' (an or-chain unions intervals of one field; join different fields with 'and')`);
      }
    } else {
      this.claim(field, token);
    }
    return field;
  }

  private claim(name: string, token: Token): void {
    const previous = this.seenAt.get(name);
    if (previous !== undefined) {
      const hint = name === 'history' ? '' : "; union intervals of one field with 'or'";
      throw syntaxError(token, `a field not constrained yet (${name} already appears at position ${previous}${hint})`);
    }
    this.seenAt.set(name, token.start);
  }
}

/** The interval `field op value` denotes. */
function intervalFor(op: Operator, value: Buffer | number): Interval<Buffer | number> {
  const bound = (inclusive: boolean): Bound<Buffer | number> => ({ value, inclusive });
  switch (op) {
    case '<':
      return { upper: bound(false) };
    case '<=':
      return { upper: bound(true) };
    case '>':
      return { lower: bound(false) };
    case '>=':
      return { lower: bound(true) };
    case '=':
      return { lower: bound(true), upper: bound(true) };
    case '~=': {
      // Only reachable for string fields (the caller rejects '~=' on time).
      const prefix = value as Buffer;
      const successor = prefixSuccessor(prefix);
      const lower = bound(true);
      return successor === undefined ? { lower } : { lower, upper: { value: successor, inclusive: false } };
    }
  }
}

function makeInterval(field: Field, interval: Interval<unknown>): ParsedInterval {
  return field === 'time' ? { field, interval: interval as Interval<number> } : { field, interval: interval as Interval<Buffer> };
}

function isKeyword(token: Token, keyword: string): boolean {
  return token.kind === 'ident' && token.text === keyword;
}

function isInequality(token: Token): token is Token & { kind: 'op'; op: Inequality } {
  return token.kind === 'op' && (token.op === '<' || token.op === '<=' || token.op === '>' || token.op === '>=');
}

/** The operator that states the same constraint with the operands swapped. */
function mirror(op: Inequality): Inequality {
  return op === '<' ? '>' : op === '<=' ? '>=' : op === '>' ? '<' : '<=';
}

function syntaxError(token: Token, expected: string): PredicateSyntaxError {
  return new PredicateSyntaxError(token.start, expected, describeToken(token));
}
