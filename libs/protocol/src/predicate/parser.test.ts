import { describe, expect, it } from 'vitest';
import { parsePredicate } from './parser.js';
import { PredicateSyntaxError } from './syntax-error.js';

const b = (s: string) => Buffer.from(s, 'utf8');
const raw = (...bytes: number[]) => Buffer.from(bytes);
const incl = <T>(value: T) => ({ value, inclusive: true });
const excl = <T>(value: T) => ({ value, inclusive: false });
const utcMicros = (...args: Parameters<typeof Date.UTC>) => Date.UTC(...args) * 1000;

function syntaxErrorOf(text: string): PredicateSyntaxError {
  try {
    parsePredicate(text);
  } catch (error) {
    if (error instanceof PredicateSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('parsePredicate: DESIGN §3 examples', () => {
  it("row = 'com.foo/index.html' and history = 1", () => {
    expect(parsePredicate("row = 'com.foo/index.html' and history = 1")).toStrictEqual({
      rows: [{ lower: incl(b('com.foo/index.html')), upper: incl(b('com.foo/index.html')) }],
      history: 1,
    });
  });

  it("row ~= 'com.foo' and time >= 2024-01-02T03:04:05Z", () => {
    expect(parsePredicate("row ~= 'com.foo' and time >= 2024-01-02T03:04:05Z")).toStrictEqual({
      rows: [{ lower: incl(b('com.foo')), upper: excl(b('com.fop')) }],
      times: [{ lower: incl(utcMicros(2024, 0, 2, 3, 4, 5)) }],
    });
  });

  it('"word:cat" < column <= "word:dog" or column >= "word:fish"', () => {
    expect(parsePredicate('"word:cat" < column <= "word:dog" or column >= "word:fish"')).toStrictEqual({
      columns: [{ lower: excl(b('word:cat')), upper: incl(b('word:dog')) }, { lower: incl(b('word:fish')) }],
    });
  });
});

describe('parsePredicate: intervals', () => {
  it('empty and whitespace-only text is the empty predicate', () => {
    expect(parsePredicate('')).toStrictEqual({});
    expect(parsePredicate(' \t\r\n ')).toStrictEqual({});
  });

  it('field-first comparisons give one-sided intervals', () => {
    expect(parsePredicate("row < 'a'").rows).toStrictEqual([{ upper: excl(b('a')) }]);
    expect(parsePredicate("row <= 'a'").rows).toStrictEqual([{ upper: incl(b('a')) }]);
    expect(parsePredicate("row > 'a'").rows).toStrictEqual([{ lower: excl(b('a')) }]);
    expect(parsePredicate("row >= 'a'").rows).toStrictEqual([{ lower: incl(b('a')) }]);
    expect(parsePredicate("column='a'").columns).toStrictEqual([{ lower: incl(b('a')), upper: incl(b('a')) }]);
  });

  it('two-sided intervals read in either direction', () => {
    const expected = [{ lower: incl(b('a')), upper: excl(b('b')) }];
    expect(parsePredicate("'a' <= row < 'b'").rows).toStrictEqual(expected);
    expect(parsePredicate("'b' > row >= 'a'").rows).toStrictEqual(expected);
    expect(parsePredicate("'a'<row<='b'").rows).toStrictEqual([{ lower: excl(b('a')), upper: incl(b('b')) }]);
    expect(parsePredicate("'b' >= row > 'a'").rows).toStrictEqual([{ lower: excl(b('a')), upper: incl(b('b')) }]);
    expect(parsePredicate('@1 <= time < @5').times).toStrictEqual([{ lower: incl(1), upper: excl(5) }]);
    expect(parsePredicate('@5 > time > @1').times).toStrictEqual([{ lower: excl(1), upper: excl(5) }]);
  });

  it('keeps an empty two-sided interval as written', () => {
    expect(parsePredicate("'b' <= row < 'a'").rows).toStrictEqual([{ lower: incl(b('b')), upper: excl(b('a')) }]);
  });

  it('or unions intervals of one field in written order, including literal-first ones', () => {
    expect(parsePredicate("row = 'z' or 'a' <= row < 'c' or row ~= 'q'").rows).toStrictEqual([
      { lower: incl(b('z')), upper: incl(b('z')) },
      { lower: incl(b('a')), upper: excl(b('c')) },
      { lower: incl(b('q')), upper: excl(b('r')) },
    ]);
    expect(parsePredicate('time < @0 or time = @7 or @10 < time <= @20').times).toStrictEqual([
      { upper: excl(0) },
      { lower: incl(7), upper: incl(7) },
      { lower: excl(10), upper: incl(20) },
    ]);
  });

  it('and joins every field and history in any order', () => {
    expect(parsePredicate("history = -2 and time > @3 and column ~= 'f:' and row = 'r'")).toStrictEqual({
      rows: [{ lower: incl(b('r')), upper: incl(b('r')) }],
      columns: [{ lower: incl(b('f:')), upper: excl(b('f;')) }],
      times: [{ lower: excl(3) }],
      history: -2,
    });
  });

  it('produces Buffers for byte bounds', () => {
    const rows = parsePredicate("'a' <= row < 'b'").rows ?? [];
    expect(Buffer.isBuffer(rows[0]?.lower?.value)).toBe(true);
    expect(Buffer.isBuffer(rows[0]?.upper?.value)).toBe(true);
  });
});

describe('parsePredicate: prefix match', () => {
  it('strips trailing 0xFF bytes before incrementing', () => {
    expect(parsePredicate(String.raw`row ~= 'a\xff\xff'`).rows).toStrictEqual([{ lower: incl(raw(0x61, 0xff, 0xff)), upper: excl(b('b')) }]);
  });

  it('has no upper bound for an all-0xFF or empty prefix', () => {
    expect(parsePredicate(String.raw`row ~= '\xff'`).rows).toStrictEqual([{ lower: incl(raw(0xff)) }]);
    expect(parsePredicate(String.raw`column ~= '\xff\xff'`).columns).toStrictEqual([{ lower: incl(raw(0xff, 0xff)) }]);
    expect(parsePredicate("row ~= ''").rows).toStrictEqual([{ lower: incl(raw()) }]);
  });

  it('is not allowed on time', () => {
    const error = syntaxErrorOf('time ~= @5');
    expect(error.position).toBe(5);
    expect(error.expected).toContain("'<', '<=', '>', '>=' or '='");
  });
});

describe('parsePredicate: history', () => {
  it('accepts positive and negative counts', () => {
    expect(parsePredicate('history = 3')).toStrictEqual({ history: 3 });
    expect(parsePredicate('history=-1')).toStrictEqual({ history: -1 });
    // Short counts are read as Numbers, long ones through BigInt: both sides of the cut, and the safe-integer ends.
    expect(parsePredicate('history = 999999999999999').history).toBe(999_999_999_999_999);
    expect(parsePredicate('history = -99999999999999').history).toBe(-99_999_999_999_999);
    expect(parsePredicate('history = -999999999999999').history).toBe(-999_999_999_999_999);
    expect(parsePredicate('history = -0000000000000001').history).toBe(-1);
    expect(parsePredicate('history = 9007199254740991').history).toBe(Number.MAX_SAFE_INTEGER);
    expect(parsePredicate('history = -9007199254740991').history).toBe(-Number.MAX_SAFE_INTEGER);
    expect(syntaxErrorOf('history = 9007199254740992').expected).toBe('a history count within the safe-integer range');
    expect(syntaxErrorOf('history = 0000000000000000000').expected).toContain('non-zero integer');
  });

  it('rejects 0, non-integers and out-of-range counts', () => {
    for (const text of ['history = 0', 'history = -0', 'history = 1.5', "history = '1'", 'history = 99999999999999999']) {
      const error = syntaxErrorOf(text);
      expect(error.position, text).toBe(10);
    }
    expect(syntaxErrorOf('history = 0').expected).toContain('non-zero integer');
    expect(syntaxErrorOf('history < 3').expected).toBe("'=' after 'history'");
    expect(syntaxErrorOf('history = 1 or history = 2').expected).toBe("'and' or end of input");
  });
});

describe('parsePredicate: times', () => {
  it('reads @micros including negative values', () => {
    expect(parsePredicate('time = @0').times).toStrictEqual([{ lower: incl(0), upper: incl(0) }]);
    expect(parsePredicate('time >= @-5').times).toStrictEqual([{ lower: incl(-5) }]);
    expect(parsePredicate('time < @9007199254740991').times).toStrictEqual([{ upper: excl(Number.MAX_SAFE_INTEGER) }]);
  });

  it('reads ISO-8601 with and without a zone, with fractions and date-only', () => {
    const at = (text: string) => parsePredicate(`time = ${text}`).times?.[0]?.lower?.value;
    const base = utcMicros(2024, 0, 2, 3, 4, 5);
    expect(at('2024-01-02T03:04:05Z')).toBe(base);
    expect(at('2024-01-02T03:04:05')).toBe(base);
    expect(at('2024-01-02t03:04:05z')).toBe(base);
    expect(at('2024-01-02T03:04:05.123456+02:00')).toBe(base + 123_456 - 2 * 3_600_000_000);
    expect(at('2024-01-02T03:04:05.5-01:30')).toBe(base + 500_000 + 90 * 60_000_000);
    expect(at('2024-01-02T03:04')).toBe(utcMicros(2024, 0, 2, 3, 4));
    expect(at('2024-01-02')).toBe(utcMicros(2024, 0, 2));
    expect(at('1970-01-01T00:00:00.000001Z')).toBe(1);
    expect(at('1969-12-31T23:59:59.999999Z')).toBe(-1);
    expect(at('2000-02-29')).toBe(utcMicros(2000, 1, 29));
  });

  it('accepts ISO literals on either side of a two-sided interval', () => {
    expect(parsePredicate('2024-01-01 <= time < 2024-02-01T00:00:00Z').times).toStrictEqual([{ lower: incl(utcMicros(2024, 0, 1)), upper: excl(utcMicros(2024, 1, 1)) }]);
  });

  it('rejects malformed, impossible and out-of-range times at the literal', () => {
    // [text, expected, position]: the position points at the offending part of the literal.
    const cases: [string, string, number][] = [
      ['time = 2024-13-01', 'valid calendar date', 12],
      ['time = 2023-02-29', 'valid calendar date', 15],
      ['time = 2024-01-02T24:00:00Z', 'valid time of day', 18],
      ['time = 2024-01-02T03:04:05.1234567Z', 'at most 6 fractional-second digits', 33],
      ['time = 2024-01-02T03:04:05+25:00', 'valid zone offset', 26],
      ['time = 2024-01-02T03:0405', 'basic and extended format mixed in the time', 23],
      ['time = 2024-1-2', 'a two-digit month', 12],
      ['time = 17', 'ISO-8601', 7],
      ['time = @', "integer number of microseconds after '@'", 7],
      ['time = @1.5', "integer number of microseconds after '@'", 7],
      ['time = @9007199254740992', 'safe-integer microsecond range', 7],
      ['time = 9999-01-01', 'safe-integer microsecond range', 7],
      ["time = '2024-01-01'", 'a time', 7],
    ];
    for (const [text, expected, position] of cases) {
      const error = syntaxErrorOf(text);
      expect(error.position, text).toBe(position);
      expect(error.expected, text).toContain(expected);
    }
  });
});

describe('parsePredicate: string escapes', () => {
  const row = (literal: string) => parsePredicate(`row = ${literal}`).rows?.[0]?.lower?.value;

  it('decodes every escape', () => {
    expect(row(String.raw`'\n\r\t\\\"\''`)).toStrictEqual(b('\n\r\t\\"\''));
    expect(row(String.raw`"\x00\xff\xAb"`)).toStrictEqual(raw(0x00, 0xff, 0xab));
    expect(row(String.raw`'\u00e9\u20AC'`)).toStrictEqual(b('é€'));
    expect(row(String.raw`'\ud83d\ude00'`)).toStrictEqual(b('😀'));
  });

  it('encodes unescaped characters as UTF-8 and lets the other quote through', () => {
    expect(row(`'héllo "x" 😀'`)).toStrictEqual(b('héllo "x" 😀'));
    expect(row(`"it's"`)).toStrictEqual(b("it's"));
    expect(row(`'a\nb'`)).toStrictEqual(b('a\nb'));
  });

  it('rejects bad escapes at the backslash', () => {
    const cases: [string, number, string][] = [
      [String.raw`row = 'a\q'`, 8, 'an escape sequence'],
      [String.raw`row = '\x4'`, 7, "exactly 2 hex digits after '\\x'"],
      [String.raw`row = '\xZZ'`, 7, "exactly 2 hex digits after '\\x'"],
      [String.raw`row = '\u12'`, 7, "exactly 4 hex digits after '\\u'"],
      [String.raw`row = '\ude00'`, 7, 'lone low surrogate'],
      [String.raw`row = '\ud83dx'`, 13, 'surrogate pair'],
    ];
    for (const [text, position, expected] of cases) {
      const error = syntaxErrorOf(text);
      expect(error.position, text).toBe(position);
      expect(error.expected, text).toContain(expected);
    }
    expect(syntaxErrorOf("row = 'a\\").position).toBe(9);
  });

  it('rejects a lone surrogate in the text itself', () => {
    expect(syntaxErrorOf("row = 'a\ud800'").position).toBe(8);
  });

  it('reports an unterminated string at the end of input, naming where it started', () => {
    const error = syntaxErrorOf("row = 'abc");
    expect(error.position).toBe(10);
    expect(error.expected).toBe("a closing ' for the string that starts at position 6");
    expect(error.message).toBe("at position 10: expected a closing ' for the string that starts at position 6 but found end of input");
    expect(syntaxErrorOf('row = "ab\'').expected).toContain('a closing "');
  });
});

describe('parsePredicate: structural errors', () => {
  it('uses the documented message shape', () => {
    const error = syntaxErrorOf("row >= 'a' and column <= and");
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('PredicateSyntaxError');
    expect(error.message).toBe("at position 25: expected a string literal after '<=' but found 'and'");
  });

  const cases: [string, number, string][] = [
    // lone literal-first comparisons
    ["'a' < row", 9, "'<' or '<=' and a second literal after 'row'"],
    ["'a' < row and history = 1", 10, 'must be two-sided'],
    ['@5 >= time', 10, "'>' or '>='"],
    // direction mismatch
    ["'a' < row > 'b'", 10, 'point the same way'],
    ["'b' >= row <= 'a'", 11, 'point the same way'],
    ["'a' = row", 4, "'<', '<=', '>' or '>=' after a literal"],
    // literal kinds
    ["'a' < time < 'b'", 6, "'row' or 'column' after a string literal"],
    ['@1 < row < @2', 5, "'time' after a time"],
    ['row < @1', 6, 'a string literal'],
    // or-chains must stay on one field
    ["row = 'a' or column = 'b'", 13, "'row' (an or-chain unions intervals of one field"],
    ["row = 'a' or 'a' < column < 'b'", 19, "'row' (an or-chain"],
    ['time = @1 or history = 2', 13, "'time' or a time"],
    // repeats
    ["row = 'a' and row = 'b'", 14, 'row already appears at position 0'],
    ["column = 'a' and 'x' < column < 'y'", 23, 'column already appears at position 0'],
    ['history = 1 and history = 2', 16, 'history already appears at position 0'],
    // keywords are lowercase; junk
    ["Row = 'a'", 0, "'row', 'column', 'time', 'history'"],
    ["row = 'a' AND history = 1", 10, "'and', 'or' or end of input"],
    ["row = 'a' and", 13, "'row', 'column', 'time', 'history'"],
    ["row ! 'a'", 4, 'a keyword, an operator'],
    ["row ~ 'a'", 5, "'=' after '~'"],
    ['row', 3, "'<', '<=', '>', '>=', '=' or '~='"],
    ["row == 'a'", 5, "a string literal after '='"],
    ["row = 'a' 'b'", 10, "'and', 'or' or end of input"],
  ];
  it.each(cases)('%s fails at %i expecting %s', (text, position, expected) => {
    const error = syntaxErrorOf(text);
    expect(error.position).toBe(position);
    expect(error.expected).toContain(expected);
    expect(error.message).toMatch(new RegExp(`^at position ${position}: expected .+ but found .+`));
  });

  it('reports a lexical error only when the parser reaches it, so the earliest error wins', () => {
    expect(syntaxErrorOf("row = = 'unterminated").position).toBe(6);
  });
});
