import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePredicate } from './parser.js';
import { printPredicate } from './printer.js';
import { PredicateSyntaxError } from './syntax-error.js';
import { formatTime, parseIsoTime, parseMicrosLiteral } from './time-literal.js';

// 2024-01-02T03:04:05Z in microseconds, and the parts of a day.
const T = 1_704_164_645_000_000;
const S = 1_000_000;
const M = 60 * S;
const H = 60 * M;
const DAY = Date.UTC(2024, 0, 2) * 1000;

// Every ISO-8601 form the predicate language accepts, with the exact microsecond value.
const ACCEPTED: [string, number][] = [
  // extended and basic, complete
  ['2024-01-02T03:04:05Z', T],
  ['20240102T030405Z', T],
  ['2024-01-02t03:04:05z', T],
  ['2024-01-02T03:04:05', T],
  ['20240102T030405', T],
  // a date alone is midnight UTC (extended only: 20240102 alone reads as an integer)
  ['2024-01-02', DAY],
  // reduced precision: hour only, minutes only
  ['2024-01-02T03', DAY + 3 * H],
  ['20240102T03', DAY + 3 * H],
  ['2024-01-02T03:04', DAY + 3 * H + 4 * M],
  ['20240102T0304', DAY + 3 * H + 4 * M],
  ['2024-01-02T03Z', DAY + 3 * H],
  ['20240102T0304Z', DAY + 3 * H + 4 * M],
  // the date and the time may each use their own format
  ['2024-01-02T030405Z', T],
  ['20240102T03:04:05Z', T],
  // fractions of 1 to 6 digits, after '.' or ','
  ['2024-01-02T03:04:05.1Z', T + 100_000],
  ['2024-01-02T03:04:05,1Z', T + 100_000],
  ['2024-01-02T03:04:05.12Z', T + 120_000],
  ['2024-01-02T03:04:05.123Z', T + 123_000],
  ['2024-01-02T03:04:05.1234Z', T + 123_400],
  ['2024-01-02T03:04:05.12345Z', T + 123_450],
  ['2024-01-02T03:04:05.123456Z', T + 123_456],
  ['2024-01-02T03:04:05,000001Z', T + 1],
  ['20240102T030405.000001Z', T + 1],
  ['20240102T030405,999999', T + 999_999],
  // offsets ±hh, ±hhmm, ±hh:mm and Z (local time minus offset = UTC)
  ['2024-01-02T03:04:05+02', T - 2 * H],
  ['2024-01-02T03:04:05-02', T + 2 * H],
  ['2024-01-02T03:04:05+0230', T - 2 * H - 30 * M],
  ['2024-01-02T03:04:05+02:30', T - 2 * H - 30 * M],
  ['2024-01-02T03:04:05-02:30', T + 2 * H + 30 * M],
  ['20240102T030405-0130', T + H + 30 * M],
  ['20240102T030405.5+01', T + 500_000 - H],
  ['2024-01-02T03+01', DAY + 2 * H],
  ['2024-01-02T03:04-00:00', DAY + 3 * H + 4 * M],
  ['2024-01-02T03:04:05.123456+23:59', T + 123_456 - 23 * H - 59 * M],
  // edges
  ['1970-01-01T00:00:00Z', 0],
  ['1969-12-31T23:59:59.999999Z', -1],
  ['2000-02-29T00', Date.UTC(2000, 1, 29) * 1000],
];

// Rejected forms: what the error expects and at which offset inside the literal.
const REJECTED: [string, string, number][] = [
  ['2024-0102', 'basic and extended format mixed in the date', 7],
  ['202401-02T03', 'basic and extended format mixed in the date', 6],
  ['2024-01-02T03:0405', 'basic and extended format mixed in the time', 16],
  ['2024-01-02T0304:05', 'basic and extended format mixed in the time', 15],
  ['20240102T03:0405Z', 'basic and extended format mixed in the time', 14],
  ['2024-01-02T03:04:05.1234567Z', 'at most 6 fractional-second digits', 26],
  ['2024-01-02T03:04:05.Z', "fractional-second digits after '.' or ','", 20],
  ['2024-01-02T03.5', 'a fraction only after the seconds', 13],
  ['2024-01-02T03:04.5', 'a fraction only after the seconds', 16],
  ['2024-01-02T3', 'a two-digit hour', 11],
  ['2024-01-02T03:4', 'two-digit minutes', 14],
  ['2024-01-02T030', 'two-digit minutes', 13],
  ['2024-01-02T03:04:05+1', 'a two-digit zone hour', 20],
  ['2024-01-02T03:04:05+01:3', 'two-digit zone minutes', 23],
  ['2024-01-02T03:04:05+24:00', 'a valid zone offset', 19],
  ['2024-01-02T03:04:05+01:60', 'a valid zone offset', 19],
  ['2024-01-02T03:04:05Zx', 'the end of the time', 20],
  ['2024-01-02Z', "'T' and a time of day", 10],
  ['2024-01-02T', 'a two-digit hour', 11],
  ['2024-13-02', 'month 01-12', 5],
  ['2023-02-29', 'day within the month', 8],
  ['20230229T00', 'day within the month', 6],
  ['2024-01-02T24', 'hours 00-23', 11],
  ['2024-01-02T23:60', 'minutes 00-59', 14],
  ['2024-01-02T23:59:60', 'seconds 00-59', 17],
  ['2024-1-2', 'a two-digit month', 5],
  ['24-01-02', 'a four-digit year', 0],
  ['20240102', 'a basic-format date needs a time', 0],
  ['9999-01-01', 'safe-integer microsecond range', 0],
];

