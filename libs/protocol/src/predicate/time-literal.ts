// Time literals of the predicate language (DESIGN §3):
//
//   @<int64>          microseconds since the epoch, e.g. @0, @-5
//   DATE[Ttime[zone]] an ISO-8601 date or date-time:
//     date   YYYY-MM-DD (extended) or YYYYMMDD (basic, only with a time:
//            a bare 8-digit number would read as an integer)
//     time   hh, hh:mm, hh:mm:ss (extended) or hh, hhmm, hhmmss (basic);
//            seconds may carry a fraction of 1 to 6 digits after '.' or ','
//            (microsecond precision)
//     zone   Z, ±hh, ±hhmm or ±hh:mm; UTC when no zone is given
//   The date and the time may each use either format, but not a mix of both
//   within the date or within the time (2024-0102, 03:0405 are errors).
//
// Every result is a safe integer; a literal outside that range (about
// 1685..2255 for dates) is rejected rather than rounded. `@<micros>` is the
// canonical printed form; ISO text is accepted on input only. Arithmetic is
// done in BigInt so no intermediate loses precision.

export type TimeLiteralResult =
  | { readonly ok: true; readonly micros: number }
  | {
      readonly ok: false;
      readonly expected: string;
      /** 0-based offset of the offending character in the literal (0 when the literal as a whole is wrong). */
      readonly at: number;
    };

const MICROS_PER_SECOND = 1_000_000n;
const MICROS_PER_DAY = 86_400n * MICROS_PER_SECOND;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_FRACTION_DIGITS = 6;

export const TIME_LITERAL_DESCRIPTION = 'a time: @<microseconds> or an ISO-8601 date-time such as 2024-01-02T03:04:05Z or 20240102T030405Z';
const OUT_OF_RANGE = 'a time within the safe-integer microsecond range (±9007199254740991)';
const MIXED_DATE = 'basic and extended format mixed in the date (write YYYY-MM-DD or YYYYMMDD)';
const MIXED_TIME = 'basic and extended format mixed in the time (write hh:mm:ss or hhmmss)';

/** Parses the digits after '@' (an optional '-' then decimal digits). */
export function parseMicrosLiteral(digits: string): TimeLiteralResult {
  if (!/^-?\d+$/.test(digits)) {
    return fail(0, "an integer number of microseconds after '@', e.g. @1700000000000000");
  }
  return toSafe(BigInt(digits));
}

/** A failure inside the literal: what was expected at offset `at`. */
class LiteralError extends Error {
  constructor(
    readonly at: number,
    readonly expected: string,
  ) {
    super(expected);
  }
}

/** Parses an ISO-8601 date or date-time (see the header for the accepted forms). */
export function parseIsoTime(text: string): TimeLiteralResult {
  try {
    return parseIsoOrThrow(text);
  } catch (error) {
    if (error instanceof LiteralError) return fail(error.at, error.expected);
    throw error;
  }
}

