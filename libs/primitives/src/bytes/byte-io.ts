// Little-endian integers and unsigned LEB128 varints: the building blocks
// of the fragment format, the log record and the binary cell block.
// Numbers stay JS numbers: every value those formats store (lengths,
// offsets, counts, timestamps) is a safe integer, and 64-bit fields are
// written as two 32-bit halves so no BigInt is created on the hot paths.

export const TWO_POW_32 = 4294967296;

/** Bytes an unsigned LEB128 varint of the non-negative safe integer `n` takes. */
export function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x20_0000) return 3;
  if (n < 0x1000_0000) return 4;
  let size = 5;
  for (let limit = 0x8_0000_0000; n >= limit; limit *= 0x80) size++;
  return size;
}

/** Writes a non-negative safe integer as an unsigned LEB128 varint (shortest form); returns the next position. */
export function writeVarint(b: Uint8Array, p: number, n: number): number {
  while (n >= 0x80) {
    // `n & 0x7f` only reads the low bits, which ToInt32 keeps exactly.
    b[p++] = (n & 0x7f) | 0x80;
    n = n < 0x80000000 ? n >>> 7 : Math.floor(n / 128);
  }
  b[p++] = n;
  return p;
}

/** Writes a safe integer (possibly negative) as int64 little-endian; returns the next position. */
export function writeI64(b: Uint8Array, p: number, n: number): number {
  const hi = Math.floor(n / TWO_POW_32);
  writeU32(b, p, n - hi * TWO_POW_32);
  writeU32(b, p + 4, hi >>> 0);
  return p + 8;
}

/** Writes a non-negative safe integer as uint64 little-endian; returns the next position. */
export function writeU64(b: Uint8Array, p: number, n: number): number {
  return writeI64(b, p, n);
}

/** The uint64 little-endian at p, or undefined when it is not a safe integer. */
export function readU64(b: Uint8Array, p: number): number | undefined {
  const hi = readU32(b, p + 4);
  if (hi > 0x1f_ffff) return undefined;
  return hi * TWO_POW_32 + readU32(b, p);
}

export function writeU32(b: Uint8Array, p: number, n: number): void {
  b[p] = n;
  b[p + 1] = n >>> 8;
  b[p + 2] = n >>> 16;
  b[p + 3] = n >>> 24;
}

export function readU32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

/** int64 little-endian as a number; exact for safe integers (callers check the range). */
export function readI64(b: Uint8Array, p: number): number {
  return (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)) * TWO_POW_32 + readU32(b, p);
}

/** Where readVarint leaves a decoded value and the position after it. */
export interface VarintRead {
  value: number;
  next: number;
}

/**
 * How a varint read ended: 'ok'; 'not-shortest' (decoded, but a shorter
 * encoding exists: strict formats refuse it); 'truncated' (runs past
 * `end`); 'too-long' (more than `maxBytes` bytes).
 */
export type VarintStatus = 'ok' | 'not-shortest' | 'truncated' | 'too-long';

/**
 * Decodes the unsigned LEB128 varint at b[p], which must end before `end`
 * and take at most `maxBytes` bytes (at most 8: values up to 2^56, exact up
 * to 2^53; callers check their own range). On 'ok' and 'not-shortest' sets
 * out.value and out.next. The slow path: hot decoders read one-byte
 * varints inline and call this for the rest.
 */
export function readVarint(b: Uint8Array, p: number, end: number, maxBytes: number, out: VarintRead): VarintStatus {
  let value = 0;
  let scale = 1;
  for (let k = 0; k < maxBytes; k++) {
    if (p + k >= end) return 'truncated';
    const byte = b[p + k]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      out.value = value;
      out.next = p + k + 1;
      return byte === 0 && k > 0 ? 'not-shortest' : 'ok';
    }
    scale *= 0x80;
  }
  return 'too-long';
}

/** A growable output buffer for cold encoders (index, bloom, footer). */
export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  u8(n: number): this {
    this.room(1);
    this.buf[this.pos++] = n;
    return this;
  }

  u32(n: number): this {
    this.room(4);
    writeU32(this.buf, this.pos, n);
    this.pos += 4;
    return this;
  }

  i64(n: number): this {
    this.room(8);
    this.pos = writeI64(this.buf, this.pos, n);
    return this;
  }

  varint(n: number): this {
    this.room(10);
    this.pos = writeVarint(this.buf, this.pos, n);
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** varint length then the bytes. */
  lengthPrefixed(b: Uint8Array): this {
    return this.varint(b.length).bytes(b);
  }

  /** The bytes written, with `spare` writable bytes after them (for a block trailer). */
  finish(spare = 0): Uint8Array {
    this.room(spare);
    return this.buf.subarray(0, this.pos + spare);
  }
}

/**
 * A bounds-checked reader for cold decoders. Every read past the end,
 * or a varint longer than a safe integer, sets `ok` to false and returns 0
 * or an empty view, so a decoder checks once at the end instead of at
 * every field.
 */
export class ByteReader {
  pos: number;
  ok = true;
  private readonly scratch: VarintRead = { value: 0, next: 0 };

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get atEnd(): boolean {
    return this.pos === this.end;
  }

  private take(n: number): number {
    const p = this.pos;
    if (!this.ok || p + n > this.end) {
      this.ok = false;
      return -1;
    }
    this.pos = p + n;
    return p;
  }

  u8(): number {
    const p = this.take(1);
    return p < 0 ? 0 : this.buf[p]!;
  }

  u32(): number {
    const p = this.take(4);
    return p < 0 ? 0 : readU32(this.buf, p);
  }

  i64(): number {
    const p = this.take(8);
    if (p < 0) return 0;
    const n = readI64(this.buf, p);
    if (!Number.isSafeInteger(n)) this.ok = false;
    return n;
  }

  varint(): number {
    const status = this.ok ? readVarint(this.buf, this.pos, this.end, 8, this.scratch) : 'truncated';
    if ((status === 'ok' || status === 'not-shortest') && this.scratch.value <= Number.MAX_SAFE_INTEGER) {
      this.pos = this.scratch.next;
      return this.scratch.value;
    }
    this.ok = false;
    return 0;
  }

  /** A view (not a copy) of the next `n` bytes. */
  bytes(n: number): Uint8Array {
    const p = this.take(n);
    return p < 0 ? new Uint8Array(0) : new Uint8Array(this.buf.buffer, this.buf.byteOffset + p, n);
  }

  lengthPrefixed(): Uint8Array {
    return this.bytes(this.varint());
  }
}
