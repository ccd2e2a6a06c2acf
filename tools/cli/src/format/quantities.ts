// Sizes, rates, times and row ranges as a person reads them.

/** 0 B, 999 B, 1.5 KiB, 12 MiB — three significant digits at most (one formatter for every KDI tool). */
export { formatBytes } from '@kdi/primitives';

/** Requests per second: whole numbers from 10 on, one decimal below. */
export function formatRate(n: number | undefined): string {
  if (n === undefined) return '-';
  return n >= 10 ? String(Math.round(n)) : n.toFixed(1).replace(/\.0$/, '');
}

/** A tablet's rows: (-inf, "m"], ("m", "t"], ("t", +inf). */
export function formatRange(lowerExclusive: string | undefined, upperInclusive: string | undefined): string {
  const lower = lowerExclusive === undefined ? '-inf' : JSON.stringify(lowerExclusive);
  const upper = upperInclusive === undefined ? '+inf)' : `${JSON.stringify(upperInclusive)}]`;
  return `(${lower}, ${upper}`;
}

/** Microseconds since the epoch as an ISO time (UTC), or '-' when out of range. */
export function formatMicros(micros: number): string {
  const d = new Date(Math.floor(micros / 1000));
  return Number.isNaN(d.getTime()) ? '-' : d.toISOString();
}
