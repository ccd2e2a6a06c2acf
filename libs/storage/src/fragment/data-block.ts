// Data blocks: the cell encoding of fragment-format.ts, built while a
// fragment is written and decoded once per block when it is read. The
// decoder is the hot path of every disk scan: one pass, no copies (row,
// column and value are views of the block's bytes; equal rows and columns
// share one view), one object per cell.
import { readVarint, writeI64, writeVarint, type Cell, type VarintRead } from '@kdi/primitives';
import { FLAG_ERASURE, FLAG_SAME_COLUMN, FLAG_SAME_ROW, FLAG_TS_FIXED, KNOWN_FLAGS, MAX_TS_DELTA, TRAILER_SIZE } from './fragment-format.js';

/**
 * A data block decoded once, as kept in the block cache: the decompressed
 * bytes plus, per cell, the offsets of its fields and its timestamp in
 * typed arrays — no per-cell objects. Keeping cells as objects made a
 * cache of small cells mostly object headers (≈ 250 bytes per 100-byte
 * cell) and gave the garbage collector millions of long-lived objects to
 * trace; now a cell object exists only while somebody uses it (cell(i)).
 * Seeks compare keys against the bytes in place (compareKeyAt).
 */
export class DecodedBlock {
  // Memo of the last materialized row/column: cells of one row (and runs of
  // one column) share a single view, as the format shares the bytes.
  private memoRowAt = -1;
  private memoRow: Uint8Array = EMPTY;
  private memoColAt = -1;
  private memoCol: Uint8Array = EMPTY;
  /** Row hash table for rowStart, built on its first call. */
  private rowTable: Uint16Array | Uint32Array | undefined;

  constructor(
    /** The decompressed payload; never modified. */
    readonly data: Buffer,
    readonly count: number,
    /** Per cell: row offset, row length, column offset, column length, value offset (-1: erasure), value length. */
    private readonly fields: Int32Array,
    private readonly timestamps: Float64Array,
    /** Approximate heap bytes held, for the cache budget (computed when omitted). */
    readonly byteSize: number = data.length + count * (6 * 4 + 8 + ROW_TABLE_BYTES_PER_CELL) + 256,
  ) {}

  timestamp(i: number): number {
    return this.timestamps[i]!;
  }

  /** Cell i as an object whose byte fields are views of the block's bytes. */
  cell(i: number): Cell {
    const f = this.fields;
    const k = i * 6;
    const ro = f[k]!;
    if (ro !== this.memoRowAt) {
      this.memoRowAt = ro;
      this.memoRow = new Uint8Array(this.data.buffer, this.data.byteOffset + ro, f[k + 1]!);
    }
    const co = f[k + 2]!;
    if (co !== this.memoColAt) {
      this.memoColAt = co;
      this.memoCol = new Uint8Array(this.data.buffer, this.data.byteOffset + co, f[k + 3]!);
    }
    const vo = f[k + 4]!;
    const value = vo < 0 ? null : new Uint8Array(this.data.buffer, this.data.byteOffset + vo, f[k + 5]!);
    return { row: this.memoRow, column: this.memoCol, timestamp: this.timestamps[i]!, value };
  }

