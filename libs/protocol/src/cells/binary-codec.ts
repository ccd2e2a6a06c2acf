// The binary cell block, Content-Type application/x-kdi-cells (DESIGN §2):
// what the SDK sends and receives by default.
//
// Block layout, integers little-endian:
//
//   offset size
//   0      4    magic "KDIC" (4B 44 49 43)
//   4      1    version = 1
//   5      1    flags: bit 0 = the body is one LZ4 block (@kdi/primitives);
//                      bits 1-7 reserved, must be 0
//   6      2    reserved, must be 0
//   8      4    cell count (uint32)
//   12     4    body length once decompressed (uint32)
//   16     4    stored body length (uint32): the bytes after the header;
//               equal to the body length when not compressed
//   20     4    CRC-32C of block bytes [0, 20) followed by the stored body
//   24     …    stored body; the block ends exactly where it does
//
// Body: the cells back to back, each
//
//   flags      1 byte   bit 0: erasure — no value length and no value;
//                       bit 1: same row as the previous cell — no row
//                       length and no row; bits 2-7 reserved, must be 0
//   row len    varint   (absent with bit 1)
//   column len varint
//   value len  varint   (absent with bit 0)
//   timestamp  8 bytes  int64, must lie within ±(2^53-1)
//   row, column, value bytes
//
// varint: unsigned LEB128, 1-5 bytes, value < 2^32, shortest form only.
//
// Why a checksum: TCP's 16-bit checksum and proxies that re-buffer bodies
// are not end-to-end protection for data about to be made durable. CRC-32C
// covers the stored (possibly compressed) bytes, so corruption is reported
// as such before the decompressor sees it; it costs about 1 ms per MB.
// Compression is used only when it makes the body smaller.
//
// Error messages give positions as "body byte N": offsets into the body as
// decompressed; for an uncompressed block body byte N is block byte 24+N.

import { KdiError } from '../errors/kdi-error.js';
import {
  compareCellKeys,
  crc32c,
  lz4CompressBlockInto,
  lz4CompressBound,
  lz4DecompressBlock,
  Lz4FormatError,
  readVarint,
  sameBytes,
  varintSize,
  writeVarint,
  type Cell,
  type VarintRead,
} from '@kdi/primitives';
import { badTimestamp, DEFAULT_LIMITS, tooBig, type CellLimits } from './limits.js';

export const CELL_BLOCK_MIME_TYPE = 'application/x-kdi-cells';

const MAGIC = 0x4349444b; // "KDIC" read as uint32 LE
const VERSION = 1;
const HEADER_BYTES = 24;
const CRC_OFFSET = 20;
const FLAG_LZ4 = 1;
const CELL_ERASURE = 1;
const CELL_SAME_ROW = 2;
const UINT32_MAX = 0xffffffff;
/** flags + column length + timestamp: the least a cell can occupy. */
const MIN_CELL_BYTES = 10;
/** A copy to exact size is worth it when compression leaves this much of the bound unused. */
const SHRINK_WASTE_BYTES = 64 * 1024;

/**
 * A CRC-32C with crc32c's signature and values (data[start, end),
 * continuing from `crc`). A server passes a faster one than the TypeScript
 * table (storage's hardware CRC); the bytes on the wire do not change.
 */
export type Crc32cFunction = (data: Uint8Array, crc?: number, start?: number, end?: number) => number;

export interface EncodeCellBlockOptions {
  /** LZ4-compress the body (kept only when smaller). Default false. */
  readonly compress?: boolean;
  /** The CRC-32C to checksum the block with; default the TypeScript one of @kdi/primitives. */
  readonly crc32c?: Crc32cFunction;
}

export interface DecodeCellBlockOptions {
  /**
   * Limits to enforce on every cell and on the body (default
   * DEFAULT_LIMITS). Pass NO_LIMITS only for a trusted server's response.
   */
  readonly limits?: CellLimits;
  /** Require strictly increasing key order (row asc, column asc, timestamp desc; no duplicate keys). */
  readonly requireSorted?: boolean;
  /** The CRC-32C to check the block with; default the TypeScript one of @kdi/primitives. */
  readonly crc32c?: Crc32cFunction;
}

/**
 * Encodes cells as one block. Throws INVALID_ARGUMENT when a timestamp is
 * not a safe integer or the body would pass 4 GiB. Limits are not checked
 * here (the receiver checks them); use validateCells first if wanted.
 */
