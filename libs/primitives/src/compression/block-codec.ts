// The block codec port: block compression behind one interface, so the
// fragment format (which names a codec by id in each block) and the wire
// format do not care which implementation runs. LZ4 is codec id 1; the
// pure-TypeScript codec below is always there, and storage may put the
// native `lz4` binding behind the same id where it is faster (loaded
// lazily, with this one as the fallback).

import { lz4CompressBlockInto, lz4CompressBound, lz4DecompressBlock } from './lz4-block.js';

export interface BlockCodec {
  /** Stable id stored in block headers; 0 is reserved for "uncompressed". */
  readonly id: number;
  readonly name: string;
  /** Returns the compressed bytes, or null when compression would not save space. */
  compress(data: Uint8Array): Uint8Array | null;
  /** Inverse of compress; `size` is the original length. Throws on malformed input. */
  decompress(data: Uint8Array, size: number): Uint8Array;
}

export const UNCOMPRESSED_CODEC_ID = 0;
export const LZ4_CODEC_ID = 1;

/** Scratch output reused across compress calls (grown as needed; the result is copied out). */
let scratch = Buffer.allocUnsafe(0);

/** LZ4 block compression (codec id 1) in pure TypeScript: raw LZ4 blocks, no frame. */
export const tsLz4Codec: BlockCodec = {
  id: LZ4_CODEC_ID,
  name: 'lz4-ts',

  compress(data: Uint8Array): Uint8Array | null {
    if (data.length < 2) return null;
    const bound = lz4CompressBound(data.length);
    if (scratch.length < bound) scratch = Buffer.allocUnsafe(Math.max(bound, 64 * 1024 + 1024));
    const end = lz4CompressBlockInto(data, scratch, 0);
    return end < data.length ? Buffer.from(scratch.subarray(0, end)) : null;
  },

  /** Throws Lz4FormatError unless `data` decodes to exactly `size` bytes. */
  decompress(data: Uint8Array, size: number): Uint8Array {
    if (size === 0 && data.length === 0) return Buffer.alloc(0);
    return lz4DecompressBlock(data, size);
  },
};
