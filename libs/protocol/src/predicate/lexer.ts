// Tokens of the predicate language (DESIGN §3). The lexer is pulled one
// token at a time by the parser, so a malformed token is reported only when
// the parser reaches it and errors come out in text order.
//
//   ident     [A-Za-z_][A-Za-z0-9_]*           keywords are checked by the parser
//   op        <  <=  >  >=  =  ~=
//   string    '...' or "..." with \n \r \t \\ \" \' \xHH \uHHHH; other
//             characters are taken as UTF-8; \xHH is one raw byte
//   word      starts with a digit, '-' or '@' and runs over [0-9A-Za-z:.,+@-]:
//             integers, @micros and ISO-8601 times; the parser decides
//             which one it expects, so it can say so precisely
//   eof
//
// Whitespace (space, tab, CR, LF) separates tokens and is otherwise ignored.

import { PredicateSyntaxError } from './syntax-error.js';

export type Operator = '<' | '<=' | '>' | '>=' | '=' | '~=';

interface TokenBase {
  /** Offset of the first character of the token. */
  readonly start: number;
  /** The token's source text ('' for eof). */
  readonly text: string;
}

export type Token =
  | (TokenBase & { readonly kind: 'ident' })
  | (TokenBase & { readonly kind: 'op'; readonly op: Operator })
  | (TokenBase & { readonly kind: 'string'; readonly bytes: Buffer })
  | (TokenBase & { readonly kind: 'word' })
  | (TokenBase & { readonly kind: 'eof' });

const ESCAPES_DESCRIPTION = String.raw`an escape sequence (\n \r \t \\ \" \' \xHH \uHHHH)`;

export class Lexer {
  private readonly text: string;
  private offset = 0;
  private lookahead: Token | undefined;

  constructor(text: string) {
    this.text = text;
  }

  /** The next token without consuming it. */
  peek(): Token {
    this.lookahead ??= this.scan();
    return this.lookahead;
  }

  /** Consumes and returns the next token. */
  next(): Token {
    const token = this.peek();
    this.lookahead = undefined;
    return token;
  }

  private scan(): Token {
    const text = this.text;
    while (this.offset < text.length && isWhitespace(text.charCodeAt(this.offset))) this.offset++;
    const start = this.offset;
    if (start >= text.length) return { kind: 'eof', start, text: '' };

    const c = text[start] ?? '';
    if (c === "'" || c === '"') return this.scanString(start, c);
    if (c === '<' || c === '>') {
      const orEqual = text[start + 1] === '=';
      const op: Operator = c === '<' ? (orEqual ? '<=' : '<') : orEqual ? '>=' : '>';
      return this.take(start, op.length, (t) => ({ kind: 'op', op, start, text: t }));
    }
    if (c === '=') return this.take(start, 1, (t) => ({ kind: 'op', op: '=', start, text: t }));
    if (c === '~') {
      if (text[start + 1] !== '=') {
        const found = describeAt(text, start + 1);
        throw new PredicateSyntaxError(start + 1, "'=' after '~' (the prefix operator is '~=')", found);
      }
      return this.take(start, 2, (t) => ({ kind: 'op', op: '~=', start, text: t }));
    }
    if (/[A-Za-z_]/.test(c)) {
      const length = runLength(text, start, /[A-Za-z0-9_]/);
      return this.take(start, length, (t) => ({ kind: 'ident', start, text: t }));
    }
    if (/[0-9@-]/.test(c)) {
      const length = runLength(text, start, /[0-9A-Za-z:.,+@-]/);
      return this.take(start, length, (t) => ({ kind: 'word', start, text: t }));
    }
    throw new PredicateSyntaxError(start, 'a keyword, an operator, a quoted string or a time', describeAt(text, start));
  }

  private take(start: number, length: number, make: (text: string) => Token): Token {
    this.offset = start + length;
    return make(this.text.slice(start, this.offset));
  }

