// Row keys and work assignment of the paper's benchmark (Chang et al.,
// OSDI 2006, §7): R rows with keys 0 … R−1, written as fixed-width decimal
// so key order is numeric order. The key space is cut into equal ranges
// handed to the clients; within a range a sequential experiment visits
// keys in order, a random one visits hash(i) mod R for each i of the range
// (the paper's "row key hashed modulo R"), so the whole key space is hit
// in no order and some rows twice.

/** Digits in a row key: enough for 10^10 rows. */
const KEY_DIGITS = 10;

export function rowKey(i: number): string {
  return String(i).padStart(KEY_DIGITS, '0');
}

/** A half-open range [start, end) of operation indices (= row numbers for sequential experiments). */
export interface KeyRange {
  readonly start: number;
  readonly end: number;
}

/** Cuts 0 … n−1 into `parts` ranges of (almost) equal size, in order; empty ranges are left out. */
export function splitRange(n: number, parts: number): KeyRange[] {
  const out: KeyRange[] = [];
  for (let k = 0; k < parts; k++) {
    const start = Math.floor((k * n) / parts);
    const end = Math.floor(((k + 1) * n) / parts);
    if (end > start) out.push({ start, end });
  }
  return out;
}

/** A 32-bit mix of (i, seed) (murmur3's finaliser): well spread, the same on every run. */
export function hash32(i: number, seed: number): number {
  let h = (i ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The row an operation touches: i itself in a sequential experiment, hash(i) mod R in a random one. */
export function rowOf(i: number, order: 'sequential' | 'random', rows: number, seed: number): number {
  return order === 'sequential' ? i : hash32(i, seed) % rows;
}
