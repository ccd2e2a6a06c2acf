// LZ4 block compression (codec id 1) on the native `lz4` binding. Raw LZ4
// blocks, no frame: the fragment format already stores the uncompressed
// size and a CRC per block, so the frame's own header and checksums would
// be dead weight.
import { createRequire } from 'node:module';
import type { BlockCodec } from './block-codec.js';

/** The slice of the binding we use (the package ships no types). */
interface Lz4Binding {
  /** Compresses `input` into `output`; returns the compressed length, 0 when it does not fit. */
  encodeBlock(input: Uint8Array, output: Uint8Array): number;
  /** Decompresses `input` into `output`; returns the decoded length, negative on malformed input. */
  decodeBlock(input: Uint8Array, output: Uint8Array): number;
}

const lz4 = createRequire(import.meta.url)('lz4') as Lz4Binding;

export const LZ4_CODEC_ID = 1;

export const lz4Codec: BlockCodec = {
  id: LZ4_CODEC_ID,
  name: 'lz4',

  /**
   * Compressed bytes only when strictly smaller than the input: the output
   * buffer is one byte shorter than the input, so LZ4 itself gives up (0)
   * as soon as compression would not save space — no encodeBound-sized
   * scratch buffer and no second pass for incompressible blocks.
   */
  compress(data: Uint8Array): Uint8Array | null {
    if (data.length < 2) return null;
    const out = Buffer.allocUnsafe(data.length - 1);
    const n = lz4.encodeBlock(data, out);
    return n > 0 ? out.subarray(0, n) : null;
  },

  /** Throws unless `data` decodes to exactly `size` bytes. */
  decompress(data: Uint8Array, size: number): Uint8Array {
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`lz4: invalid decompressed size ${size}`);
    const out = Buffer.allocUnsafe(size);
    if (size === 0 && data.length === 0) return out;
    const n = lz4.decodeBlock(data, out);
    if (n < 0) throw new Error(`lz4: malformed input (error at offset ${-n - 1})`);
    if (n !== size) throw new Error(`lz4: decoded ${n} bytes, expected ${size}`);
    return out;
  },
};