  /** Every cell, materialized (tests and tools; scans use cell(i)). */
  get cells(): Cell[] {
    const out: Cell[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.cell(i);
    return out;
  }

  /**
   * Order of cell i relative to a search key (see key-search.ts): < 0
   * before, > 0 after; a key without column/timestamp sorts before the
   * row's/column's first cell. Compares in place, allocating nothing.
   */
  compareKeyAt(i: number, row: Uint8Array, column: Uint8Array | undefined, timestamp: number | undefined): number {
    const f = this.fields;
    const k = i * 6;
    const r = compareAt(this.data, f[k]!, f[k + 1]!, row);
    if (r !== 0 || column === undefined) return r === 0 ? 1 : r;
    const c = compareAt(this.data, f[k + 2]!, f[k + 3]!, column);
    if (c !== 0 || timestamp === undefined) return c === 0 ? 1 : c;
    return timestamp - this.timestamps[i]!;
  }

  /** Is cell i's row `row`? In place, allocating nothing. */
  rowEquals(i: number, row: Uint8Array): boolean {
    const k = i * 6;
    return compareAt(this.data, this.fields[k]!, this.fields[k + 1]!, row) === 0;
  }

  /**
   * Index of the first cell of `row` in this block, or −1 when none — a
   * hash lookup (like RocksDB's data-block hash index) instead of the
   * binary search's ~log2(count) key comparisons: warm point reads spent a
   * third of their time in lowerBound. The table (open addressing, cell
   * index + 1 per slot, 0 = empty) is built on the first call, one pass
   * over the block, and counted in byteSize from the start.
   */
  rowStart(row: Uint8Array): number {
    const table = (this.rowTable ??= this.buildRowTable());
    const f = this.fields;
    const mask = table.length - 1;
    for (let h = hashBytes(row, 0, row.length) & mask; ; h = (h + 1) & mask) {
      const slot = table[h]!;
      if (slot === 0) return -1;
      const k = (slot - 1) * 6;
      if (compareAt(this.data, f[k]!, f[k + 1]!, row) === 0) return slot - 1;
    }
  }

  private buildRowTable(): Uint16Array | Uint32Array {
    const f = this.fields;
    let size = 8;
    while (size < this.count * 2) size <<= 1;
    const table = this.count < 0xffff ? new Uint16Array(size) : new Uint32Array(size);
    const mask = size - 1;
    for (let i = 0; i < this.count; i++) {
      const k = i * 6;
      // Only a row's first cell: the previous cell has another row.
      if (i > 0 && sameBytesAt(this.data, f[k - 6]!, f[k - 5]!, f[k]!, f[k + 1]!)) continue;
      let h = hashBytes(this.data, f[k]!, f[k]! + f[k + 1]!) & mask;
      while (table[h] !== 0) h = (h + 1) & mask;
      table[h] = i + 1;
    }
    return table;
  }

  /** Index of the first cell ≥ the search key; count when none. */
  lowerBound(row: Uint8Array, column?: Uint8Array, timestamp?: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compareKeyAt(mid, row, column, timestamp) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * data[off, off + len) against `key`, bytewise (< 0: the data sorts first).
 * In JS: Buffer#compare with offsets validates its five arguments and
 * crosses into C++ on every call, which dominated point reads; rows and
 * columns are short and usually differ early.
 */
function compareAt(data: Uint8Array, off: number, len: number, key: Uint8Array): number {
  const n = len < key.length ? len : key.length;
  for (let i = 0; i < n; i++) {
    const d = data[off + i]! - key[i]!;
    if (d !== 0) return d;
  }
  return len - key.length;
}

/** rowStart's table: at most 4 two-byte slots per cell (fewer for most blocks). */
const ROW_TABLE_BYTES_PER_CELL = 8;

/** FNV-1a over data[start, end): the row hash of rowStart's table. */
function hashBytes(data: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ data[i]!, 0x01000193);
  return h >>> 0;
}

/** Are data[a, a + aLen) and data[b, b + bLen) the same bytes? (Equal offsets: a shared row.) */
function sameBytesAt(data: Uint8Array, a: number, aLen: number, b: number, bLen: number): boolean {
  if (aLen !== bLen) return false;
  if (a === b) return true;
  for (let i = 0; i < aLen; i++) if (data[a + i] !== data[b + i]) return false;
  return true;
}

/** Appends cells to one data block; the writer does ordering and everything file-level. */
export class DataBlockBuilder {
  private buf: Uint8Array;
  private pos = 0;
  cellCount = 0;
  minTimestamp = Number.POSITIVE_INFINITY;
  maxTimestamp = Number.NEGATIVE_INFINITY;
  familyMaskLo = 0;
  familyMaskHi = 0;
  /** The last cell's row and column: views of this block's bytes (never rewritten). */
  lastRow: Uint8Array = new Uint8Array(0);
  lastColumn: Uint8Array = new Uint8Array(0);
  lastTimestamp = 0;

  constructor(initialCapacity: number) {
    this.buf = new Uint8Array(initialCapacity);
  }

  /** Uncompressed bytes so far. */
  get length(): number {
    return this.pos;
  }

  /**
   * Appends `c`. `sameRow`/`sameColumn` say whether its row/column equal
   * the previous cell's (the writer knows from its order check); they are
   * ignored for a block's first cell, which always carries its full key.
   */
  add(c: Cell, sameRow: boolean, sameColumn: boolean, familyBit: number): void {
    const first = this.cellCount === 0;
    const sr = sameRow && !first;
    const sc = sameColumn && !first;
    const value = c.value;
    const row = c.row;
    const column = c.column;
    const need = 1 + (sr ? 0 : 5 + row.length) + (sc ? 0 : 5 + column.length) + 10 + (value === null ? 0 : 5 + value.length);
    if (this.pos + need + TRAILER_SIZE > this.buf.length) this.grow(need + TRAILER_SIZE);
    const b = this.buf;
    const flagsAt = this.pos;
    let p = flagsAt + 1;
    let flags = 0;
    if (sr) flags |= FLAG_SAME_ROW;
    else {
      p = writeVarint(b, p, row.length);
      b.set(row, p);
      this.lastRow = new Uint8Array(b.buffer, b.byteOffset + p, row.length);
      p += row.length;
    }
    if (sc) flags |= FLAG_SAME_COLUMN;
    else {
      p = writeVarint(b, p, column.length);
      b.set(column, p);
      this.lastColumn = new Uint8Array(b.buffer, b.byteOffset + p, column.length);
      p += column.length;
    }
    const ts = c.timestamp;
    const delta = ts - (first ? 0 : this.lastTimestamp);
    if (delta <= MAX_TS_DELTA && delta >= -MAX_TS_DELTA) p = writeVarint(b, p, delta >= 0 ? delta * 2 : -delta * 2 - 1);
    else {
      flags |= FLAG_TS_FIXED;
      p = writeI64(b, p, ts);
    }
    if (value === null) flags |= FLAG_ERASURE;
    else {
      p = writeVarint(b, p, value.length);
      b.set(value, p);
      p += value.length;
    }
    b[flagsAt] = flags;
    this.pos = p;
    this.cellCount++;
    this.lastTimestamp = ts;
    if (ts < this.minTimestamp) this.minTimestamp = ts;
    if (ts > this.maxTimestamp) this.maxTimestamp = ts;
    if (familyBit < 32) this.familyMaskLo |= 1 << familyBit;
    else this.familyMaskHi |= 1 << (familyBit - 32);
  }

  /** The payload in [0, length), followed by TRAILER_SIZE writable bytes. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos + TRAILER_SIZE);
  }

  private grow(extra: number): void {
    // The old buffer is left untouched: lastRow/lastColumn may still view it.
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + extra));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }
}

/** Thrown by decodeDataBlock; the reader turns it into a corruption error naming file and block. */
export class MalformedBlockError extends Error {}

let varintEnd = 0;
const varint: VarintRead = { value: 0, next: 0 };

/** Multi-byte varint (at most 8 bytes, ≤ 2^53); NaN when malformed. Sets varintEnd. */
function readVarintSlow(b: Uint8Array, p: number, end: number): number {
  const status = readVarint(b, p, end, 8, varint);
  if (status !== 'ok' && status !== 'not-shortest') return Number.NaN;
  varintEnd = varint.next;
  return varint.value <= MAX_TS_DELTA * 2 ? varint.value : Number.NaN;
}

/**
 * Decodes a data block's uncompressed payload, which must hold exactly
 * `cellCount` cells; throws MalformedBlockError otherwise. The cells' byte
 * fields are views of `payload`'s buffer, which must never be modified
 * afterwards.
 */
export function decodeDataBlock(payload: Uint8Array, cellCount: number): DecodedBlock {
  const b = payload;
  const end = b.length;
  const fields = new Int32Array(cellCount * 6);
  const timestamps = new Float64Array(cellCount);
  let rowAt = -1;
  let rowLen = 0;
  let colAt = -1;
  let colLen = 0;
  let ts = 0;
  let p = 0;
  for (let i = 0; i < cellCount; i++) {
    if (p >= end) throw new MalformedBlockError(`cell ${i} of ${cellCount} starts past the end`);
    const flags = b[p++]!;
    if ((flags & ~KNOWN_FLAGS) !== 0) throw new MalformedBlockError(`cell ${i}: unknown flags ${flags}`);
    if ((flags & FLAG_SAME_ROW) === 0) {
      let n = b[p]!;
      if (n < 0x80) p++;
      else {
        n = readVarintSlow(b, p, end);
        p = varintEnd;
      }
      if (!(p + n <= end)) throw new MalformedBlockError(`cell ${i}: row overruns the block`);
      rowAt = p;
      rowLen = n;
      p += n;
    } else if (rowAt < 0) throw new MalformedBlockError(`cell ${i}: repeats a row with none before`);
    if ((flags & FLAG_SAME_COLUMN) === 0) {
      let n = b[p]!;
      if (n < 0x80) p++;
      else {
        n = readVarintSlow(b, p, end);
        p = varintEnd;
      }
      if (!(p + n <= end)) throw new MalformedBlockError(`cell ${i}: column overruns the block`);
      colAt = p;
      colLen = n;
      p += n;
    } else if (colAt < 0) throw new MalformedBlockError(`cell ${i}: repeats a column with none before`);
    if ((flags & FLAG_TS_FIXED) === 0) {
      let z = b[p]!;
      if (z < 0x80) p++;
      else {
        z = readVarintSlow(b, p, end);
        p = varintEnd;
      }
      if (!(z <= MAX_TS_DELTA * 2)) throw new MalformedBlockError(`cell ${i}: bad timestamp`);
      ts += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    } else {
      if (p + 8 > end) throw new MalformedBlockError(`cell ${i}: timestamp overruns the block`);
      ts = (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)) * 4294967296 + ((b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0);
      p += 8;
    }
    if (!Number.isSafeInteger(ts)) throw new MalformedBlockError(`cell ${i}: timestamp out of range`);
    const k = i * 6;
    fields[k] = rowAt;
    fields[k + 1] = rowLen;
    fields[k + 2] = colAt;
    fields[k + 3] = colLen;
    timestamps[i] = ts;
    if ((flags & FLAG_ERASURE) === 0) {
      let n = b[p]!;
      if (n < 0x80) p++;
      else {
        n = readVarintSlow(b, p, end);
        p = varintEnd;
      }
      if (!(p + n <= end)) throw new MalformedBlockError(`cell ${i}: value overruns the block`);
      fields[k + 4] = p;
      fields[k + 5] = n;
      p += n;
    } else {
      fields[k + 4] = -1;
    }
  }
  if (p !== end) throw new MalformedBlockError(`${end - p} bytes after the last of ${cellCount} cells`);
  return new DecodedBlock(Buffer.from(b.buffer, b.byteOffset, b.byteLength), cellCount, fields, timestamps);
}
