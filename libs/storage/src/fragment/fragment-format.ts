// The disk fragment file format, version 1 (DESIGN §5). All integers are
// little-endian; "varint" is unsigned LEB128; "i64" is a two's-complement
// int64 holding a safe integer.
//
//   file    := data-block* index-block bloom-block footer
//
// Every block (data, index, bloom) is stored as
//
//   stored-block := payload | codec u8 | crc u32
//
// where `payload` is the block's bytes compressed by `codec` (0 = stored
// raw, 1 = lz4), and `crc` is the CRC-32C of payload and codec byte. A
// block's "stored size" counts the 5-byte trailer. Index and bloom blocks
// are always stored raw (codec 0).
//
// Data block payload (uncompressed): the block's cells in key order (row
// ascending, column ascending, timestamp descending), nothing else — the
// cell count, sizes and key range live in the index.
//
//   cell := flags u8
//           [row-len varint, row bytes]          unless flags & SAME_ROW
//           [column-len varint, column bytes]    unless flags & SAME_COLUMN
//           timestamp: zigzag varint of (ts - previous cell's ts in this
//                      block, 0 for the first cell)   unless flags & TS_FIXED
//                      i64 ts                          if flags & TS_FIXED
//           [value-len varint, value bytes]      unless flags & ERASURE
//   flags: 1 ERASURE (value is null), 2 SAME_ROW (row equals the previous
//          cell's), 4 SAME_COLUMN (column equals the previous cell's, also
//          across rows), 8 TS_FIXED (the delta would leave ±2^52); other
//          bits must be 0; the first cell of a block has no SAME_* flag.
//   Full rows and columns, not prefix-compressed: a reader decodes a block
//   once into cells whose row, column and value are views of the
//   decompressed bytes, and equal rows/columns share one view. Repeated
//   prefixes are left to the block codec.
//
// Index block payload:
//
//   index := block-count varint, entry * block-count,
//            first-row-len varint, first-row bytes (the file's first row)
//   entry := last-row-len varint, last-row, last-column-len varint,
//            last-column, last-timestamp i64,          -- the block's last key
//            offset varint, stored-size varint,       -- offset from file start
//            raw-size varint (uncompressed payload), cell-count varint,
//            min-timestamp i64, max-timestamp i64,
//            family-mask-lo u32, family-mask-hi u32   -- see family-mask.ts
//   Blocks are contiguous: entry 0's offset is 0, each next offset is the
//   previous offset + stored size, and the index starts where the last
//   data block ends.
//
// Bloom block payload: see bloom-filter.ts (k u8, then the bit array).
// The bloom block starts right after the index block.
//
// Footer, FOOTER_SIZE = 80 bytes at the end of the file:
//
//    0 index-offset   u64 (as i64)
//    8 index-size     u32 (stored size)
//   12 bloom-size     u32 (stored size)
//   16 block-count    u32
//   20 reserved       u32 (0)
//   24 cell-count     i64
//   32 row-count      i64 (distinct rows)
//   40 raw-bytes      i64 (sum of the data blocks' uncompressed sizes)
//   48 min-timestamp  i64
//   56 max-timestamp  i64
//   64 version        u32 (FORMAT_VERSION)
//   68 crc            u32 (CRC-32C of bytes 0..67)
//   72 magic          8 bytes "KDI.FRAG"
//
// The magic and version sit at fixed distances from the end, so a later
// version may grow the footer and still be recognised.

import { corruption } from '../errors.js';
import { crc32c, readI64, readU32, writeI64, writeU32 } from '@kdi/primitives';
import { blockCrc32c } from '../util/block-checksum.js';

export const FORMAT_VERSION = 1;
export const FOOTER_SIZE = 80;
export const MAGIC = Uint8Array.from(Buffer.from('KDI.FRAG', 'latin1'));
export const TRAILER_SIZE = 5;

export const FLAG_ERASURE = 1;
export const FLAG_SAME_ROW = 2;
export const FLAG_SAME_COLUMN = 4;
export const FLAG_TS_FIXED = 8;
export const KNOWN_FLAGS = 15;
/** Largest |timestamp delta| stored as a zigzag varint: its zigzag form stays a safe integer. */
export const MAX_TS_DELTA = 2 ** 52;