  private scanString(start: number, quote: string): Token {
    const text = this.text;
    const bytes: number[] = [];
    let i = start + 1;
    for (;;) {
      if (i >= text.length) {
        throw new PredicateSyntaxError(i, `a closing ${quote} for the string that starts at position ${start}`, 'end of input');
      }
      const ch = text[i];
      if (ch === quote) break;
      if (ch === '\\') {
        i = this.scanEscape(i, bytes);
        continue;
      }
      const cp = text.codePointAt(i) ?? 0;
      if (cp >= 0xd800 && cp <= 0xdfff) {
        const expected = 'valid Unicode text (a lone UTF-16 surrogate cannot be encoded as UTF-8)';
        throw new PredicateSyntaxError(i, expected, 'a lone surrogate');
      }
      pushUtf8(bytes, cp);
      i += cp > 0xffff ? 2 : 1;
    }
    this.offset = i + 1;
    return { kind: 'string', bytes: Buffer.from(bytes), start, text: text.slice(start, this.offset) };
  }

  /** Decodes the escape at `at` (a backslash) into `bytes`; returns the offset after it. */
  private scanEscape(at: number, bytes: number[]): number {
    const text = this.text;
    const kind = text[at + 1];
    switch (kind) {
      case 'n':
        bytes.push(0x0a);
        return at + 2;
      case 'r':
        bytes.push(0x0d);
        return at + 2;
      case 't':
        bytes.push(0x09);
        return at + 2;
      case '\\':
      case '"':
      case "'":
        bytes.push(kind.charCodeAt(0));
        return at + 2;
      case 'x':
        bytes.push(this.hexDigits(at, 2));
        return at + 4;
      case 'u': {
        const unit = this.hexDigits(at, 4);
        if (unit >= 0xdc00 && unit <= 0xdfff) {
          const expected = String.raw`a \u escape that is not a lone low surrogate`;
          throw new PredicateSyntaxError(at, expected, describeRange(text, at, 6));
        }
        if (unit < 0xd800 || unit > 0xdbff) {
          pushUtf8(bytes, unit);
          return at + 6;
        }
        // A high surrogate must be followed by a low one; together they name one code point.
        const low = text.startsWith('\\u', at + 6) ? this.hexDigits(at + 6, 4) : -1;
        if (low < 0xdc00 || low > 0xdfff) {
          throw new PredicateSyntaxError(at + 6, String.raw`a \uDC00-\uDFFF escape completing the surrogate pair started at position ` + at, describeRange(text, at + 6, 6));
        }
        pushUtf8(bytes, 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00));
        return at + 12;
      }
      default:
        if (kind === undefined) {
          throw new PredicateSyntaxError(at + 1, `${ESCAPES_DESCRIPTION} after '\\'`, 'end of input');
        }
        throw new PredicateSyntaxError(at, ESCAPES_DESCRIPTION, describeRange(text, at, 2));
    }
  }

  /** Reads exactly `count` hex digits after the two-character escape prefix at `at`. */
  private hexDigits(at: number, count: number): number {
    const digits = this.text.slice(at + 2, at + 2 + count);
    if (digits.length !== count || !/^[0-9A-Fa-f]+$/.test(digits)) {
      const prefix = this.text.slice(at, at + 2);
      throw new PredicateSyntaxError(at, `exactly ${count} hex digits after '${prefix}'`, describeRange(this.text, at, 2 + count));
    }
    return Number.parseInt(digits, 16);
  }
}

/** Renders the token for an error message: quoted and shortened, or "end of input". */
export function describeToken(token: Token): string {
  return token.kind === 'eof' ? 'end of input' : quoteForMessage(token.text);
}

function describeAt(text: string, at: number): string {
  if (at >= text.length) return 'end of input';
  return quoteForMessage(String.fromCodePoint(text.codePointAt(at) ?? 0));
}

function describeRange(text: string, at: number, length: number): string {
  const slice = text.slice(at, at + length);
  return slice === '' ? 'end of input' : quoteForMessage(slice);
}

function quoteForMessage(s: string): string {
  const MAX = 24;
  return `'${s.length > MAX ? `${s.slice(0, MAX)}...` : s}'`;
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

function runLength(text: string, start: number, allowed: RegExp): number {
  let end = start + 1;
  while (end < text.length && allowed.test(text[end] ?? '')) end++;
  return end - start;
}

function pushUtf8(bytes: number[], cp: number): void {
  if (cp < 0x80) {
    bytes.push(cp);
  } else if (cp < 0x800) {
    bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  } else {
    bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
}