export function encodeCellBlock(cells: readonly Cell[], options: EncodeCellBlockOptions = {}): Uint8Array {
  const count = cells.length;
  if (count > UINT32_MAX) throw new KdiError('INVALID_ARGUMENT', `${count} cells do not fit in one block`);
  const flags = new Uint8Array(count);
  let bodyLength = 0;
  let prevRow: Uint8Array | null = null;
  for (let i = 0; i < count; i++) {
    const cell = cells[i]!;
    if (!Number.isSafeInteger(cell.timestamp)) throw badTimestamp(`cells[${i}]`, cell.timestamp);
    const { row, column, value } = cell;
    let f = 0;
    let size = 1 + varintSize(column.length) + column.length + 8;
    if (prevRow !== null && sameBytes(prevRow, row)) f |= CELL_SAME_ROW;
    else size += varintSize(row.length) + row.length;
    if (value === null) f |= CELL_ERASURE;
    else size += varintSize(value.length) + value.length;
    flags[i] = f;
    bodyLength += size;
    prevRow = row;
  }
  if (bodyLength > UINT32_MAX) {
    throw new KdiError('INVALID_ARGUMENT', `the cells need a ${bodyLength}-byte body; one block holds at most ${UINT32_MAX} (split the batch)`);
  }

  const plain = Buffer.allocUnsafe(HEADER_BYTES + bodyLength);
  const end = writeBody(cells, flags, plain, HEADER_BYTES);
  if (end !== plain.length) throw new Error(`encodeCellBlock: wrote ${end} bytes of ${plain.length}`);

  let block = plain;
  let blockFlags = 0;
  if (options.compress === true && bodyLength > 0) {
    const packed = Buffer.allocUnsafe(HEADER_BYTES + lz4CompressBound(bodyLength));
    const packedEnd = lz4CompressBlockInto(plain.subarray(HEADER_BYTES), packed, HEADER_BYTES);
    if (packedEnd < plain.length) {
      blockFlags = FLAG_LZ4;
      block = packed.length - packedEnd > SHRINK_WASTE_BYTES ? Buffer.from(packed.subarray(0, packedEnd)) : packed.subarray(0, packedEnd);
    }
  }

  block.writeUInt32LE(MAGIC, 0);
  block[4] = VERSION;
  block[5] = blockFlags;
  block.writeUInt16LE(0, 6);
  block.writeUInt32LE(count, 8);
  block.writeUInt32LE(bodyLength, 12);
  block.writeUInt32LE(block.length - HEADER_BYTES, 16);
  block.writeUInt32LE(blockChecksum(block, options.crc32c ?? crc32c), CRC_OFFSET);
  return block;
}

function writeBody(cells: readonly Cell[], flags: Uint8Array, out: Buffer, start: number): number {
  let p = start;
  for (let i = 0; i < cells.length; i++) {
    const { row, column, timestamp, value } = cells[i]!;
    const f = flags[i]!;
    out[p++] = f;
    if ((f & CELL_SAME_ROW) === 0) p = writeVarint(out, p, row.length);
    p = writeVarint(out, p, column.length);
    if (value !== null) p = writeVarint(out, p, value.length);
    // Two's complement int64 from a safe integer, without BigInt.
    const low = timestamp % 0x1_0000_0000;
    const lowU = low < 0 ? low + 0x1_0000_0000 : low;
    out.writeUInt32LE(lowU, p);
    out.writeInt32LE((timestamp - lowU) / 0x1_0000_0000, p + 4);
    p += 8;
    if ((f & CELL_SAME_ROW) === 0) p = copyBytes(row, out, p);
    p = copyBytes(column, out, p);
    if (value !== null) p = copyBytes(value, out, p);
  }
  return p;
}

/**
 * Decodes a block. Cells of an uncompressed block are views into `data`
 * (no copies): the caller must not modify `data` while the cells are in
 * use. Every malformation is INVALID_ARGUMENT saying what and where.
 */
