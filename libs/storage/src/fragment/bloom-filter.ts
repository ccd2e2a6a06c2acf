// The row bloom filter of a fragment (DESIGN §5: "bloom filters skip
// fragments for point rows"). Serialized form (a bloom block's payload):
//
//   k u8 (hash count, 1..30) | bits (m = 8 * byte-length bits, bit i is
//                               byte i >> 3, mask 1 << (i & 7))
//
// Positions by double hashing (Kirsch–Mitzenmacher): h1 + i*h2 mod m for
// i < k, with h1 = CRC-32C(row) and h2 = murmur3-32(row, seed) — two
// unrelated hashes (two CRCs with different seeds would differ by a
// constant per length, which defeats double hashing). Part of the on-disk
// format: the hashes may never change for version 1 files.
import { crc32c } from '@kdi/primitives';

export const DEFAULT_BLOOM_BITS_PER_ROW = 10;
const H2_SEED = 0x9747b28c;
const MIN_BITS = 64;

/** MurmurHash3 x86 32-bit. */
export function murmur3(key: Uint8Array, seed: number): number {
  let h = seed | 0;
  const n = key.length;
  const end4 = n & ~3;
  let i = 0;
  for (; i < end4; i += 4) {
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = n & 3;
  if (rest > 0) {
    let k = key[i]!;
    if (rest > 1) k |= key[i + 1]! << 8;
    if (rest > 2) k |= key[i + 2]! << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash count for a bits-per-key budget: k = bits·ln 2 minimises the false-positive rate. */
export function bloomHashCount(bitsPerKey: number): number {
  return Math.min(30, Math.max(1, Math.round(bitsPerKey * Math.LN2)));
}

/** Collects the keys' hashes while a fragment is written; the size of the filter is chosen at the end. */
export class BloomFilterBuilder {
  private hashes = new Uint32Array(2048);
  private n = 0;

  /** Keys added (the writer adds each distinct row once). */
  get count(): number {
    return this.n;
  }

  add(key: Uint8Array): void {
    if (2 * this.n + 2 > this.hashes.length) {
      const grown = new Uint32Array(this.hashes.length * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[2 * this.n] = crc32c(key);
    this.hashes[2 * this.n + 1] = murmur3(key, H2_SEED);
    this.n++;
  }

  /** The serialized filter, with `spare` zero bytes after it (room for a block trailer). */
  build(bitsPerKey = DEFAULT_BLOOM_BITS_PER_ROW, spare = 0): Uint8Array {
    const k = bloomHashCount(bitsPerKey);
    const bytes = Math.ceil(Math.max(MIN_BITS, Math.ceil(this.n * bitsPerKey)) / 8);
    const m = bytes * 8;
    const out = new Uint8Array(1 + bytes + spare);
    out[0] = k;
    const hs = this.hashes;
    for (let j = 0; j < this.n; j++) {
      let h = hs[2 * j]!;
      const delta = hs[2 * j + 1]!;
      for (let i = 0; i < k; i++) {
        const bit = h % m;
        out[1 + (bit >>> 3)]! |= 1 << (bit & 7);
        h = (h + delta) >>> 0;
      }
    }
    return out;
  }
}

/** A decoded filter: answers "maybe present" (no false negatives) or "definitely absent". */
export class BloomFilter {
  private constructor(
    private readonly bits: Uint8Array,
    private readonly k: number,
    private readonly m: number,
  ) {}

  /** Undefined when `payload` is not a well-formed filter. */
  static decode(payload: Uint8Array): BloomFilter | undefined {
    const k = payload[0];
    if (k === undefined || k < 1 || k > 30 || payload.length - 1 < MIN_BITS / 8) return undefined;
    const bits = payload.subarray(1);
    return new BloomFilter(bits, k, bits.length * 8);
  }

  /** Bytes of the bit array. */
  get byteSize(): number {
    return this.bits.length;
  }

  mayContain(key: Uint8Array): boolean {
    let h = crc32c(key);
    const delta = murmur3(key, H2_SEED);
    const m = this.m;
    const bits = this.bits;
    for (let i = 0; i < this.k; i++) {
      const bit = h % m;
      if ((bits[bit >>> 3]! & (1 << (bit & 7))) === 0) return false;
      h = (h + delta) >>> 0;
    }
    return true;
  }
}
