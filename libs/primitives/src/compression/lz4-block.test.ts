import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lz4CompressBlock, lz4CompressBound, lz4DecompressBlock, Lz4FormatError } from './lz4-block.js';

/** The native reference binding, used only here to check interoperability. */
interface NativeLz4 {
  encodeBound(n: number): number;
  encodeBlock(input: Uint8Array, output: Uint8Array): number;
  decodeBlock(input: Uint8Array, output: Uint8Array): number;
}
const native = createRequire(import.meta.url)('lz4') as NativeLz4;

function nativeCompress(data: Uint8Array): Buffer {
  const out = Buffer.alloc(native.encodeBound(data.length));
  const n = native.encodeBlock(data, out);
  return out.subarray(0, n);
}

/** The decoded bytes, or null when the native decoder rejects the block. */
function nativeDecompress(block: Uint8Array, size: number): Buffer | null {
  const out = Buffer.alloc(size);
  const n = native.decodeBlock(block, out);
  return n === size ? out : null;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randomBytes(n: number, seed: number): Buffer {
  const r = rng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** Text-like data with the redundancy of real rows and values. */
function textBytes(n: number, seed: number): Buffer {
  const r = rng(seed);
  const words = ['com.example.www/', 'index.html', 'anchor:', 'contents:', '{"id":', ',"name":"', '"}', 'family', '2024-01-02'];
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const w = r() < 0.3 ? String(Math.floor(r() * 1e6)) : words[Math.floor(r() * words.length)]!;
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}

const SAMPLES: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['one byte', Buffer.from([0xff])],
  ['12 bytes (all literals)', Buffer.from('abcdabcdabcd')],
  ['13 zero bytes (shortest with a match)', Buffer.alloc(13)],
  ['a run of 100 000 identical bytes', Buffer.alloc(100_000, 0x61)],
  ['a period-3 run (overlapping matches)', Buffer.from('abc'.repeat(30_000))],
  ['random 70 000 bytes (incompressible)', randomBytes(70_000, 1)],
  ['text 300 000 bytes', textBytes(300_000, 2)],
  ['repeat past the 64 KiB window', Buffer.concat([randomBytes(80_000, 3), randomBytes(80_000, 3)])],
  ['long literal then long match', Buffer.concat([randomBytes(1000, 4), Buffer.alloc(5000, 7), randomBytes(20, 5)])],
];

describe('lz4 block interoperability', () => {
  it.each(SAMPLES)('%s: ours → native and native → ours', (_name, data) => {
    const ours = lz4CompressBlock(data);
    expect(ours.length).toBeLessThanOrEqual(lz4CompressBound(data.length));
    expect(nativeDecompress(ours, data.length)?.equals(data)).toBe(true);
    expect(Buffer.from(lz4DecompressBlock(ours, data.length)).equals(data)).toBe(true);

    const theirs = nativeCompress(data);
    expect(Buffer.from(lz4DecompressBlock(theirs, data.length)).equals(data)).toBe(true);
  });

  it('matches the reference byte for byte on small inputs', () => {
    for (const data of [Buffer.alloc(0), Buffer.alloc(13), Buffer.alloc(100, 7), Buffer.from('hello hello hello hello hello')]) {
      expect(Buffer.from(lz4CompressBlock(data)).toString('hex')).toBe(nativeCompress(data).toString('hex'));
    }
  });

  it('compresses redundant data and barely expands random data', () => {
    expect(lz4CompressBlock(Buffer.alloc(100_000)).length).toBeLessThan(500);
    expect(lz4CompressBlock(textBytes(300_000, 9)).length).toBeLessThan(150_000);
    const random = randomBytes(100_000, 6);
    expect(lz4CompressBlock(random).length).toBeLessThanOrEqual(lz4CompressBound(random.length));
  });

  it('round-trips arbitrary data both ways (property)', () => {
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }),
      // few distinct bytes → many matches of every length and offset
      fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 5000 }).map((a) => Uint8Array.from(a)),
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 60 }).map((parts) => {
        const chunks: Uint8Array[] = [];
        for (const p of parts) chunks.push(p, p, p.subarray(0, p.length >> 1));
        return new Uint8Array(Buffer.concat(chunks));
      }),
    );
    fc.assert(
      fc.property(data, (input) => {
        const ours = lz4CompressBlock(input);
        expect(Buffer.from(lz4DecompressBlock(ours, input.length)).equals(Buffer.from(input))).toBe(true);
        expect(nativeDecompress(ours, input.length)?.equals(Buffer.from(input))).toBe(true);
        expect(Buffer.from(lz4DecompressBlock(nativeCompress(input), input.length)).equals(Buffer.from(input))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('logs its speed on 16 MB of text (informational, no time asserted)', () => {
    const data = textBytes(16 * 1024 * 1024, 7);
    let t = performance.now();
    const packed = lz4CompressBlock(data);
    const compressMs = performance.now() - t;
    t = performance.now();
    const unpacked = lz4DecompressBlock(packed, data.length);
    const decompressMs = performance.now() - t;
    expect(Buffer.from(unpacked).equals(data)).toBe(true);
    const mb = data.length / 1e6;
    console.log(
      `lz4 (pure TS): ratio ${(data.length / packed.length).toFixed(2)}, compress ${(mb / (compressMs / 1000)).toFixed(0)} MB/s, ` +
        `decompress ${(mb / (decompressMs / 1000)).toFixed(0)} MB/s`,
    );
  });
});

describe('lz4 block decoder on malformed input', () => {
  function rejects(block: number[], size: number, pattern: RegExp): void {
    let error: unknown;
    try {
      lz4DecompressBlock(Uint8Array.from(block), size);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Lz4FormatError);
    expect((error as Lz4FormatError).message).toMatch(pattern);
  }

  it('accepts the minimal blocks', () => {
    expect(lz4DecompressBlock(Uint8Array.from([0x00]), 0).length).toBe(0);
    expect(Buffer.from(lz4DecompressBlock(Uint8Array.from([0x10, 0x41]), 1)).toString()).toBe('A');
    // "A" then a 6-byte overlapping match at offset 1, then 1 literal
    expect(Buffer.from(lz4DecompressBlock(Uint8Array.from([0x12, 0x41, 0x01, 0x00, 0x10, 0x42]), 8)).toString()).toBe('AAAAAAAB');
  });

  it.each([
    ['an empty block', [], 0, /empty/],
    ['a literal length cut short', [0xf0, 0xff], 400, /literal length runs past the end.*compressed byte 0/],
    ['literals past the end of the block', [0x50, 0x41, 0x42], 5, /5 literals run past the end of the block/],
    ['literals past the expected size', [0x30, 0x41, 0x42, 0x43], 2, /overflow the expected size 2/],
    ['a block ending inside an offset', [0x10, 0x41, 0x01], 10, /ends inside a match offset.*compressed byte 2/],
    ['offset 0', [0x10, 0x41, 0x00, 0x00, 0x00], 10, /match offset 0.*compressed byte 2/],
    ['an offset before the output start', [0x10, 0x41, 0x02, 0x00, 0x10, 0x42], 10, /offset 2 reaches before the start of the output/],
    ['a match length cut short', [0x1f, 0x41, 0x01, 0x00, 0xff], 400, /match length runs past the end/],
    ['a match past the expected size', [0x14, 0x41, 0x01, 0x00, 0x00], 5, /8-byte match overflows the expected size 5/],
    ['a block decoding to too few bytes', [0x20, 0x41, 0x42], 3, /decodes to 2 bytes; 3 were expected/],
    ['a size no block this short can reach', [0x00], 1_000_000, /cannot expand/],
    ['a negative size', [0x00], -1, /not a non-negative integer/],
  ] as const)('rejects %s', (_name, block, size, pattern) => rejects([...block], size, pattern));

  it('treats bytes after the last literals as the start of a sequence, never ignoring them', () => {
    rejects([0x10, 0x41, 0x00], 1, /ends inside a match offset/);
  });

  it('never crashes, over-reads or disagrees with the reference on corrupted blocks (property)', () => {
    const base = textBytes(4000, 11);
    const good = Buffer.from(lz4CompressBlock(base));
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(good.length - 1), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: -50, max: 50 }),
        (edits, sizeDelta) => {
          const bad = Buffer.from(good);
          for (const { at, byte } of edits) bad[at] = byte;
          const size = Math.max(0, base.length + sizeDelta);
          let ours: Uint8Array | null = null;
          try {
            ours = lz4DecompressBlock(bad, size);
          } catch (e) {
            expect(e).toBeInstanceOf(Lz4FormatError);
          }
          if (ours !== null) {
            expect(ours.length).toBe(size);
            const theirs = nativeDecompress(bad, size);
            if (theirs !== null) expect(Buffer.from(ours).equals(theirs)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects random garbage without crashing (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(5000), (junk, size) => {
        try {
          expect(lz4DecompressBlock(junk, size).length).toBe(size);
        } catch (e) {
          expect(e).toBeInstanceOf(Lz4FormatError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