describe('time literals', () => {
  it('reads @micros at the edges of the safe range', () => {
    expect(parseMicrosLiteral('9007199254740991')).toStrictEqual({ ok: true, micros: Number.MAX_SAFE_INTEGER });
    expect(parseMicrosLiteral('-9007199254740991')).toStrictEqual({ ok: true, micros: Number.MIN_SAFE_INTEGER });
    expect(parseMicrosLiteral('-9007199254740992').ok).toBe(false);
    expect(parseMicrosLiteral('').ok).toBe(false);
  });

  it('agrees with Date for ISO strings with millisecond precision', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1700-01-01T00:00:00Z'), max: new Date('2250-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        expect(parseIsoTime(d.toISOString())).toStrictEqual({ ok: true, micros: d.getTime() * 1000 });
      }),
    );
  });

  it('keeps microseconds and applies zone offsets', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (d, micros, offsetMinutes) => {
          const wholeSecond = Math.floor(d.getTime() / 1000) * 1000;
          // Write the local wall-clock time of the zone, then the zone itself.
          const local = new Date(wholeSecond + offsetMinutes * 60_000).toISOString().slice(0, 19);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const text = `${local}.${String(micros).padStart(6, '0')}${zone}`;
          expect(parseIsoTime(text)).toStrictEqual({ ok: true, micros: wholeSecond * 1000 + micros });
        },
      ),
    );
  });

  it('treats a missing zone and a date-only literal as UTC', () => {
    expect(parseIsoTime('2024-06-30T12:00:00')).toStrictEqual({ ok: true, micros: Date.UTC(2024, 5, 30, 12) * 1000 });
    expect(parseIsoTime('2024-06-30')).toStrictEqual({ ok: true, micros: Date.UTC(2024, 5, 30) * 1000 });
    expect(parseIsoTime('1970-01-01')).toStrictEqual({ ok: true, micros: 0 });
  });

  it('rejects dates whose microseconds are not safe integers', () => {
    expect(parseIsoTime('2255-01-01').ok).toBe(true);
    expect(parseIsoTime('2256-01-01').ok).toBe(false);
    expect(parseIsoTime('1685-01-01').ok).toBe(true);
    expect(parseIsoTime('1684-01-01').ok).toBe(false);
  });

  it.each(ACCEPTED)('accepts %s', (text, micros) => {
    expect(parseIsoTime(text)).toStrictEqual({ ok: true, micros });
    // The same literal inside a predicate, and the printed canonical form round-trips.
    const predicate = parsePredicate(`time >= ${text}`);
    expect(predicate.times).toStrictEqual([{ lower: { value: micros, inclusive: true } }]);
    expect(parsePredicate(printPredicate(predicate))).toStrictEqual(predicate);
  });

  it.each(REJECTED)('rejects %s: expected %s at offset %i', (text, expected, at) => {
    const result = parseIsoTime(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.expected).toContain(expected);
    expect(result.at).toBe(at);
    // In a predicate, the error position points into the literal.
    const predicateText = `row = 'r' and time >= ${text}`;
    const literalStart = predicateText.length - text.length;
    let error: unknown;
    try {
      parsePredicate(predicateText);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PredicateSyntaxError);
    expect((error as PredicateSyntaxError).position).toBe(literalStart + at);
  });

  it('prints @micros', () => {
    expect(formatTime(-5)).toBe('@-5');
    expect(formatTime(1_704_164_645_000_000)).toBe('@1704164645000000');
  });
});