/** Default target for a data block's uncompressed size. */
export const DEFAULT_BLOCK_SIZE = 64 * 1024;

export interface Footer {
  readonly indexOffset: number;
  readonly indexSize: number;
  readonly bloomSize: number;
  readonly blockCount: number;
  readonly cellCount: number;
  readonly rowCount: number;
  readonly rawBytes: number;
  readonly minTimestamp: number;
  readonly maxTimestamp: number;
}

export function encodeFooter(f: Footer): Uint8Array {
  const b = new Uint8Array(FOOTER_SIZE);
  writeI64(b, 0, f.indexOffset);
  writeU32(b, 8, f.indexSize);
  writeU32(b, 12, f.bloomSize);
  writeU32(b, 16, f.blockCount);
  writeU32(b, 20, 0);
  writeI64(b, 24, f.cellCount);
  writeI64(b, 32, f.rowCount);
  writeI64(b, 40, f.rawBytes);
  writeI64(b, 48, f.minTimestamp);
  writeI64(b, 56, f.maxTimestamp);
  writeU32(b, 64, FORMAT_VERSION);
  writeU32(b, 68, crc32c(b, 0, 0, 68));
  b.set(MAGIC, 72);
  return b;
}

/** Parses and checks the last FOOTER_SIZE bytes of a file of `fileSize` bytes. */
export function decodeFooter(b: Uint8Array, fileSize: number, path: string): Footer {
  const bad = (why: string) => corruption(`fragment ${path}: ${why}`, path);
  if (b.length !== FOOTER_SIZE) throw bad(`file too short for a footer (${fileSize} bytes)`);
  if (Buffer.compare(b.subarray(72, 80), MAGIC) !== 0) throw bad('bad magic, not a fragment file');
  const version = readU32(b, 64);
  if (version !== FORMAT_VERSION) throw bad(`unsupported format version ${version}`);
  if (crc32c(b, 0, 0, 68) !== readU32(b, 68)) throw bad('footer checksum mismatch');
  const f: Footer = {
    indexOffset: readI64(b, 0),
    indexSize: readU32(b, 8),
    bloomSize: readU32(b, 12),
    blockCount: readU32(b, 16),
    cellCount: readI64(b, 24),
    rowCount: readI64(b, 32),
    rawBytes: readI64(b, 40),
    minTimestamp: readI64(b, 48),
    maxTimestamp: readI64(b, 56),
  };
  const sane =
    readU32(b, 20) === 0 &&
    [f.indexOffset, f.cellCount, f.rowCount, f.rawBytes, f.minTimestamp, f.maxTimestamp].every(Number.isSafeInteger) &&
    f.indexOffset >= 0 &&
    f.indexSize >= TRAILER_SIZE &&
    f.bloomSize >= TRAILER_SIZE &&
    f.indexOffset + f.indexSize + f.bloomSize + FOOTER_SIZE === fileSize &&
    f.minTimestamp <= f.maxTimestamp &&
    f.cellCount >= f.blockCount &&
    f.rowCount <= f.cellCount;
  if (!sane) throw bad('footer fields inconsistent with the file size');
  return f;
}

/**
 * Writes the trailer of a stored block in place: `stored` holds the payload
 * in [0, payloadLength) and has room for the trailer right after it.
 */
export function sealBlock(stored: Uint8Array, payloadLength: number, codecId: number): void {
  stored[payloadLength] = codecId;
  writeU32(stored, payloadLength + 1, blockCrc32c(stored, 0, 0, payloadLength + 1));
}

/** True when a stored block's checksum matches. */
export function blockChecksumOk(stored: Uint8Array): boolean {
  const n = stored.length - 4;
  return n >= 1 && blockCrc32c(stored, 0, 0, n) === readU32(stored, n);
}

/** The codec byte of a stored block (call after blockChecksumOk). */
export function blockCodecId(stored: Uint8Array): number {
  return stored[stored.length - TRAILER_SIZE]!;
}

/** A view of a stored block's payload. */
export function blockPayload(stored: Uint8Array): Uint8Array {
  return stored.subarray(0, stored.length - TRAILER_SIZE);
}