export function decodeCellBlock(data: Uint8Array, options: DecodeCellBlockOptions = {}): Cell[] {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const block = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

  if (block.length < HEADER_BYTES) {
    throw invalid(`the cell block is ${block.length} bytes, shorter than its ${HEADER_BYTES}-byte header`);
  }
  if (block.readUInt32LE(0) !== MAGIC) {
    throw invalid(`bad magic ${block.subarray(0, 4).toString('hex')} at block byte 0 (expected 4b444943, "KDIC"): not an ${CELL_BLOCK_MIME_TYPE} block`);
  }
  if (block[4] !== VERSION) throw invalid(`unsupported cell block version ${block[4]} at block byte 4; this reader knows version ${VERSION}`);
  const blockFlags = block[5]!;
  if ((blockFlags & ~FLAG_LZ4) !== 0) throw invalid(`unknown block flags 0x${blockFlags.toString(16)} at block byte 5`);
  if (block.readUInt16LE(6) !== 0) throw invalid('reserved block bytes 6-7 are not zero');
  const count = block.readUInt32LE(8);
  const bodyLength = block.readUInt32LE(12);
  const storedLength = block.readUInt32LE(16);
  const actualStored = block.length - HEADER_BYTES;
  if (actualStored < storedLength) {
    throw invalid(`truncated cell block: the header promises a ${storedLength}-byte body but only ${actualStored} bytes follow it (block ends at byte ${block.length})`);
  }
  if (actualStored > storedLength) {
    throw invalid(`${actualStored - storedLength} bytes of trailing garbage after the body, from block byte ${HEADER_BYTES + storedLength}`);
  }
  const expectedCrc = block.readUInt32LE(CRC_OFFSET);
  const actualCrc = blockChecksum(block, options.crc32c ?? crc32c);
  if (expectedCrc !== actualCrc) {
    throw invalid(`cell block checksum mismatch: the header says ${hex32(expectedCrc)}, the content gives ${hex32(actualCrc)} (corrupted in transit?)`);
  }
  if (bodyLength > limits.maxRequestBytes) {
    throw invalid(`the cell block body is ${bodyLength} bytes; the request limit is ${limits.maxRequestBytes}`);
  }

  let body: Buffer;
  if ((blockFlags & FLAG_LZ4) === 0) {
    if (bodyLength !== storedLength) {
      throw invalid(`the uncompressed block stores ${storedLength} body bytes but its header says the body is ${bodyLength}`);
    }
    body = block.subarray(HEADER_BYTES);
  } else {
    try {
      body = lz4DecompressBlock(block.subarray(HEADER_BYTES), bodyLength) as Buffer;
    } catch (e) {
      if (e instanceof Lz4FormatError) throw invalid(`the LZ4 body (from block byte ${HEADER_BYTES}) is bad: ${e.message}`);
      throw e;
    }
  }
  if (count > Math.floor(bodyLength / MIN_CELL_BYTES)) {
    throw invalid(`the header says ${count} cells, but a ${bodyLength}-byte body holds at most ${Math.floor(bodyLength / MIN_CELL_BYTES)}`);
  }
  return decodeBody(body, count, limits, options.requireSorted === true);
}

