// Time literals of the predicate language (DESIGN §3):
//
//   @<int64>                      microseconds since the epoch, e.g. @0, @-5
//   YYYY-MM-DD                    midnight UTC of that date
//   YYYY-MM-DDThh:mm[:ss[.f]][Z|±hh:mm]
//                                 UTC when no zone is given; up to 6
//                                 fractional digits (microsecond precision)
//
// Every result is a safe integer; a literal outside that range (about
// 1685..2255 for dates) is rejected rather than rounded. `@<micros>` is the
// canonical printed form; ISO text is accepted on input only. Arithmetic is
// done in BigInt so no intermediate loses precision.

export type TimeLiteralResult =
  | { readonly ok: true; readonly micros: number }
  | { readonly ok: false; readonly expected: string };

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))?)?$/;

const MICROS_PER_SECOND = 1_000_000n;
const MICROS_PER_DAY = 86_400n * MICROS_PER_SECOND;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

export const TIME_LITERAL_DESCRIPTION =
  'a time: @<microseconds> or an ISO-8601 date-time such as 2024-01-02T03:04:05Z';
const OUT_OF_RANGE = 'a time within the safe-integer microsecond range (±9007199254740991)';

/** Parses the digits after '@' (an optional '-' then decimal digits). */
export function parseMicrosLiteral(digits: string): TimeLiteralResult {
  if (!/^-?\d+$/.test(digits)) {
    return { ok: false, expected: "an integer number of microseconds after '@', e.g. @1700000000000000" };
  }
  return toSafe(BigInt(digits));
}

/** Parses an ISO-8601 date or date-time (see the header for the accepted forms). */
export function parseIsoTime(text: string): TimeLiteralResult {
  const m = ISO_PATTERN.exec(text);
  if (m === null) return { ok: false, expected: TIME_LITERAL_DESCRIPTION };
  const [, ys, mos, ds, hs, mis, ss, frac, zulu, sign, ohs, omis] = m;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return { ok: false, expected: 'a valid calendar date (YYYY-MM-DD, month 01-12, day within the month)' };
  }
  const hour = Number(hs ?? '0');
  const minute = Number(mis ?? '0');
  const second = Number(ss ?? '0');
  if (hour > 23 || minute > 59 || second > 59) {
    return { ok: false, expected: 'a valid time of day (hours 00-23, minutes and seconds 00-59)' };
  }
  if (frac !== undefined && frac.length > 6) {
    return { ok: false, expected: 'at most 6 fractional-second digits (microsecond precision)' };
  }
  let offsetMinutes = 0;
  if (zulu === undefined && sign !== undefined) {
    const oh = Number(ohs);
    const om = Number(omis);
    if (oh > 23 || om > 59) {
      return { ok: false, expected: 'a valid zone offset (±hh:mm, hours 00-23, minutes 00-59)' };
    }
    offsetMinutes = (sign === '-' ? -1 : 1) * (oh * 60 + om);
  }

  const fracMicros = frac === undefined ? 0n : BigInt(frac.padEnd(6, '0'));
  const secondsOfDay = BigInt(hour * 3600 + minute * 60 + second - offsetMinutes * 60);
  const micros =
    BigInt(daysFromCivil(year, month, day)) * MICROS_PER_DAY + secondsOfDay * MICROS_PER_SECOND + fracMicros;
  return toSafe(micros);
}

/** The canonical printed form of a timestamp. */
export function formatTime(micros: number): string {
  return `@${micros}`;
}

function toSafe(micros: bigint): TimeLiteralResult {
  if (micros > MAX_SAFE || micros < MIN_SAFE) return { ok: false, expected: OUT_OF_RANGE };
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
