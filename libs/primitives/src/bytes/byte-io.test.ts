import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, readI64, readU32, readU64, readVarint, varintSize, writeI64, writeU32, writeU64, writeVarint, type VarintRead } from './byte-io.js';

const out = (): VarintRead => ({ value: -1, next: -1 });

describe('varints', () => {
  it('round-trip every safe integer in shortest form, in varintSize bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(300), fc.nat(), fc.maxSafeNat()), (n) => {
        const b = new Uint8Array(12);
        const end = writeVarint(b, 1, n);
        expect(end - 1).toBe(varintSize(n));
        const r = out();
        expect(readVarint(b, 1, end, 8, r)).toBe('ok');
        expect(r).toEqual({ value: n, next: end });
      }),
    );
    for (const [n, size] of [
      [0, 1],
      [127, 1],
      [128, 2],
      [16383, 2],
      [16384, 3],
      [2 ** 28 - 1, 4],
      [2 ** 28, 5],
      [2 ** 32 - 1, 5],
      [2 ** 35, 6],
      [Number.MAX_SAFE_INTEGER, 8],
    ] as const) {
      expect(varintSize(n)).toBe(size);
    }
  });

  it('says how a bad varint is bad', () => {
    const r = out();
    expect(readVarint(Uint8Array.from([0x80, 0x80]), 0, 2, 8, r)).toBe('truncated');
    expect(readVarint(Uint8Array.from([0x85, 0x01]), 0, 1, 8, r)).toBe('truncated');
    expect(readVarint(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 0, 6, 5, r)).toBe('too-long');
    expect(readVarint(Uint8Array.from([0x81, 0x00]), 0, 2, 5, r)).toBe('not-shortest');
    expect(r).toEqual({ value: 1, next: 2 });
  });
});

describe('little-endian integers', () => {
  it('round-trip u32, i64 (negative too) and u64', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), fc.maxSafeNat(), (u, i, big) => {
        const b = new Uint8Array(24);
        writeU32(b, 0, u);
        expect(readU32(b, 0)).toBe(u);
        expect(writeI64(b, 4, i)).toBe(12);
        expect(readI64(b, 4)).toBe(i);
        expect(Buffer.from(b.buffer, 4, 8).readBigInt64LE()).toBe(BigInt(i));
        expect(writeU64(b, 12, big)).toBe(20);
        expect(readU64(b, 12)).toBe(big);
      }),
    );
  });

  it('refuses a u64 beyond 2^53', () => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(2n ** 53n);
    expect(readU64(b, 0)).toBeUndefined();
  });
});

describe('ByteWriter and ByteReader', () => {
  it('read back what was written, then flag a read past the end', () => {
    const w = new ByteWriter(2).u8(7).u32(0xdeadbeef).i64(-5).varint(300).lengthPrefixed(Buffer.from('abc'));
    const bytes = w.finish();
    expect(bytes.length).toBe(w.length);
    const r = new ByteReader(bytes);
    expect([r.u8(), r.u32(), r.i64(), r.varint(), Buffer.from(r.lengthPrefixed()).toString()]).toEqual([7, 0xdeadbeef, -5, 300, 'abc']);
    expect(r.atEnd && r.ok).toBe(true);
    expect(r.u8()).toBe(0);
    expect(r.ok).toBe(false);
  });

  it('flags a truncated varint', () => {
    const r = new ByteReader(Uint8Array.from([0x80]));
    expect(r.varint()).toBe(0);
    expect(r.ok).toBe(false);
  });
});
