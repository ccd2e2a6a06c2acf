import { describe, expect, it } from 'vitest';
import { parsePredicate } from './parser.js';
import { printPredicate, quoteBytes } from './printer.js';

const b = (s: string) => Buffer.from(s, 'utf8');
const raw = (...bytes: number[]) => Buffer.from(bytes);
const incl = <T>(value: T) => ({ value, inclusive: true });
const excl = <T>(value: T) => ({ value, inclusive: false });

describe('printPredicate', () => {
  it('prints the DESIGN §3 examples canonically', () => {
    expect(printPredicate(parsePredicate("row = 'com.foo/index.html' and history = 1"))).toBe("row = 'com.foo/index.html' and history = 1");
    expect(printPredicate(parsePredicate("row ~= 'com.foo' and time >= 2024-01-02T03:04:05Z"))).toBe(`row ~= 'com.foo' and time >= @${Date.UTC(2024, 0, 2, 3, 4, 5) * 1000}`);
    expect(printPredicate(parsePredicate('"word:cat" < column <= "word:dog" or column >= "word:fish"'))).toBe("'word:cat' < column <= 'word:dog' or column >= 'word:fish'");
  });

  it('prints the empty predicate as empty text', () => {
    expect(printPredicate({})).toBe('');
  });

  it('orders fields row, column, time, history whatever order they were written in', () => {
    const p = parsePredicate("history = -3 and time < @10 and column > 'c' and row <= 'r'");
    expect(printPredicate(p)).toBe("row <= 'r' and column > 'c' and time < @10 and history = -3");
  });

  it('prints two-sided intervals lower first with operators pointing <', () => {
    expect(printPredicate(parsePredicate("'c' > row >= 'a'"))).toBe("'a' <= row < 'c'");
    expect(printPredicate(parsePredicate("'b' > row >= 'a'"))).toBe("row ~= 'a'"); // [a, b) is exactly the prefix range of 'a'
    expect(printPredicate(parsePredicate('@9 >= time > @-9'))).toBe('@-9 < time <= @9');
  });

  it('prints = only for equal inclusive bounds, and ~= only for an exact prefix range', () => {
    expect(printPredicate({ rows: [{ lower: incl(b('x')), upper: incl(b('x')) }] })).toBe("row = 'x'");
    expect(printPredicate({ rows: [{ lower: incl(b('x')), upper: excl(b('x')) }] })).toBe("'x' <= row < 'x'");
    expect(printPredicate({ rows: [{ lower: incl(b('ab')), upper: excl(b('ac')) }] })).toBe("row ~= 'ab'");
    expect(printPredicate({ rows: [{ lower: incl(b('ab')), upper: excl(b('ad')) }] })).toBe("'ab' <= row < 'ad'");
    expect(printPredicate({ rows: [{ lower: excl(b('ab')), upper: excl(b('ac')) }] })).toBe("'ab' < row < 'ac'");
    // ~= of an all-0xFF prefix has no upper bound, so it prints (and parses) as >=.
    expect(printPredicate(parsePredicate(String.raw`row ~= '\xff'`))).toBe(String.raw`row >= '\xff'`);
    expect(printPredicate({ times: [{ lower: incl(5), upper: incl(5) }] })).toBe('time = @5');
  });

  it('refuses structures that have no text form', () => {
    expect(() => printPredicate({ rows: [{ lower: incl(b('a')) }, {}] })).toThrow(/rows\[1\] has neither a lower nor an upper bound/);
    expect(() => printPredicate({ columns: [] })).toThrow(/columns is an empty list/);
    expect(() => printPredicate({ history: 0 })).toThrow(/non-zero safe integer/);
    expect(() => printPredicate({ history: 1.5 })).toThrow(/non-zero safe integer/);
    expect(() => printPredicate({ times: [{ lower: incl(2 ** 53) }] })).toThrow(/safe integers/);
  });
});

describe('quoteBytes', () => {
  it('keeps printable ASCII, including the double quote', () => {
    expect(quoteBytes(b('com.foo/index.html?a="b"&c=~'))).toBe(`'com.foo/index.html?a="b"&c=~'`);
  });

  it('uses the named escapes', () => {
    expect(quoteBytes(b("\\'\n\r\t"))).toBe(String.raw`'\\\'\n\r\t'`);
  });

  it('writes other control bytes and invalid UTF-8 as \\xHH', () => {
    expect(quoteBytes(raw(0x00, 0x1f, 0x7f, 0xff))).toBe(String.raw`'\x00\x1f\x7f\xff'`);
    expect(quoteBytes(raw(0xc0, 0x80))).toBe(String.raw`'\xc0\x80'`); // overlong NUL
    expect(quoteBytes(raw(0xed, 0xa0, 0x80))).toBe(String.raw`'\xed\xa0\x80'`); // UTF-8-encoded surrogate
    expect(quoteBytes(raw(0xe2, 0x82))).toBe(String.raw`'\xe2\x82'`); // truncated
    expect(quoteBytes(raw(0xf4, 0x90, 0x80, 0x80))).toBe(String.raw`'\xf4\x90\x80\x80'`); // above U+10FFFF
  });

  it('keeps printable non-ASCII characters and escapes invisible ones', () => {
    expect(quoteBytes(b('héllo €😀 日本'))).toBe("'héllo €😀 日本'");
    expect(quoteBytes(b('a\u00a0b'))).toBe(String.raw`'a\xc2\xa0b'`); // no-break space
    expect(quoteBytes(b('\u200b\ufeff'))).toBe(String.raw`'\xe2\x80\x8b\xef\xbb\xbf'`);
  });

  it('parses back to the same bytes', () => {
    const bytes = raw(0x27, 0x5c, 0x00, 0xc3, 0xa9, 0xc3, 0xff, 0x22, 0x0a);
    expect(parsePredicate(`row = ${quoteBytes(bytes)}`).rows?.[0]?.lower?.value).toStrictEqual(bytes);
  });
});
