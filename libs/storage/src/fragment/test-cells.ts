// Test support: random cell sets in key order, with the awkward cases the
// format must survive — binary rows with 0x00/0xFF, empty rows, columns
// and values, erasures, extreme timestamps, values larger than a block.
import { compareCellKeys, sameKey, type Cell } from '@kdi/primitives';

export interface RandomCellsOptions {
  readonly cells: number;
  /** Distinct rows to draw from (default cells / 4). */
  readonly rows?: number;
  /** Largest ordinary value (default 200 bytes). */
  readonly maxValue?: number;
  /** Fraction of cells with a value of `hugeValue` bytes (default 0). */
  readonly hugeFraction?: number;
  readonly hugeValue?: number;
  /** Fraction of erasures (default 0.1). */
  readonly erasures?: number;
  /** Fill values with random bytes instead of repetitive text (incompressible). */
  readonly randomValues?: boolean;
}

const EXTREME_TIMESTAMPS = [0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 52, -(2 ** 52) - 7];

function bytes(rand: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

function text(rand: () => number, n: number): Uint8Array {
  const words = ['alpha ', 'beta ', 'gamma ', 'delta ', 'kdi ', 'tablet '];
  let s = '';
  while (s.length < n) s += words[Math.floor(rand() * words.length)];
  return Buffer.from(s.slice(0, n));
}

function randomRow(rand: () => number, i: number): Uint8Array {
  const kind = rand();
  if (i === 0) return new Uint8Array(0);
  if (kind < 0.15) return bytes(rand, 1 + Math.floor(rand() * 12)); // binary, often with 0x00 / 0xFF
  if (kind < 0.2) return Uint8Array.from([0xff, 0xff, Math.floor(rand() * 256)]);
  if (kind < 0.25) return Uint8Array.from([0x00, Math.floor(rand() * 256)]);
  return Buffer.from(`com.example/${Math.floor(rand() * 1e6).toString(36)}/${i}`);
}

function randomColumn(rand: () => number): Uint8Array {
  const kind = rand();
  if (kind < 0.05) return new Uint8Array(0);
  if (kind < 0.1) return bytes(rand, 1 + Math.floor(rand() * 6));
  const families = ['anchor', 'contents', 'meta', 'x'];
  const family = families[Math.floor(rand() * families.length)]!;
  if (kind < 0.2) return Buffer.from(family); // the bare family column
  return Buffer.from(`${family}:q${Math.floor(rand() * 20)}`);
}

function randomTimestamp(rand: () => number): number {
  const kind = rand();
  if (kind < 0.05) return EXTREME_TIMESTAMPS[Math.floor(rand() * EXTREME_TIMESTAMPS.length)]!;
  if (kind < 0.1) return Math.floor((rand() - 0.5) * 2 * Number.MAX_SAFE_INTEGER);
  return 1_700_000_000_000_000 + Math.floor(rand() * 1e9);
}

/** Random cells, sorted by key, keys unique. */
export function randomCells(rand: () => number, o: RandomCellsOptions): Cell[] {
  const rows = Array.from({ length: o.rows ?? Math.max(1, Math.floor(o.cells / 4)) }, (_, i) => randomRow(rand, i));
  const out: Cell[] = [];
  for (let i = 0; i < o.cells; i++) {
    const r = rand();
    let value: Uint8Array | null;
    if (r < (o.erasures ?? 0.1)) value = null;
    else if (r < (o.erasures ?? 0.1) + (o.hugeFraction ?? 0)) value = bytes(rand, o.hugeValue ?? 100_000);
    else {
      const n = rand() < 0.1 ? 0 : Math.floor(rand() * (o.maxValue ?? 200));
      value = o.randomValues ? bytes(rand, n) : text(rand, n);
    }
    out.push({ row: rows[Math.floor(rand() * rows.length)]!, column: randomColumn(rand), timestamp: randomTimestamp(rand), value });
  }
  out.sort(compareCellKeys);
  return out.filter((c, i) => i === 0 || !sameKey(c, out[i - 1]!));
}

/** Cells as comparable strings (hex bytes), for deep equality with readable diffs. */
export function cellStrings(cells: readonly Cell[]): string[] {
  const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
  return cells.map((c) => `${hex(c.row)} ${hex(c.column)} ${c.timestamp} ${c.value === null ? 'ERASED' : hex(c.value)}`);
}
