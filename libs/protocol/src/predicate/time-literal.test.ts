import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTime, parseIsoTime, parseMicrosLiteral } from './time-literal.js';

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

  it('prints @micros', () => {
    expect(formatTime(-5)).toBe('@-5');
    expect(formatTime(1_704_164_645_000_000)).toBe('@1704164645000000');
  });
});