function decodeBody(body: Buffer, count: number, limits: CellLimits, requireSorted: boolean): Cell[] {
  const cells: Cell[] = new Array<Cell>(count);
  const end = body.length;
  const maxRequest = limits.maxRequestBytes;
  let total = 0;
  let p = 0;
  let row: Buffer | null = null;
  let prev: Cell | null = null;
  const reader = new VarintReader(body);

  for (let i = 0; i < count; i++) {
    const at = p;
    if (p >= end) throw invalid(`the header says ${count} cells but the body ends after ${i} (body byte ${p})`);
    const f = body[p++]!;
    if ((f & ~(CELL_ERASURE | CELL_SAME_ROW)) !== 0) throw invalid(`cell ${i} at body byte ${at}: unknown cell flags 0x${f.toString(16)}`);

    let rowLength = -1;
    if ((f & CELL_SAME_ROW) === 0) {
      rowLength = reader.read(p, i, 'row length');
      p = reader.next;
    } else if (row === null) {
      throw invalid(`cell ${i} at body byte ${at} says it repeats the previous cell's row, but it is the first cell`);
    }
    const columnLength = reader.read(p, i, 'column length');
    p = reader.next;
    let valueLength = -1;
    if ((f & CELL_ERASURE) === 0) {
      valueLength = reader.read(p, i, 'value length');
      p = reader.next;
    }

    if (end - p < 8) throw invalid(`cell ${i} at body byte ${at}: the timestamp at body byte ${p} runs past the end of the body (${end})`);
    const timestamp = body.readInt32LE(p + 4) * 0x1_0000_0000 + body.readUInt32LE(p);
    if (!Number.isSafeInteger(timestamp)) {
      throw invalid(`cell ${i} at body byte ${at}: timestamp ${body.readBigInt64LE(p)} at body byte ${p} is outside ±(2^53-1)`);
    }
    p += 8;

    if (rowLength >= 0) {
      if (rowLength > limits.maxRowBytes) throw tooBig(`cells[${i}]`, 'row', rowLength, limits.maxRowBytes);
      if (rowLength > end - p) throw pastEnd(i, at, 'row', rowLength, p, end);
      row = body.subarray(p, p + rowLength);
      p += rowLength;
    }
    if (columnLength > limits.maxColumnBytes) throw tooBig(`cells[${i}]`, 'column', columnLength, limits.maxColumnBytes);
    if (columnLength > end - p) throw pastEnd(i, at, 'column', columnLength, p, end);
    const column = body.subarray(p, p + columnLength);
    p += columnLength;
    let value: Buffer | null = null;
    if (valueLength >= 0) {
      if (valueLength > limits.maxValueBytes) throw tooBig(`cells[${i}]`, 'value', valueLength, limits.maxValueBytes);
      if (valueLength > end - p) throw pastEnd(i, at, 'value', valueLength, p, end);
      value = body.subarray(p, p + valueLength);
      p += valueLength;
    }

    // Shared rows are stored once but count in full, as in validateCells.
    total += row!.length + columnLength + (valueLength > 0 ? valueLength : 0) + 8;
    if (total > maxRequest) {
      throw invalid(`the cells up to cells[${i}] add up to ${total} bytes; the request limit is ${maxRequest}`);
    }
    const cell: Cell = { row: row!, column, timestamp, value };
    if (requireSorted && prev !== null && compareCellKeys(prev, cell) >= 0) {
      const same = compareCellKeys(prev, cell) === 0;
      throw invalid(
        same
          ? `cell ${i} at body byte ${at} repeats the key of cell ${i - 1}; keys must be unique`
          : `cell ${i} at body byte ${at} sorts before cell ${i - 1}; cells must be in key order (row asc, column asc, timestamp desc)`,
      );
    }
    cells[i] = cell;
    prev = cell;
  }
  if (p !== end) throw invalid(`${end - p} bytes of garbage after the last of ${count} cells, from body byte ${p}`);
  return cells;
}

/** Reads unsigned LEB128 varints (< 2^32, shortest form) with bounds checks; `next` is the position after the last read. */
class VarintReader {
  next = 0;
  readonly #out: VarintRead = { value: 0, next: 0 };
  constructor(private readonly body: Buffer) {}

  read(p: number, cell: number, field: string): number {
    const body = this.body;
    if (p >= body.length) throw invalid(`cell ${cell}: the ${field} at body byte ${p} runs past the end of the body (${body.length})`);
    const b = body[p]!;
    if (b < 0x80) {
      this.next = p + 1;
      return b;
    }
    switch (readVarint(body, p, body.length, 5, this.#out)) {
      case 'truncated':
        throw invalid(`cell ${cell}: the ${field} varint at body byte ${p} runs past the end of the body (${body.length})`);
      case 'too-long':
        throw invalid(`cell ${cell}: the ${field} varint at body byte ${p} is longer than 5 bytes`);
      case 'not-shortest':
        throw invalid(`cell ${cell}: the ${field} varint at body byte ${p} is not in shortest form`);
      case 'ok':
        break;
    }
    if (this.#out.value > UINT32_MAX) throw invalid(`cell ${cell}: the ${field} varint at body byte ${p} exceeds 2^32-1`);
    this.next = this.#out.next;
    return this.#out.value;
  }
}

/** Small fields are copied by a loop: set() has a fixed cost above that of a dozen bytes. */
function copyBytes(src: Uint8Array, out: Buffer, p: number): number {
  const n = src.length;
  if (n <= 16) {
    for (let i = 0; i < n; i++) out[p + i] = src[i]!;
  } else {
    out.set(src, p);
  }
  return p + n;
}

function blockChecksum(block: Buffer, crc: Crc32cFunction): number {
  return crc(block, crc(block, 0, 0, CRC_OFFSET), HEADER_BYTES);
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function pastEnd(cell: number, at: number, field: string, length: number, p: number, end: number): KdiError {
  return invalid(`cell ${cell} at body byte ${at}: the ${length}-byte ${field} at body byte ${p} runs past the end of the body (${end})`);
}

function invalid(message: string): KdiError {
  return new KdiError('INVALID_ARGUMENT', message);
}
