import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codecById } from './codec-registry.js';
import { lz4Codec } from './lz4-codec.js';

describe('lz4Codec', () => {
  it('round-trips compressible data and saves space', () => {
    const text = Buffer.from('row-000123 column:family qualifier value value value '.repeat(400));
    const c = lz4Codec.compress(text);
    expect(c).not.toBeNull();
    expect(c!.length).toBeLessThan(text.length / 4);
    expect(Buffer.from(lz4Codec.decompress(c!, text.length)).equals(text)).toBe(true);
  });

  it('returns null for incompressible data, so the block is stored raw', () => {
    expect(lz4Codec.compress(randomBytes(64 * 1024))).toBeNull();
    expect(lz4Codec.compress(new Uint8Array(0))).toBeNull();
    expect(lz4Codec.compress(new Uint8Array([1]))).toBeNull();
  });

  it('round-trips arbitrary byte strings whenever it compresses them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 1, max: 50 }), (bytes, repeat) => {
        const data = Buffer.concat(Array.from({ length: repeat }, () => bytes));
        const c = lz4Codec.compress(data);
        if (c === null) return;
        expect(c.length).toBeLessThan(data.length);
        expect(Buffer.from(lz4Codec.decompress(c, data.length)).equals(data)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('throws on malformed input instead of returning garbage', () => {
    expect(() => lz4Codec.decompress(new Uint8Array([0xff, 1, 2, 3]), 100)).toThrow(/malformed/);
    const data = Buffer.from('abcabcabcabcabcabcabcabcabcabcabcabcabcabc'.repeat(50));
    const c = lz4Codec.compress(data)!;
    expect(() => lz4Codec.decompress(c.subarray(0, c.length - 3), data.length)).toThrow();
    // A wrong expected size is an error too, in both directions.
    expect(() => lz4Codec.decompress(c, data.length + 1)).toThrow(/expected/);
    expect(() => lz4Codec.decompress(c, data.length - 1)).toThrow();
  });

  it('is registered under id 1', () => {
    expect(codecById(1)).toBe(lz4Codec);
    expect(codecById(0)).toBeUndefined();
    expect(codecById(77)).toBeUndefined();
  });
});
