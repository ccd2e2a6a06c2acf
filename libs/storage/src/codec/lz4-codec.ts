// LZ4 block compression (codec id 1): the native `lz4` binding where it
// loads — several times faster than the TypeScript codec on 64 KiB blocks
// (docs/benchmarks.md, "Primitives") — else @kdi/primitives' TypeScript
// codec, which writes and reads the same raw LZ4 blocks. No frame: the
// fragment format already stores the uncompressed size and a CRC per
// block, so the frame's own header and checksums would be dead weight.
import { LZ4_CODEC_ID, tsLz4Codec, type BlockCodec } from '@kdi/primitives';
import { lazyAddon, type AddonSpec } from '../util/native-addon.js';

/** The slice of the binding we use (the package ships no types). */
export interface Lz4Binding {
  /** Compresses `input` into `output`; returns the compressed length, 0 when it does not fit. */
  encodeBlock(input: Uint8Array, output: Uint8Array): number;
  /** Decompresses `input` into `output`; returns the decoded length, negative on malformed input. */
  decodeBlock(input: Uint8Array, output: Uint8Array): number;
}

export { LZ4_CODEC_ID };

/**
 * The LZ4 codec over a lazily loaded binding (`spec.load`, by default the
 * `lz4` package), falling back to the TypeScript codec when it does not
 * load. Tests pass a loader that fails.
 */
export function createLz4Codec(spec: Partial<AddonSpec<Lz4Binding>> = {}): BlockCodec {
  const binding = lazyAddon<Lz4Binding>({ name: 'lz4', fallback: 'the TypeScript LZ4 codec', ...spec });
  return {
    id: LZ4_CODEC_ID,
    name: 'lz4',

    /**
     * Compressed bytes only when strictly smaller than the input: the output
     * buffer is one byte shorter than the input, so LZ4 itself gives up (0)
     * as soon as compression would not save space — no encodeBound-sized
     * scratch buffer and no second pass for incompressible blocks.
     */
    compress(data: Uint8Array): Uint8Array | null {
      const lz4 = binding();
      if (lz4 === null) return tsLz4Codec.compress(data);
      if (data.length < 2) return null;
      const out = Buffer.allocUnsafe(data.length - 1);
      const n = lz4.encodeBlock(data, out);
      return n > 0 ? out.subarray(0, n) : null;
    },

    /** Throws unless `data` decodes to exactly `size` bytes. */
    decompress(data: Uint8Array, size: number): Uint8Array {
      if (!Number.isSafeInteger(size) || size < 0) throw new Error(`lz4: invalid decompressed size ${size}`);
      const lz4 = binding();
      if (lz4 === null) return tsLz4Codec.decompress(data, size);
      const out = Buffer.allocUnsafe(size);
      if (size === 0 && data.length === 0) return out;
      const n = lz4.decodeBlock(data, out);
      if (n < 0) throw new Error(`lz4: malformed input (error at offset ${-n - 1})`);
      if (n !== size) throw new Error(`lz4: decoded ${n} bytes, expected ${size}`);
      return out;
    },
  };
}

/** The engine's LZ4 codec: native when the `lz4` addon loads, TypeScript otherwise. */
export const lz4Codec: BlockCodec = createLz4Codec();
