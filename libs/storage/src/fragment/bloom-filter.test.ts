import { describe, expect, it } from 'vitest';
import { rng } from '../../test/kit.js';
import { BloomFilter, BloomFilterBuilder, bloomHashCount, murmur3 } from './bloom-filter.js';

function keys(prefix: string, n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(`${prefix}${i}`));
}

function build(members: readonly Uint8Array[], bitsPerKey?: number): BloomFilter {
  const b = new BloomFilterBuilder();
  for (const k of members) b.add(k);
  return BloomFilter.decode(b.build(bitsPerKey))!;
}

function falsePositiveRate(f: BloomFilter, probes: readonly Uint8Array[]): number {
  return probes.filter((k) => f.mayContain(k)).length / probes.length;
}

describe('bloom filter', () => {
  it('uses the reference MurmurHash3 (format stability)', () => {
    expect(murmur3(new Uint8Array(0), 0)).toBe(0);
    expect(murmur3(new Uint8Array(0), 1)).toBe(0x514e28b7);
    expect(murmur3(Buffer.from('hello'), 0)).toBe(0x248bfa47);
    expect(murmur3(Buffer.from('The quick brown fox jumps over the lazy dog'), 0x9747b28c)).toBe(0x2fa826cd);
  });

  it('has no false negatives, for text and binary keys', () => {
    const rand = rng(3);
    const members: Uint8Array[] = keys('row-', 20_000);
    for (let i = 0; i < 2000; i++) members.push(Uint8Array.from({ length: Math.floor(rand() * 20) }, () => Math.floor(rand() * 256)));
    const f = build(members);
    expect(members.filter((k) => !f.mayContain(k))).toEqual([]);
  });

  it('keeps the false-positive rate near the target for 10 bits per key (~0.8%)', () => {
    const f = build(keys('member-', 50_000));
    const rate = falsePositiveRate(f, keys('stranger-', 50_000));
    expect(rate).toBeGreaterThan(0.001);
    expect(rate).toBeLessThan(0.02);
  });

  it('trades space for accuracy: fewer bits, more false positives', () => {
    const members = keys('m', 20_000);
    const probes = keys('p', 20_000);
    const r4 = falsePositiveRate(build(members, 4), probes);
    const r10 = falsePositiveRate(build(members, 10), probes);
    const r16 = falsePositiveRate(build(members, 16), probes);
    expect(r4).toBeGreaterThan(r10);
    expect(r10).toBeGreaterThan(r16);
    expect(r4).toBeLessThan(0.25);
    expect(bloomHashCount(10)).toBe(7);
  });

  it('an empty filter rejects everything; a malformed one does not decode', () => {
    const empty = build([]);
    expect(empty.mayContain(Buffer.from('x'))).toBe(false);
    expect(BloomFilter.decode(new Uint8Array(0))).toBeUndefined();
    expect(BloomFilter.decode(Uint8Array.from([0, ...new Uint8Array(8)]))).toBeUndefined();
    expect(BloomFilter.decode(Uint8Array.from([31, ...new Uint8Array(8)]))).toBeUndefined();
    expect(BloomFilter.decode(Uint8Array.from([7, 1, 2]))).toBeUndefined();
  });
});