function parseIsoOrThrow(text: string): TimeLiteralResult {
  const s = new Cursor(text);
  const year = s.digits(4, 'a four-digit year (YYYY-MM-DD or YYYYMMDD)');
  const extendedDate = s.take('-');
  const monthAt = s.at;
  const month = s.digits(2, extendedDate ? 'a two-digit month after YYYY-' : "a two-digit month or '-' after the year");
  if (extendedDate) {
    if (isDigit(s.peek())) throw new LiteralError(s.at, `'-' before the day: ${MIXED_DATE}`);
    s.expect('-', "'-' before the day (YYYY-MM-DD)");
  } else if (s.peek() === '-') {
    throw new LiteralError(s.at, `the day, not '-': ${MIXED_DATE}`);
  }
  const dayAt = s.at;
  const day = s.digits(2, 'a two-digit day of the month');
  if (month < 1 || month > 12) {
    throw new LiteralError(monthAt, 'a valid calendar date (month 01-12)');
  }
  if (day < 1 || day > daysInMonth(year, month)) {
    throw new LiteralError(dayAt, 'a valid calendar date (day within the month)');
  }

  let hour = 0;
  let minute = 0;
  let second = 0;
  let fracMicros = 0n;
  let offsetMinutes = 0;
  if (s.done()) {
    if (!extendedDate) {
      throw new LiteralError(0, `${TIME_LITERAL_DESCRIPTION} (a basic-format date needs a time, e.g. 20240102T00)`);
    }
    return toMicros(year, month, day, 0, 0, 0, 0n, 0);
  }
  s.expect(/[Tt]/, "'T' and a time of day after the date, or the end of the time");

  const hourAt = s.at;
  hour = s.digits(2, 'a two-digit hour after T');
  if (hour > 23) throw new LiteralError(hourAt, 'a valid time of day (hours 00-23)');
  const extendedTime = s.peek() === ':';
  let hasSeconds = false;
  if (extendedTime || isDigit(s.peek())) {
    if (extendedTime) s.take(':');
    const minuteAt = s.at;
    minute = s.digits(2, extendedTime ? 'two-digit minutes after hh:' : 'two-digit minutes after hh (hhmm)');
    if (minute > 59) throw new LiteralError(minuteAt, 'a valid time of day (minutes 00-59)');
    if (extendedTime && isDigit(s.peek())) throw new LiteralError(s.at, `':' before the seconds: ${MIXED_TIME}`);
    if (!extendedTime && s.peek() === ':') throw new LiteralError(s.at, `the seconds, not ':': ${MIXED_TIME}`);
    if ((extendedTime && s.take(':')) || (!extendedTime && isDigit(s.peek()))) {
      const secondAt = s.at;
      second = s.digits(2, 'two-digit seconds');
      if (second > 59) throw new LiteralError(secondAt, 'a valid time of day (seconds 00-59)');
      hasSeconds = true;
    }
  } else if (s.peek() === '.' || s.peek() === ',') {
    throw new LiteralError(s.at, 'a fraction only after the seconds (hh:mm:ss.ffffff)');
  }
  if (s.peek() === '.' || s.peek() === ',') {
    if (!hasSeconds) throw new LiteralError(s.at, 'a fraction only after the seconds (hh:mm:ss.ffffff)');
    s.at++;
    const fracAt = s.at;
    const frac = s.run(isDigit);
    if (frac.length === 0) throw new LiteralError(fracAt, "fractional-second digits after '.' or ','");
    if (frac.length > MAX_FRACTION_DIGITS) {
      throw new LiteralError(fracAt + MAX_FRACTION_DIGITS, 'at most 6 fractional-second digits (microsecond precision)');
    }
    fracMicros = BigInt(frac.padEnd(MAX_FRACTION_DIGITS, '0'));
  }

  const zoneAt = s.at;
  if (s.take('Z') || s.take('z')) {
    // UTC
  } else if (s.peek() === '+' || s.peek() === '-') {
    const sign = s.peek() === '-' ? -1 : 1;
    s.at++;
    const oh = s.digits(2, 'a two-digit zone hour (±hh, ±hhmm or ±hh:mm)');
    let om = 0;
    if (s.take(':')) om = s.digits(2, 'two-digit zone minutes after ±hh:');
    else if (isDigit(s.peek())) om = s.digits(2, 'two-digit zone minutes (±hhmm)');
    if (oh > 23 || om > 59) {
      throw new LiteralError(zoneAt, 'a valid zone offset (±hh:mm, hours 00-23, minutes 00-59)');
    }
    offsetMinutes = sign * (oh * 60 + om);
  }
  if (!s.done()) {
    throw new LiteralError(s.at, 'the end of the time, or a zone (Z, ±hh, ±hhmm or ±hh:mm)');
  }
  return toMicros(year, month, day, hour, minute, second, fracMicros, offsetMinutes);
}

function toMicros(year: number, month: number, day: number, hour: number, minute: number, second: number, fracMicros: bigint, offsetMinutes: number): TimeLiteralResult {
  const secondsOfDay = BigInt(hour * 3600 + minute * 60 + second - offsetMinutes * 60);
  const micros = BigInt(daysFromCivil(year, month, day)) * MICROS_PER_DAY + secondsOfDay * MICROS_PER_SECOND + fracMicros;
  return toSafe(micros);
}

/** A read position in the literal with small helpers that throw LiteralError. */
class Cursor {
  at = 0;
  constructor(private readonly text: string) {}

  peek(): string {
    return this.text[this.at] ?? '';
  }

  done(): boolean {
    return this.at >= this.text.length;
  }

  /** Consumes `c` if it is next. */
  take(c: string): boolean {
    if (this.peek() !== c) return false;
    this.at++;
    return true;
  }

  expect(c: string | RegExp, expected: string): void {
    const next = this.peek();
    if (typeof c === 'string' ? next !== c : !c.test(next)) throw new LiteralError(this.at, expected);
    this.at++;
  }

  /** Exactly `count` decimal digits. */
  digits(count: number, expected: string): number {
    const slice = this.text.slice(this.at, this.at + count);
    if (slice.length !== count || !/^\d+$/.test(slice)) throw new LiteralError(this.at, expected);
    this.at += count;
    return Number(slice);
  }

  run(accept: (c: string) => boolean): string {
    const start = this.at;
    while (!this.done() && accept(this.peek())) this.at++;
    return this.text.slice(start, this.at);
  }
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9' && c.length === 1;
}

/** The canonical printed form of a timestamp. */
export function formatTime(micros: number): string {
  return `@${micros}`;
}

function fail(at: number, expected: string): TimeLiteralResult {
  return { ok: false, expected, at };
}

function toSafe(micros: bigint): TimeLiteralResult {
  if (micros > MAX_SAFE || micros < MIN_SAFE) return fail(0, OUT_OF_RANGE);
  return { ok: true, micros: Number(micros) };
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}
